"""Same numbers on every machine: one OpenBLAS kernel for every route, and a
fingerprint of the runs.

OpenBLAS picks a product kernel per CPU, and kernels round sums differently, which
moves L-BFGS paths; so every route runs with the ``Haswell`` kernel wherever the CPU
can (``OPENBLAS_CORETYPE``, set before NumPy loads), unless ``HW04_BLAS=native``.
"""

import hashlib
import json
import os
import platform
import sys
import warnings
from pathlib import Path

REFERENCE_KERNEL = "Haswell"
VARIABLE = "OPENBLAS_CORETYPE"
SWITCH = "HW04_BLAS"  # "native": the CPU's own kernel; anything else: the reference
# The kernelspec the set-up installs and every route of the notebook asks for.
KERNEL_NAME = "hw04"
DISPLAY_NAME = "Python 3 (hw04)"
# The pins of requirements.txt the runs table's numbers depend on (a test checks).
REFERENCE_VERSIONS = {
    "numpy": "2.4.6",
    "scipy": "1.17.1",
    "scikit-learn": "1.9.1",
    "pandas": "3.1.1",
}
# bit_probe() in the reference environment, and its OpenBLAS: a kernel keeps its
# name across releases that round otherwise. A test recomputes both.
REFERENCE_PROBE = "b21ec6e7e20b"
REFERENCE_OPENBLAS = "0.3.31.188.0"


