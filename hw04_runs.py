"""Load the data, check the parameters and run the homework's sweeps of seeds.

The notebook calls these helpers so that each of its cells stays a few lines:

* :func:`load_xor_data` reads and checks the four CSV files of a data folder;
* :func:`check_parameters` checks the values of the notebook's parameters cell;
* :func:`run_sweep` trains every setting for every seed, spread over processes
  with joblib, SGD settings with the exact lockstep engine of :mod:`batched_sgd`;
* :func:`verify_batched_engine` refits one run per SGD setting with sklearn's own
  ``fit`` and says whether every bit agrees;
* :func:`runs_table`, :func:`summarize` and :func:`run_lines` turn runs into the
  tidy table, the numbers quoted by the answers, and one line per run.
"""

import math
import re
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from tqdm import tqdm

import batched_sgd

HERE = Path(__file__).resolve().parent
DATA_FILES = {
    "x_train.csv": "x1,x2",
    "y_train.csv": "y",
    "x_test.csv": "x1,x2",
    "y_test.csv": "y",
}
REGENERATE = "python data_xor/make_xor_data.py"
ENGINES = ("batched", "sklearn")
RUN_COLUMNS = [
    "setting",
    "solver",
    "activation",
    "seed",
    "n_iter",
    "converged",
    "final_loss",
    "train_error",
    "test_error",
    "fit_seconds",
]


class HomeworkInputError(ValueError):
    """A data file or a parameter is not what the homework needs."""


# --------------------------------------------------------------------------- data


