"""What the set-up does inside ``.venv`` once the pinned packages are in.

``python -m hw04.install`` (run by ``make_homework.py`` after pip):

1. writes ``.venv``'s ``python3`` kernelspec with the BLAS kernel chosen for this
   machine (:mod:`hw04.reproducible`), so that JupyterLab's kernel and its
   workers get the reference numbers;
2. has numba compile the engine's kernels once, so that the notebook's first
   run does not.
"""

import sys

from hw04 import reproducible


def main():
    chosen = reproducible.install_kernelspec(sys.prefix)
    kernel = chosen.get(reproducible.VARIABLE, "the CPU's own")
    print(f"  Jupyter kernel 'python3' of {sys.prefix}: OpenBLAS kernel {kernel}.")
    print("  Compiling the training kernels (once) ...", flush=True)
    from hw04.engine import lockstep

    lockstep.compile_kernels()


if __name__ == "__main__":
    main()
