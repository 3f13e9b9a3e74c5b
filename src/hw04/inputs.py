"""Load and check what the notebook reads: the data folder and the parameters.

Every check raises :class:`HomeworkInputError` naming the file or the parameter,
what is wrong and how to fix it.
"""

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw04.errors import HomeworkInputError  # noqa: F401 (also named from here)

DATA_SCRIPT = Path("data_xor") / "make_xor_data.py"  # in the homework's folder
# The files of a data folder and their headers, in load_xor_data's order; the
# standalone data script writes the same (tests/test_data.py checks it).
DATA_FILES = {
    "x_train.csv": "x1,x2",
    "y_train.csv": "y",
    "x_test.csv": "x1,x2",
    "y_test.csv": "y",
}
ENGINES = ("batched", "sklearn")


def resolve(path, homework_dir=None):
    """``path`` as an absolute Path; a relative one is from ``homework_dir`` (None:
    the current folder, the notebook's own in a kernel Jupyter or papermill started).
    """
    path = Path(path).expanduser()
    if path.is_absolute():
        return path
    return (Path.cwd() if homework_dir is None else Path(homework_dir).resolve()) / path


def load_xor_data(data_dir="data_xor", homework_dir=None):
    """Read and check the four CSV files of an XOR data folder.

    A relative ``data_dir`` is taken from ``homework_dir`` (see :func:`resolve`).

    Returns
    -------
    x_tr_N2, y_tr_N, x_te_N2, y_te_N : ndarray
        Features of shape (N, 2) (float) and labels of shape (N,) (int, 0 or 1).
    """
    folder = resolve(data_dir, homework_dir)
    _check_data_folder(data_dir, folder, DATA_FILES, homework_dir)
    arrays = {name: _read_csv(folder / name, h) for name, h in DATA_FILES.items()}
    for split in ("train", "test"):
        x_path, y_path = folder / f"x_{split}.csv", folder / f"y_{split}.csv"
        x, y = arrays[x_path.name], arrays[y_path.name]
        if len(x) != len(y):
            raise HomeworkInputError(
                f"{x_path} has {len(x)} rows but {y_path} has {len(y)}; "
                "each row of features needs one label."
            )
        values = set(np.unique(y).tolist())
        if not values <= {0.0, 1.0}:
            odd = sorted(values - {0.0, 1.0})[:5]
            raise HomeworkInputError(
                f"{y_path} must hold binary labels 0 or 1, but has {odd}."
            )
        if split == "train" and len(values) < 2:
            raise HomeworkInputError(
                f"{y_path} holds only the label {values.pop():g}; "
                "training needs both classes."
            )
    return (
        arrays["x_train.csv"],
        arrays["y_train.csv"].astype(np.int64),
        arrays["x_test.csv"],
        arrays["y_test.csv"].astype(np.int64),
    )


def _check_data_folder(data_dir, folder, files, homework_dir):
    """Say which fix fits: a folder that is not there, or files missing from one."""
    names = ", ".join(files)
    if not folder.is_dir():
        raise HomeworkInputError(
            f"data_dir {str(data_dir)!r} is not a folder: {folder} does not exist. "
            f"Check its spelling; it must hold {names} (the shipped data is in "
            f"{DATA_SCRIPT.parent.as_posix()!r})."
        )
    missing = [name for name in files if not (folder / name).is_file()]
    if not missing:
        return
    script = DATA_SCRIPT.as_posix()
    if folder == resolve(DATA_SCRIPT.parent, homework_dir):
        fix = f"regenerate the shipped XOR data with `python {script}`"
    else:
        fix = (
            f"copy them there, point data_dir to a folder holding {names}, or make "
            f"new XOR data there with `python {script} --out-dir {folder}`"
        )
    raise HomeworkInputError(
        f"Missing data file{'s' * (len(missing) > 1)} {', '.join(missing)} in "
        f"{folder}: {fix}."
    )