def resolve(path):
    """Return ``path`` as an absolute Path; a relative one is taken from this folder."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else HERE / path


def load_xor_data(data_dir="data_xor"):
    """Read and check the four CSV files of an XOR data folder.

    Parameters
    ----------
    data_dir : str or Path, default='data_xor'
        Folder holding x_train.csv, y_train.csv, x_test.csv and y_test.csv; a
        relative path is taken from the folder of this module.

    Returns
    -------
    x_tr_N2, y_tr_N, x_te_N2, y_te_N : ndarray
        Features of shape (N, 2) (float) and labels of shape (N,) (int, 0 or 1).

    Raises
    ------
    HomeworkInputError
        A file is missing, has the wrong header or columns, holds a NaN or an
        infinite value, or its labels are not 0 and 1; the message names the
        file and the fix.
    """
    __tracebackhide__ = True  # IPython shows the message, not these frames
    folder = resolve(data_dir)
    arrays = {
        name: _read_csv(folder / name, header) for name, header in DATA_FILES.items()
    }
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


def _read_csv(path, header):
    __tracebackhide__ = True  # IPython shows the message, not these frames
    if not path.is_file():
        raise HomeworkInputError(
            f"Missing data file {path}. Regenerate the shipped XOR data with "
            f"`{REGENERATE}`, or set data_dir to a folder holding "
            f"{', '.join(DATA_FILES)}."
        )
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


def check_seeds(seeds):
    """Return ``seeds`` as a list of distinct ints in [0, 2**32); else say why not."""
    __tracebackhide__ = True  # IPython shows the message, not these frames
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise HomeworkInputError(
            f"seeds must be a list of integers such as list(range(16)), got {seeds!r}."
        )
    seeds = list(seeds)
    if not seeds:
        raise HomeworkInputError("seeds is empty; give at least one random seed.")
    bad = [
        s for s in seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer))
    ]
    if bad:
        raise HomeworkInputError(f"seeds must be integers; these are not: {bad[:5]}.")
    seeds = [int(s) for s in seeds]
    out_of_range = [s for s in seeds if not 0 <= s < 2**32]
    if out_of_range:
        raise HomeworkInputError(
            f"seeds must be between 0 and 2**32 - 1; these are not: {out_of_range[:5]}."
        )
    dupes = sorted({s for s in seeds if seeds.count(s) > 1})
    if dupes:
        raise HomeworkInputError(f"seeds must be distinct; repeated: {dupes[:5]}.")
    return seeds


def check_results_dir(results_dir):
    """Create ``results_dir`` if needed and make sure files can be written there."""
    __tracebackhide__ = True  # IPython shows the message, not these frames
    folder = resolve(results_dir)
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


def check_parameters(seeds, data_dir, results_dir, n_jobs, engine, appendix=False):
    """Check the notebook's parameters; return them normalised.

    Returns
    -------
    params : dict
        ``seeds`` (list of int), ``data`` (the four arrays of
        :func:`load_xor_data`), ``results_dir`` (Path), ``n_jobs`` (int),
        ``engine`` and ``appendix``.
    """
    __tracebackhide__ = True  # IPython shows the message, not these frames
    seeds = check_seeds(seeds)
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, (int, np.integer))
        or n_jobs == 0
    ):
        raise HomeworkInputError(
            f"n_jobs must be a positive number of processes, or -1 for all cores; "
            f"got {n_jobs!r}."
        )
    if engine not in ENGINES:
        raise HomeworkInputError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if not isinstance(appendix, bool):
        raise HomeworkInputError(f"appendix must be True or False, got {appendix!r}.")
    return {
        "seeds": seeds,
        "data": load_xor_data(data_dir),
        "results_dir": check_results_dir(results_dir),
        "n_jobs": int(n_jobs),
        "engine": engine,
        "appendix": appendix,
    }


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    """One fitted run: the estimator and what the homework reports about it."""

    setting: str
    seed: int
    clf: object
    fit_seconds: float
    converged: bool
    engine: str

    @property
    def n_iter(self):
        return int(self.clf.n_iter_)

    @property
    def loss_curve(self):
        return list(self.clf.loss_curve_)

    @property
    def final_loss(self):
        return float(self.clf.loss_)


def homework_settings():
    """The homework's four settings, name to configured estimator.

    The notebook spells the same configuration out, as the homework prescribes
    it; scripts and tests take it from here.
    """
    from sklearn.neural_network import MLPClassifier

    from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS

    lbfgs = dict(hidden_layer_sizes=[2], alpha=1e-4, max_iter=200, tol=1e-6)
    sgd = dict(
        hidden_layer_sizes=[2],
        alpha=1e-4,
        solver="sgd",
        batch_size=10,
        max_iter=400,
        tol=1e-8,
        learning_rate="adaptive",
        learning_rate_init=0.1,
        momentum=0.0,
    )
    return {
        "lbfgs-relu": MLPClassifierLBFGS(activation="relu", **lbfgs),
        "lbfgs-logistic": MLPClassifierLBFGS(activation="logistic", **lbfgs),
        "sgd-relu": MLPClassifier(activation="relu", **sgd),
        "sgd-logistic": MLPClassifier(activation="logistic", **sgd),
    }


def setting_name(estimator):
    """Name a setting like ``'lbfgs-relu'`` from its estimator."""
    return f"{estimator.solver}-{estimator.activation}"


def _quiet_fit(estimator, X, y, seed):
    """Fit a clone with ``random_state=seed``; return (clf, seconds, converged)."""
    start = time.perf_counter()
    clf, warned = batched_sgd.fit_with_sklearn(estimator, X, y, seed)
    seconds = time.perf_counter() - start
    converged = bool(getattr(clf, "did_converge_", not warned))
    return clf, seconds, converged


def _batched(estimator, X, y, engine):
    """Whether ``engine`` trains this setting with the lockstep engine."""
    return (
        engine == "batched" and batched_sgd.unsupported_reason(estimator, y, X) is None
    )


def _fit_chunk(estimator, X, y, seeds, engine):
    """Fit one chunk of seeds of one setting; the unit of work of a process."""
    if not _batched(estimator, X, y, engine):
        return [(*_quiet_fit(estimator, X, y, s), "sklearn") for s in seeds]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits, warned = batched_sgd.fit_sgd_lockstep(estimator, X, y, seeds)
    seconds = (time.perf_counter() - start) / len(seeds)
    return [(clf, seconds, not w, "batched") for clf, w in zip(fits, warned)]


def _chunks(batched, seeds, n_workers, n_batched):
    """Split seeds into units of work: lockstep groups, or small groups of fits."""
    if batched:
        n_chunks = max(1, min(len(seeds), math.ceil(n_workers / max(n_batched, 1))))
    else:
        n_chunks = max(1, min(len(seeds), 4 * n_workers))
    return [[int(s) for s in c] for c in np.array_split(seeds, n_chunks) if len(c)]


def run_sweep(estimators, X, y, seeds, n_jobs=-1, engine="batched", progress=True):
    """Fit every estimator once per seed; return the runs of each setting.

    Parameters
    ----------
    estimators : list of estimators
        Configured, unfitted classifiers, one per setting; each is cloned and
        given ``random_state=seed``.
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    seeds : list of int
    n_jobs : int, default=-1
        Worker processes (joblib); -1 for all cores. The results do not
        depend on it.
    engine : {'batched', 'sklearn'}, default='batched'
        'batched' trains the seeds of an SGD setting in lockstep with
        :func:`batched_sgd.fit_sgd_lockstep`; 'sklearn' calls each estimator's
        own ``fit``, one seed after another. L-BFGS always uses ``fit``.
    progress : bool, default=True
        Show a progress bar per setting while the runs train.

    Returns
    -------
    runs : dict
        Setting name (like ``'sgd-relu'``) to the list of :class:`Run`, in the
        order of ``seeds``.
    """
    seeds = check_seeds(seeds)
    n_workers = effective_n_jobs(n_jobs)  # honours joblib.parallel_config
    batched = [_batched(est, X, y, engine) for est in estimators]
    tasks = []
    for est, lockstep in zip(estimators, batched):
        for chunk in _chunks(lockstep, seeds, n_workers, sum(batched)):
            tasks.append((setting_name(est), est, chunk))
    # Long lockstep groups first, so that short fits fill the gaps.
    tasks.sort(key=lambda t: -len(t[2]) if t[1].solver == "sgd" else 0)
    names = [setting_name(e) for e in estimators]
    progress_view = _Progress(names, len(seeds), enabled=progress)
    results = {name: {} for name in names}
    jobs = (delayed(_fit_chunk)(est, X, y, chunk, engine) for _, est, chunk in tasks)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    start = time.perf_counter()
    try:
        for (name, _, chunk), fitted in zip(tasks, parallel(jobs)):
            for seed, (clf, seconds, converged, used) in zip(chunk, fitted):
                results[name][seed] = Run(name, seed, clf, seconds, converged, used)
            progress_view.update(name, len(chunk))
    finally:
        progress_view.close(
            f"Trained {len(names)} setting(s) x {len(seeds)} seeds in "
            f"{time.perf_counter() - start:.1f} s ({engine} engine)."
        )
    return {name: [results[name][s] for s in seeds] for name in names}


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class _Progress:
    """One tqdm bar per setting; in Jupyter, all drawn into one updatable output.

    In a terminal the bars go to stderr and vanish when done. In a notebook
    the bars share one output, which is replaced by a one-line summary at the
    end, so a saved notebook (and its PDF) holds no progress-bar debris.
    """

    def __init__(self, names, total, enabled=True):
        self.handle = None
        self.lines = {name: "" for name in names}
        if enabled and _in_kernel():
            from IPython.display import display

            self.handle = display({"text/plain": ""}, raw=True, display_id=True)
        self.bars = {
            name: tqdm(
                total=total,
                desc=f"{name:>14s}",
                unit="run",
                leave=False,
                disable=not enabled,
                file=_BarLine(self, name) if self.handle else None,
                position=None if self.handle else i,
                mininterval=0.25,
                ncols=80,
            )
            for i, name in enumerate(names)
        }

    def draw(self, name, text):
        self.lines[name] = text
        self.handle.update({"text/plain": "\n".join(self.lines.values())}, raw=True)

    def update(self, name, n):
        self.bars[name].update(n)

    def close(self, summary):
        for bar in self.bars.values():
            bar.close()
        if self.handle:
            self.handle.update({"text/plain": summary}, raw=True)


class _BarLine:
    """A file-like target that hands tqdm's latest text to :class:`_Progress`."""

    def __init__(self, progress, name):
        self.progress, self.name = progress, name

    def write(self, text):
        # Keep only printable text; tqdm's cursor moves and clears are dropped.
        line = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "").strip()
        if line:
            self.progress.draw(self.name, line)

    def flush(self):
        pass