def cpu_runs_reference():
    """Whether this CPU can run the reference kernel (x86-64 with AVX2 and FMA)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    # NumPy's record of the CPU's features (private: numpy.core before NumPy 2.0).
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return False
    return bool(features.get("AVX2") and features.get("FMA3"))


def _native_chosen(env=None):
    return (os.environ if env is None else env).get(SWITCH, "").lower() == "native"


def wanted_environment(env=None):
    """The variables a route sets before NumPy loads: ``{VARIABLE: kernel}``, or {}
    with ``HW04_BLAS=native`` in ``env`` (default: this process's) or on a CPU that
    cannot run the reference."""
    if _native_chosen(env) or not cpu_runs_reference():
        return {}
    return {VARIABLE: REFERENCE_KERNEL}


def install_kernelspec(prefix):
    """Install the ``hw04`` kernelspec into the environment at ``prefix`` (as
    ``--sys-prefix`` does) with the chosen BLAS kernel; return its variables."""
    from ipykernel.kernelspec import install

    wanted = wanted_environment()
    # With the switch, the kernel carries it too, so that its notice can say why.
    env = wanted or ({SWITCH: "native"} if _native_chosen() else None)
    folder = Path(
        install(kernel_name=KERNEL_NAME, display_name=DISPLAY_NAME,
                prefix=str(prefix), env=env)
    )  # fmt: skip
    spec = json.loads((folder / "kernel.json").read_text())
    # Quiet: start-up notices would fill papermill's and the server's terminal.
    spec["argv"].append("--IPKernelApp.log_level=ERROR")
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return wanted


def kernelspec_file(prefix=None):
    """The ``hw04`` kernelspec's file in the environment at ``prefix`` (or this)."""
    folder = Path(sys.prefix if prefix is None else prefix)
    return folder / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"


def chosen_environment():
    """The variables of this environment's ``hw04`` kernelspec, or where there is
    none, :func:`wanted_environment`."""
    try:
        written = json.loads(kernelspec_file().read_text())
    except (OSError, ValueError):
        return wanted_environment()
    return {k: v for k, v in written.get("env", {}).items() if k == VARIABLE}


def blas_in_use():
    """``(library, kernel, version)`` of the BLAS NumPy calls, from threadpoolctl."""
    import numpy  # noqa: F401 (loads the BLAS that threadpoolctl reports)
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return "unknown", "", ""
    # SciPy may load a BLAS of its own; NumPy's does the products that matter here.
    first = next((i for i in blas if "numpy" in i["filepath"]), blas[0])
    return first["internal_api"], first.get("architecture") or "", first["version"]


def installed_versions():
    """``{name: release installed, or 'none'}`` of :data:`REFERENCE_VERSIONS`."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in REFERENCE_VERSIONS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "none"
    return found


def versions_unlike_reference():
    """``{name: (installed, reference)}`` where the two differ."""
    return {
        name: (installed, REFERENCE_VERSIONS[name])
        for name, installed in installed_versions().items()
        if installed != REFERENCE_VERSIONS[name]
    }


def bit_probe():
    """A short digest of two L-BFGS iterations and two SGD epochs per activation
    on 200 fixed points, one BLAS thread: a BLAS that rounds otherwise changes it."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    x_N2 = np.random.default_rng(0).normal(size=(200, 2))
    y_N = (x_N2[:, 0] * x_N2[:, 1] > 0).astype(int)
    solvers = [
        {"solver": "lbfgs"},
        {"solver": "sgd", "batch_size": 10, "learning_rate_init": 0.1, "momentum": 0},
    ]
    digest = hashlib.sha256()
    with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for activation in ("relu", "logistic"):
            for solver in solvers:
                clf = MLPClassifier(
                    [2], activation=activation, max_iter=2, random_state=0, **solver
                ).fit(x_N2, y_N)
                for values in [*clf.coefs_, *clf.intercepts_, clf.loss_]:
                    digest.update(np.asarray(values, dtype=np.float64).tobytes())
    return digest.hexdigest()[:12]


def blas_notice():
    """One line on the BLAS this kernel runs with and whether it is the reference;
    where not, why, and how to get the reference numbers."""
    differ = versions_unlike_reference()
    if not differ:
        return _blas_line()
    found = ", ".join(f"{name} {found}" for name, (found, _) in differ.items())
    pins = ", ".join(pin for _, pin in differ.values())
    return (
        f"Note: this environment has {found}, not the reference's {pins} "
        "(requirements.txt), so these numbers may differ from the reference "
        "fingerprint: each release may round or stop a fit differently. For the "
        "reference numbers, run the set-up's .venv (python3 make_homework.py setup)."
    )


def probe_line():
    """This execution's bit probe and OpenBLAS release against the reference's."""
    library, kernel, version = blas_in_use()
    probe = bit_probe()
    same = probe == REFERENCE_PROBE and version == REFERENCE_OPENBLAS
    return (
        f"Bit probe {probe} with {library} {version} ({kernel} kernel); the "
        f"reference's: {REFERENCE_PROBE} with openblas {REFERENCE_OPENBLAS} "
        f"({REFERENCE_KERNEL}): {'the same' if same else 'different'}."
    )


def _blas_line():
    library, kernel, version = blas_in_use()
    probe = bit_probe()
    if library != "openblas":
        return (
            f"Note: this kernel's BLAS is {library} {version}, not OpenBLAS, so "
            "L-BFGS numbers may differ slightly from the reference run's."
        )
    reference = (probe, version) == (REFERENCE_PROBE, REFERENCE_OPENBLAS)
    if kernel == REFERENCE_KERNEL and reference:
        return (
            f"BLAS: OpenBLAS {version} with its {kernel} kernel, the reference one "
            f"(bit probe {probe}): these numbers are those of every machine with "
            "these pins."
        )
    if kernel == REFERENCE_KERNEL:
        return (
            f"Note: OpenBLAS {version} runs its {kernel} kernel here; the reference "
            f"is OpenBLAS {REFERENCE_OPENBLAS}, whose bit probe is {REFERENCE_PROBE} "
            f"(here {probe}): a kernel of the same name may round otherwise, so "
            "L-BFGS numbers may differ from the reference run's; for the reference "
            "numbers, install the pins of requirements.txt (python3 make_homework.py "
            "setup)."
        )
    if not cpu_runs_reference():
        fix = "this CPU cannot run the reference kernel"
    elif _native_chosen():
        fix = "HW04_BLAS=native chose it; run the set-up without it for the reference"
    else:
        fix = (
            "start Jupyter from .venv (python3 make_homework.py setup, then "
            ".venv/bin/jupyter lab) to get the reference numbers"
        )
    return (
        f"Note: OpenBLAS runs its {kernel} kernel here, not {REFERENCE_KERNEL} "
        f"(bit probe {probe}, the reference's {REFERENCE_PROBE}), so L-BFGS "
        f"numbers may differ from the reference run's; {fix}."
    )


def fingerprint(runs, ignore=("fit_seconds",)):
    """One line that tells whether a rerun reproduced a run: a digest of the runs
    table's CSV (but ``ignore``), the BLAS kernel and the versions."""
    import numpy
    import scipy
    import sklearn

    table = runs.drop(columns=[c for c in ignore if c in runs.columns])
    csv = table.to_csv(index=False, float_format="%.17g").encode()
    digest = hashlib.sha256(csv).hexdigest()[:12]
    library, kernel, _ = blas_in_use()
    library = {"openblas": "OpenBLAS", "mkl": "MKL"}.get(library, library)
    return (
        f"Fingerprint {digest}: {library} {kernel}, numpy {numpy.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}."
    )