def _read_csv(path, header):
    with open(path) as f:
        first = f.readline().strip()
    if first.replace(" ", "") != header:
        raise HomeworkInputError(
            f"{path} must start with the header line '{header}', found '{first}'."
        )
    n_cols = len(header.split(","))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an empty file warns; we say so below
            arr = np.loadtxt(path, skiprows=1, delimiter=",", ndmin=2)
    except ValueError as err:
        raise HomeworkInputError(
            f"{path} is not a CSV of {n_cols} number column(s) under the header "
            f"'{header}': {err}"
        ) from None
    if arr.shape[0] == 0:
        raise HomeworkInputError(f"{path} has a header but no rows.")
    if arr.shape[1] != n_cols:
        raise HomeworkInputError(
            f"{path} has {arr.shape[1]} column(s) per row, "
            f"expected {n_cols} ('{header}')."
        )
    bad_rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if bad_rows.size:
        raise HomeworkInputError(
            f"{path} has NaN or infinite values, first on data row {bad_rows[0] + 1}; "
            "every value must be a finite number."
        )
    return arr if n_cols > 1 else arr[:, 0]


# --------------------------------------------------------------------- parameters


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_seeds(seeds, name="seeds"):
    """``seeds`` as a list of distinct ints in [0, 2**32); else say why not."""
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise HomeworkInputError(
            f"{name} must be a list of integers such as list(range(16)), got {seeds!r}."
        )
    seeds = list(seeds)
    if not seeds:
        raise HomeworkInputError(f"{name} is empty; give at least one random seed.")
    bad = [s for s in seeds if not _is_int(s)]
    if bad:
        raise HomeworkInputError(f"{name} must be integers; these are not: {bad[:5]}.")
    seeds = [int(s) for s in seeds]
    out_of_range = [s for s in seeds if not 0 <= s < 2**32]
    if out_of_range:
        raise HomeworkInputError(
            f"{name} must be between 0 and 2**32 - 1; these are not: "
            f"{out_of_range[:5]}."
        )
    dupes = sorted({s for s in seeds if seeds.count(s) > 1})
    if dupes:
        raise HomeworkInputError(f"{name} must be distinct; repeated: {dupes[:5]}.")
    return seeds


def check_results_dir(results_dir, homework_dir=None):
    """Create ``results_dir`` (see :func:`resolve`) and check that it is writable."""
    folder = resolve(results_dir, homework_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise HomeworkInputError(
            f"results_dir {folder} is not a writable folder ({err.strerror}); "
            "choose another results_dir."
        ) from None
    return folder


@dataclass(frozen=True)
class Parameters:
    """The notebook's parameters, checked, with the data they point to."""

    seeds: list
    x_tr_N2: np.ndarray
    y_tr_N: np.ndarray
    x_te_N2: np.ndarray
    y_te_N: np.ndarray
    results_dir: Path
    n_jobs: int
    engine: str
    appendix: bool
    appendix_seeds: int
    cache: object
    data_dir: str  # as given: the folder the data came from, for the notebook to name

    @property
    def cache_dir(self):
        """Where fitted runs are kept between executions, or None (cache off)."""
        return self.results_dir / "cache" if self.cache else None


def check_parameters(
    *,
    seeds,
    data_dir,
    results_dir,
    n_jobs,
    engine,
    appendix,
    appendix_seeds,
    cache,
    homework_dir=None,
):
    """Check the notebook's parameters and load the data; return a :class:`Parameters`.

    Keyword-only, with no defaults: those live in the notebook's ``parameters`` cell.
    Relative paths are taken from ``homework_dir`` (see :func:`resolve`).
    """
    seeds = check_seeds(seeds)
    if not _is_int(n_jobs) or n_jobs == 0 or n_jobs < -1:
        raise HomeworkInputError(
            f"n_jobs must be a positive number of processes, or -1 for all cores; "
            f"got {n_jobs!r}."
        )
    if engine not in ENGINES:
        raise HomeworkInputError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if not isinstance(appendix, bool):
        raise HomeworkInputError(f"appendix must be True or False, got {appendix!r}.")
    if not _is_int(appendix_seeds) or appendix_seeds < 1:
        raise HomeworkInputError(
            "appendix_seeds must be a positive number of seeds per setting, such as "
            f"256; got {appendix_seeds!r}."
        )
    if not (cache is True or cache is False or cache == "clear"):
        raise HomeworkInputError(
            f"cache must be True, False or 'clear', got {cache!r}."
        )
    return Parameters(
        seeds,
        *load_xor_data(data_dir, homework_dir),
        results_dir=check_results_dir(results_dir, homework_dir),
        n_jobs=int(n_jobs),
        engine=engine,
        appendix=appendix,
        appendix_seeds=int(appendix_seeds),
        cache=cache,
        data_dir=str(data_dir),
    )