def verify_batched_engine(runs, estimators, X, y, n_jobs=-1):
    """Refit one run per batched SGD setting with sklearn's ``fit``; compare all bits.

    The run with the fewest epochs of each setting is refitted (the cheapest
    complete check). Weights, intercepts, loss curve, epochs, ``t_``,
    ``best_loss_`` and the converged outcome are compared bit for bit.

    Returns
    -------
    checks : pandas.DataFrame
        One row per checked setting: ``setting``, ``seed``, ``n_iter``,
        ``identical`` (bool) and ``differs`` (what differed, or '').
    """
    todo = []
    for est in estimators:
        name = setting_name(est)
        batched_runs = [r for r in runs.get(name, []) if r.engine == "batched"]
        if batched_runs:
            todo.append((name, est, min(batched_runs, key=lambda r: r.n_iter)))
    refits = Parallel(n_jobs=n_jobs)(
        delayed(_quiet_fit)(est, X, y, run.seed) for _, est, run in todo
    )
    rows = []
    for (name, _, run), (ref, _, ref_converged) in zip(todo, refits):
        differs = _differences(run.clf, ref)
        if run.converged != ref_converged:
            differs.append("converged")
        rows.append(
            {
                "setting": name,
                "seed": run.seed,
                "n_iter": run.n_iter,
                "identical": not differs,
                "differs": ", ".join(differs),
            }
        )
    columns = ["setting", "seed", "n_iter", "identical", "differs"]
    return pd.DataFrame(rows, columns=columns)


