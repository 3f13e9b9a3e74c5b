"""The record of an execution, an output of type :data:`MIME` that the notebook's
record cell leaves for ``hw04.verify``: what explains a difference between two
executions (it certifies nothing; only a re-execution does).
"""

import hashlib
import sys
from pathlib import Path

from hw04 import reproducible

MIME = "application/vnd.hw04.record+json"
# The course's modules beside the notebook, by the names the notebook imports.
COURSE_MODULES = (
    "MLPClassifierWithSolverLBFGS",
    "viz_tools_for_binary_classifier",
    "data_xor.make_xor_data",
)
PARAMETERS = ("seeds", "data_dir", "results_dir", "n_jobs", "engine", "appendix",
              "appendix_seeds", "cache")  # fmt: skip


def digest(data):
    """A short hex digest of ``data`` (bytes)."""
    return hashlib.sha256(data).hexdigest()[:16]


def data_digests(x_tr_N2, y_tr_N, x_te_N2, y_te_N):
    """``{file name: digest}`` of the data as loaded (its float64 values)."""
    import numpy as np

    from hw04.inputs import DATA_FILES

    arrays = (x_tr_N2, y_tr_N, x_te_N2, y_te_N)
    return {
        name: digest(np.ascontiguousarray(a, dtype=np.float64).tobytes())
        for name, a in zip(DATA_FILES, arrays)
    }


def _module_digest(name):
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    return digest(Path(path).read_bytes()) if path else "not loaded"


def package_digest():
    """A digest of the installed ``hw04`` package's files (sources and data)."""
    folder = Path(__file__).parent
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    return digest(
        b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes()
                 for p in files)
    )  # fmt: skip


def make(params, runs, fingerprint, answers):
    """The record of this execution, as a JSON-able dict; ``answers`` is ``{part:
    Markdown}``, and of ``runs`` all but ``fit_seconds``, which no execution repeats.
    """
    library, kernel, version = reproducible.blas_in_use()
    parameters = {name: getattr(params, name) for name in PARAMETERS}
    table = runs.drop(columns=["fit_seconds"], errors="ignore")
    return {
        "parameters": {
            k: v if isinstance(v, int | bool | list) else str(v)
            for k, v in parameters.items()
        },
        "data": data_digests(
            params.x_tr_N2, params.y_tr_N, params.x_te_N2, params.y_te_N
        ),  # fmt: skip
        "modules": {name: _module_digest(name) for name in COURSE_MODULES},
        "package": package_digest(),
        "versions": reproducible.installed_versions(),
        "blas": {"library": library, "kernel": kernel, "version": version},
        "probe": reproducible.bit_probe(),
        "runs": table.to_csv(index=False, float_format="%.17g"),
        "fingerprint": fingerprint,
        "answers": dict(answers),
    }


def show(params, runs, fingerprint, answers):
    """Display the record (:func:`make`) as an output of type :data:`MIME`."""
    from IPython.display import display

    text = "The record of this execution, for python3 make_homework.py verify."
    record = make(params, runs, fingerprint, answers)
    display({MIME: record, "text/plain": text}, raw=True)
