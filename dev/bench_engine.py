"""Time the exact SGD engine's step paths on the homework's SGD runs, in one process.

    python3 make_homework.py bench --engine             # about 15 minutes on two cores
    python3 make_homework.py bench --engine --repeat 1  # quicker, rougher

A developer's tool, not part of the package students install. For each SGD setting
of the notebook and each of the appendix's conditions (2, 4 and 8 hidden units, and
2 units on its noisier data), it trains 16 seeds (a rerun's new seeds) and 256 (an
appendix setting) with ``lockstep.fit_sgd_lockstep`` along each path the engine
takes on that shape here, the paths back to back within each repeat so that they
share the machine's load. It checks that every path leaves the bits of the
reference path, and prints each path's median CPU seconds (one BLAS thread) and its
speed-up over the reference; then the sums for a cold run's engine work (the main
runs and the appendix) and for a rerun with 16 new seeds (the main runs alone).
Each path's first fit in a fresh process, where numba loads its kernels from its
cache, is timed apart.
"""

import argparse
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from itertools import product
from pathlib import Path
from unittest import mock

from sklearn.base import clone
from threadpoolctl import threadpool_limits

from hw04 import inputs
from hw04.engine import lockstep
from hw04.notebook import homework_settings

ROOT = Path(__file__).resolve().parents[1]

PATHS = ("whole", "fused", "compiled", "numpy")  # fastest first; numpy: the reference
# The sets of paths an engine could keep, each with the reference.
KEPT = [("compiled", "numpy"), ("fused", "compiled", "numpy"),
        ("whole", "compiled", "numpy"), PATHS, ("whole", "numpy")]  # fmt: skip


@contextmanager
def forced(path):
    """The engine made to take ``path`` (the benchmark offers it only the paths it
    would take itself on the shape)."""
    with mock.patch.object(lockstep._Lockstep, "choose_steps", lambda s, a: path):
        yield


def paths_for(est, X, y):
    """The paths the engine may take for ``est`` here: its own choice and slower."""
    short = clone(est).set_params(max_iter=1)
    ran = lockstep.fit_sgd_lockstep_with_steps(short, X, y, [0])[2]
    return PATHS[PATHS.index(ran) :]


def cpu_seconds(est, X, y, seeds, path):
    with forced(path):
        start = time.process_time()
        fits, _ = lockstep.fit_sgd_lockstep(est, X, y, seeds)
        return time.process_time() - start, fits


def first_fit_seconds(path, repeat=3):
    """CPU seconds of a fresh process that imports the engine and fits one seed for
    one epoch along ``path``, the median of ``repeat``; the numpy path's loads no
    kernel."""
    code = (
        "import sys; sys.path.insert(0, 'dev'); import bench_engine as b;"
        "from hw04.notebook import homework_settings; from hw04 import inputs;"
        "est = homework_settings('hw04.ipynb')['sgd-relu'].set_params(max_iter=1);"
        "X, y, _, _ = inputs.load_xor_data(homework_dir='.');"
        f"b.cpu_seconds(est, X, y, [0], {path!r})"
    )
    times = []
    for _ in range(repeat):
        start = time.process_time(), _children_cpu()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(_children_cpu() - start[1])
    return statistics.median(times)


def _children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--seeds", type=int, nargs="+", default=[16, 256])
    args = parser.parse_args(argv)
    X, y, _, _ = inputs.load_xor_data(homework_dir=ROOT)
    settings = homework_settings(ROOT / "hw04.ipynb")
    totals = {n: [] for n in args.seeds}
    print(f"{time.strftime('%Y-%m-%d')}, CPU seconds, medians of {args.repeat}")
    with threadpool_limits(1):
        for units, n_seeds, name in product((2, 4, 8), args.seeds, settings):
            if settings[name].solver != "sgd":
                continue
            est = clone(settings[name]).set_params(hidden_layer_sizes=[units])
            med = median_seconds(est, X, y, range(1000, 1000 + n_seeds), args.repeat)
            cells = "  ".join(
                f"{p} {med[p]:6.2f} s ({med['numpy'] / med[p]:4.1f}x)" for p in med
            )
            print(f"{units} units {name:13s} {n_seeds:3d} seeds  {cells}")
            # A rerun trains 16 new seeds of 2 units; the appendix all widths.
            if units == 2 or n_seeds > 16:
                totals[n_seeds].append(med)
    for n_seeds, meds in totals.items():
        print(f"sums over the {n_seeds}-seed runs above" + " of 2 units" * (n_seeds == 16))
        ref = sum(med["numpy"] for med in meds)
        for kept in KEPT:
            # Each shape by the fastest kept path the engine takes on it here.
            s = sum(med[next(p for p in kept if p in med)] for med in meds)
            print(f"  {' + '.join(kept):30s} {s:7.2f} s ({ref / s:4.2f}x numpy)")
    loads = {p: first_fit_seconds(p) for p in PATHS}
    cells = "  ".join(
        f"{p} +{loads[p] - loads['numpy']:.2f} s" for p in PATHS if p != "numpy"
    )
    print(f"first fit in a fresh process (numpy path {loads['numpy']:.2f} s): {cells}")
    return 0


def median_seconds(est, X, y, seeds, repeat):
    """Per path the engine may take, the median CPU seconds of ``repeat`` fits of
    ``seeds``, the paths back to back in each repeat; every path's bits checked."""
    paths, seeds = paths_for(est, X, y), list(seeds)
    times = {p: [] for p in paths}
    for _ in range(repeat):
        fits = {}
        for p in paths:
            seconds, fits[p] = cpu_seconds(est, X, y, seeds, p)
            times[p].append(seconds)
        for p in paths:
            for ours, ref in zip(fits[p], fits["numpy"]):
                assert not lockstep.differences(ours, ref), p
    return {p: statistics.median(t) for p, t in times.items()}


if __name__ == "__main__":
    sys.exit(main())