def run_checked_sweep(estimators, X, y, seeds, n_jobs=-1, engine="batched", **kw):
    """:func:`run_sweep`, then :func:`verify_batched_engine` on its SGD settings.

    A setting whose check finds any difference is announced in one line and
    trained again with sklearn's own ``fit``, so that a BLAS build on which the
    batched engine is not exact never changes an answer.

    Returns
    -------
    runs : dict
        As from :func:`run_sweep`.
    checks : pandas.DataFrame
        As from :func:`verify_batched_engine` (empty for the sklearn engine).
    """
    runs = run_sweep(estimators, X, y, seeds, n_jobs=n_jobs, engine=engine, **kw)
    checks = verify_batched_engine(runs, estimators, X, y, n_jobs=n_jobs)
    for row in checks.itertuples():
        if not row.identical:
            print(
                f"On this machine the batched engine differs from sklearn for "
                f"{row.setting} (seed {row.seed}: {row.differs}); rerunning "
                f"{row.setting} with sklearn's own fit."
            )
            est = next(e for e in estimators if setting_name(e) == row.setting)
            runs.update(run_sweep([est], X, y, seeds, n_jobs, "sklearn", **kw))
    return runs, checks


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _differences(clf, ref):
    """Names of the fitted attributes whose bits differ between two fits."""
    checks = {
        "coefs_": all(_same_bits(a, b) for a, b in zip(clf.coefs_, ref.coefs_)),
        "intercepts_": all(
            _same_bits(a, b) for a, b in zip(clf.intercepts_, ref.intercepts_)
        ),
        "loss_curve_": _same_bits(clf.loss_curve_, ref.loss_curve_),
        "n_iter_": clf.n_iter_ == ref.n_iter_,
        "t_": clf.t_ == ref.t_,
        "best_loss_": _same_bits(clf.best_loss_, ref.best_loss_),
    }
    return [name for name, same in checks.items() if not same]


# ------------------------------------------------------------------------ reports


def runs_table(runs, x_tr_N2, y_tr_N, x_te_N2, y_te_N):
    """One tidy row per run, with the columns of ``RUN_COLUMNS``."""
    rows = []
    for name, setting_runs in runs.items():
        for run in setting_runs:
            rows.append(
                {
                    "setting": name,
                    "solver": run.clf.solver,
                    "activation": run.clf.activation,
                    "seed": run.seed,
                    "n_iter": run.n_iter,
                    "converged": run.converged,
                    "final_loss": run.final_loss,
                    "train_error": 1.0 - run.clf.score(x_tr_N2, y_tr_N),
                    "test_error": 1.0 - run.clf.score(x_te_N2, y_te_N),
                    "fit_seconds": run.fit_seconds,
                }
            )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def run_lines(table, setting):
    """One line per run of ``setting``: time, iterations, converged, loss, error."""
    rows = table[table["setting"] == setting]
    unit = "epochs" if rows["solver"].iloc[0] == "sgd" else "iters"
    lines = []
    for k, row in enumerate(rows.itertuples(), start=1):
        lines.append(
            f"run {k:2d}/{len(rows)}  seed {row.seed:3d}  {row.fit_seconds:6.3f} s  "
            f"{row.n_iter:4d} {unit}  "
            f"{'converged    ' if row.converged else 'NOT converged'}  "
            f"loss {row.final_loss:.4f}  train error {row.train_error:.3f}"
        )
    return "\n".join(lines)


# Losses where a 2-unit network gets stuck on balanced XOR data (4 equal
# quadrants): the model fits some quadrants and predicts one constant
# probability on the others, which then costs their entropy.
_H13 = -(np.log(1 / 3) / 3 + 2 * np.log(2 / 3) / 3)
PLATEAUS = {
    0.5 * np.log(2): "two quadrants fitted, the other two at p = 0.5",
    0.75 * _H13: "one quadrant fitted, the other three lumped together at p = 1/3",
    np.log(2): "nothing learned: p = 0.5 everywhere",
}


def plateau_of(loss, tol=0.01):
    """Describe the plateau that ``loss`` sits within ``tol`` of, or return None."""
    for value, text in PLATEAUS.items():
        if abs(loss - value) <= tol:
            return f"{text} (loss {value:.3f})"
    return None


def summarize(table, setting, zero_tol=0.0):
    """The numbers an answer quotes about one setting's runs.

    Returns
    -------
    summary : dict
        ``n_runs``; ``zero_seeds`` (seeds reaching zero training error) and
        ``frac_zero``; ``others``, the remaining runs grouped by the plateau
        their loss sits on (see :data:`PLATEAUS`; a run on none stands alone),
        each a dict with ``plateau`` (text or None), ``seeds``, ``train_error``
        and ``final_loss`` (min, max), and ``n_cut_off`` (runs that did not
        converge); ``n_converged``; ``iter_mean``,
        ``iter_std``, ``iter_min``, ``iter_max``; ``test_error_zero``, the
        mean test error of the zero-training-error runs (NaN if none).
    """
    rows = table[table["setting"] == setting]
    zero = rows["train_error"] <= zero_tol
    others = []
    rest = rows[~zero].assign(
        plateau=[plateau_of(v) for v in rows.loc[~zero, "final_loss"]]
    )
    for key, group in rest.groupby(rest["plateau"].fillna(""), sort=False):
        # Runs on a known plateau form one group; any other run stands alone.
        parts = [group] if key else [group.loc[[i]] for i in group.index]
        for part in parts:
            others.append(
                {
                    "plateau": key or None,
                    "seeds": part["seed"].tolist(),
                    "train_error": (
                        float(part["train_error"].min()),
                        float(part["train_error"].max()),
                    ),
                    "final_loss": (
                        float(part["final_loss"].min()),
                        float(part["final_loss"].max()),
                    ),
                    "n_cut_off": int((~part["converged"]).sum()),
                }
            )
    others.sort(key=lambda g: -len(g["seeds"]))
    return {
        "n_runs": len(rows),
        "zero_seeds": rows.loc[zero, "seed"].tolist(),
        "frac_zero": float(zero.mean()),
        "others": others,
        "n_converged": int(rows["converged"].sum()),
        "iter_mean": float(rows["n_iter"].mean()),
        "iter_std": float(rows["n_iter"].std(ddof=0)),
        "iter_min": int(rows["n_iter"].min()),
        "iter_max": int(rows["n_iter"].max()),
        "test_error_zero": float(rows.loc[zero, "test_error"].mean())
        if zero.any()
        else float("nan"),
    }


def save_table(table, results_dir, name="runs.csv"):
    """Write ``table`` as CSV into ``results_dir``; return the path."""
    path = Path(results_dir) / name
    table.to_csv(path, index=False, float_format="%.10g")
    return path


# -------------------------------------------------------------------- statistics


def wilson_interval(k, n, z=1.959964):
    """95 % Wilson score interval of a success rate ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    # At k = 0 and k = n the bounds are exactly 0 and 1; say so without rounding.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


# ----------------------------------------------------------------------- appendix


def harder_xor_data(noise_sd=0.35, random_state=4):
    """A noisier training set of the same size, made by the data script."""
    from data_xor.make_xor_data import make_xor_data

    x_tr_N2, y_tr_N, _, _ = make_xor_data(noise_sd=noise_sd, random_state=random_state)
    return x_tr_N2, y_tr_N


def success_rates(runs, x_N2, y_N, condition, tol=0.01):
    """Share of runs per setting that solve the training set, with 95 % intervals.

    A run solves it when its training error is at most the lowest training
    error of any run of this experiment (any setting) plus ``tol``: it found
    as good a solution as the best run did. On the shipped data the best runs
    make no errors, so this means at most 1 % error.

    Returns
    -------
    rates : pandas.DataFrame
        One row per setting: ``condition``, ``setting``, ``solver``,
        ``activation``, ``n_runs``, ``n_solved``, ``rate``, ``ci_low``,
        ``ci_high``, ``mean_n_iter``, ``threshold`` (the largest training
        error that counts as solved).
    """
    errors = {
        name: np.array([1.0 - r.clf.score(x_N2, y_N) for r in setting_runs])
        for name, setting_runs in runs.items()
    }
    threshold = min(e.min() for e in errors.values()) + tol
    rows = []
    for name, setting_runs in runs.items():
        k, n = int((errors[name] <= threshold).sum()), len(errors[name])
        low, high = wilson_interval(k, n)
        clf = setting_runs[0].clf
        rows.append(
            {
                "condition": condition,
                "setting": name,
                "solver": clf.solver,
                "activation": clf.activation,
                "n_runs": n,
                "n_solved": k,
                "rate": k / n,
                "ci_low": low,
                "ci_high": high,
                "mean_n_iter": float(np.mean([r.n_iter for r in setting_runs])),
                "threshold": threshold,
            }
        )
    return pd.DataFrame(rows)
