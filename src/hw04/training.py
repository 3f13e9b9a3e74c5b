"""Train every seed of a setting, exactly as sklearn does: :class:`SeedTrainer`.

Its estimators are ``[clone(est).set_params(random_state=s).fit(X, y) for s in
seeds]``, bit for bit, trained over joblib's workers (the lockstep engine for SGD,
checked against sklearn's ``fit``), cached by joblib's ``Memory``, with a progress bar.
"""

import hashlib
import inspect
import pickle
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Memory, Parallel, delayed, effective_n_jobs
from threadpoolctl import threadpool_limits

from hw04 import sklearn_compat  # noqa: F401 (the version gate, before sklearn's MLP)

# isort: split
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from hw04 import reproducible
from hw04.engine import lockstep
from hw04.errors import TrainingInterrupted
from hw04.progress import CellOutput, ProgressLine, kernel_shell

# How many epochs of a setting's first seed the exactness check trains both ways.
CHECK_EPOCHS = 2

# What keep="table" keeps of a run (train_error: on the X, y it was fitted on).
TABLE_COLUMNS = ["seed", "n_iter", "converged", "final_loss", "train_error"]

_PACKAGE = Path(__file__).resolve().parent
_NOT_IN_KEY = ["n_jobs", "on_chunk"]  # how the runs are trained, not what they are


@dataclass(frozen=True)
class ExactnessCheck:
    """The first epochs of one run, by the engine and by sklearn's ``fit``, compared
    bit for bit (:func:`lockstep.differences`)."""

    seed: int
    epochs: int
    identical: bool
    differs: str  # names of the attributes that differ, or ''
    steps: str  # how the engine ran them: 'compiled' or 'numpy'


@dataclass(frozen=True)
class SeedFits:
    """The runs of one setting, in the order of the seeds."""

    estimators: list | None  # None with keep='table'
    table: object  # with keep='table': TABLE_COLUMNS and fit_seconds; else None
    fit_seconds: list  # per run: its chunk's wall time over its seeds
    engine: str  # 'batched' (the lockstep engine) or 'sklearn'
    n_from_cache: int
    check: ExactnessCheck | None  # where the engine trained the setting


class SeedTrainer:
    """Trains the seeds of each setting, configured once for all settings.

    Parameters
    ----------
    engine : {'batched', 'sklearn'}, default='batched'
        ``'batched'``: an SGD ``MLPClassifier`` trains in lockstep unless
        :func:`lockstep.unsupported_reason` declines it, which a warning says;
        anything else by sklearn's ``fit``.
    n_jobs : int, default=-1
        joblib's worker processes; the results do not depend on it.
    cache_dir : str or Path, optional
        The folder of the cache of fitted runs; None trains every time.
    clear_cache : bool, default=False
        Empty the cache once, now.

    Attributes
    ----------
    n_runs, n_from_cache : int
        The runs of every call so far, and how many of them the cache held.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> X, y = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0])
    >>> est = MLPClassifier(hidden_layer_sizes=[2], solver="sgd", max_iter=3)
    >>> fits = SeedTrainer(n_jobs=1).fit_seeds(est, X, y, [0, 1])
    >>> [clf.random_state for clf in fits.estimators], fits.engine
    ([0, 1], 'batched')
    """

    def __init__(self, engine="batched", n_jobs=-1, cache_dir=None, clear_cache=False):
        self.engine = engine
        self.n_jobs = n_jobs
        self.memory = None if cache_dir is None else Memory(Path(cache_dir), verbose=0)
        if clear_cache and self.memory is not None:
            self.memory.clear(warn=False)
        self._cell = (None, None)  # (execution count, its CellOutput)
        self.n_runs = self.n_from_cache = 0

    def fit_seeds(
        self, estimator, X, y, seeds, *, keep="estimators", label=None, summary=False
    ):
        """Fit ``estimator`` once per seed; keep the estimators or their table in a
        :class:`SeedFits`.

        Parameters
        ----------
        keep : {'estimators', 'table'}, default='estimators'
            ``'table'`` keeps of each run only its row of :data:`TABLE_COLUMNS`,
            made in the workers, so the cache reads back a table, not estimators.
        label : str, optional
            The setting's name on its bar (default: ``'{solver}-{activation}'``).
        summary : bool, default=False
            Leave a line with the count of runs, their time and engine.

        Raises
        ------
        TrainingInterrupted
            On an interrupt, saying which runs the cache keeps.
        """
        if keep not in ("estimators", "table"):
            raise ValueError(f"keep must be 'estimators' or 'table', got {keep!r}.")
        seeds = [int(s) for s in seeds]
        label = label or f"{estimator.solver}-{estimator.activation}"
        reason = lockstep.unsupported_reason(estimator, y, X)
        if self.engine == "batched" and reason and lockstep.is_sgd(estimator):
            lockstep.warn_fallback(reason)
        engine = "batched" if self.engine == "batched" and reason is None else "sklearn"
        key = (estimator, X, y, seeds, engine, keep, environment_key(estimator))
        cached = None
        if self.memory is not None:
            cached = self.memory.cache(_train, ignore=_NOT_IN_KEY)
        packed, unreadable = _read(cached, key)
        output = self._cell_output()
        bar = ProgressLine(label, len(seeds), bar=packed is None, output=output)
        start, n_from_cache = time.perf_counter(), len(seeds)
        if packed is None:
            n_from_cache, work = 0, {"n_jobs": self.n_jobs, "on_chunk": bar.update}
            try:
                if cached is None:
                    packed = _train(*key, **work)
                else:  # replaces an unreadable entry
                    packed = cached.call(*key, **work)[0]
            except KeyboardInterrupt:
                text = _interrupted_text(label, bar.done, len(seeds), cached, output)
                raise TrainingInterrupted(text) from None
            finally:
                bar.close()
        if output is not None:
            output.runs_done += len(seeds)
        self.n_runs += len(seeds)
        self.n_from_cache += n_from_cache
        chunks, fit_seconds, engine, check = packed
        estimators, table = None, None
        if keep == "table":
            import pandas as pd

            rows = [row for chunk in chunks for row in chunk]
            table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
            table["fit_seconds"] = fit_seconds
        else:
            estimators = [clf for chunk in chunks for clf in pickle.loads(chunk)]
        where = ", all from the cache" if n_from_cache else ""
        if unreadable:
            where = ", trained again: its cache entry could not be read"
        if summary or unreadable:
            bar.summary(
                f"{label}: {len(seeds)} runs in {time.perf_counter() - start:.1f} s, "
                f"{engine} engine{where}."
            )
        return SeedFits(estimators, table, fit_seconds, engine, n_from_cache, check)

    def _cell_output(self):
        """The running cell's output, shared by its bars; None outside a kernel."""
        shell = kernel_shell()
        if shell is None:
            return None
        if self._cell[0] != shell.execution_count:
            self._cell = (shell.execution_count, CellOutput())
        return self._cell[1]


def environment_key(estimator):
    """What decides ``estimator``'s runs besides the call's own arguments: the
    versions, the BLAS and a digest of :func:`sources`."""
    from importlib.metadata import PackageNotFoundError, version

    import scipy
    import sklearn

    digest = hashlib.sha256()
    for path in sources(estimator):
        digest.update(path.read_bytes())
    try:  # from its metadata: numba takes a while to import
        numba = version("numba")
    except PackageNotFoundError:
        numba = None
    return {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "numba": numba,
        "blas": reproducible.blas_in_use(),
        "sources": digest.hexdigest(),
    }


def sources(estimator):
    """The code that trains ``estimator``, with the file of its class."""
    package = [_PACKAGE / name for name in ("training.py", "sklearn_compat.py")]
    engine = [_PACKAGE / "engine" / name for name in ("lockstep.py", "kernels.py")]
    return (*package, *engine, Path(inspect.getsourcefile(type(estimator))))


def _read(cached, key):
    """``(result, unreadable)``: the cached result of ``cached(*key)`` or None, and
    whether an entry was there but could not be read (the caller trains again)."""
    if cached is None or not cached.check_call_in_cache(*key):
        return None, False
    try:
        return cached.call_and_shelve(*key).get(), False
    except Exception:  # any failure to read the entry: it is trained again
        return None, True


def _interrupted_text(label, done, total, cached, output):
    """What an interrupt of one setting's training leaves, and how to go on."""
    text = (
        f"Training stopped by the interrupt: {label} had {done} of {total} runs done, "
        "which are not kept (a setting is kept once all its runs are done). "
    )
    if cached is None:
        return text + (
            "The cache is off, so running the cell again trains every run again."
        )
    if output is None:
        return text + (
            "Every setting trained to the end is kept in the cache: running the "
            "cell again reads those back and continues from this one."
        )
    return text + (
        f"The {output.runs_done} runs of the settings before it in this cell are "
        "kept in the cache: running the cell again reads them back and continues "
        "from this one."
    )


def _run_row(clf, seed, X, y):
    from hw04 import stats

    return {
        "seed": int(seed),
        "n_iter": int(clf.n_iter_),
        "converged": stats.converged(clf),
        "final_loss": float(clf.loss_),
        "train_error": error_rate(clf, X, y),
    }


def error_rate(clf, X, y):
    """The share of ``X`` that ``clf`` misclassifies: ``zero_one_loss`` without its
    input checks, which take longer than the prediction here."""
    return float(np.mean(clf.predict(X) != np.asarray(y)))


# n_jobs and on_chunk have defaults only for joblib, which reads the key without them.
def _train(estimator, X, y, seeds, engine, keep, environment, n_jobs=-1, on_chunk=None):
    """What the cache keeps: each chunk's estimators pickled by its worker (a few
    ``bytes`` for ``Memory`` to write), or their rows; the seconds per run; the
    engine; the exactness check. ``environment`` is only a key."""
    fits, seconds, outcome = _fit_parallel(
        estimator, X, y, seeds, engine, n_jobs, on_chunk, keep
    )
    if outcome is None or outcome.identical:
        return fits, seconds, engine, outcome
    print(
        f"On this machine the batched engine differs from sklearn for "
        f"seed {outcome.seed} ({outcome.differs}); training every seed again "
        "with sklearn's own fit."
    )
    fits, seconds, _ = _fit_parallel(
        estimator, X, y, seeds, "sklearn", n_jobs, on_chunk, keep
    )
    return fits, seconds, "sklearn", outcome


def _fit_parallel(estimator, X, y, seeds, engine, n_jobs, on_chunk, keep):
    """Fit chunks of seeds over joblib workers; the first checks exactness."""
    n_workers = max(1, min(effective_n_jobs(n_jobs), len(seeds)))
    # Lockstep groups: one per worker. Plain fits: smaller chunks, for balance.
    n_chunks = n_workers if engine == "batched" else min(len(seeds), 4 * n_workers)
    ends = [round(len(seeds) * (i + 1) / n_chunks) for i in range(n_chunks)]
    chunks = [seeds[a:b] for a, b in zip([0, *ends[:-1]], ends) if b > a]
    fits, seconds, outcome = [], [], None
    jobs = (
        delayed(_fit_chunk)(
            estimator, X, y, c, engine, engine == "batched" and i == 0, keep
        )
        for i, c in enumerate(chunks)
    )
    results = Parallel(n_jobs=n_workers, return_as="generator")(jobs)
    try:
        for chunk, (chunk_fits, secs, chunk_check) in zip(chunks, results):
            fits.append(chunk_fits)
            seconds += [secs / len(chunk)] * len(chunk)
            outcome = outcome or chunk_check
            on_chunk(len(chunk))
    finally:
        # After an interrupt, joblib stops its workers when its generator closes:
        # now, not once the traceback that still holds it is gone.
        results.close()
    return fits, seconds, outcome


def _fit_chunk(estimator, X, y, seeds, engine, check=False, keep="estimators"):
    """Fit one chunk of seeds in a worker; ``check`` its first seed."""
    start = time.perf_counter()
    # One BLAS thread: these products are too small to gain from more (same bits).
    with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if engine == "batched":
            fits, _ = lockstep.fit_sgd_lockstep(estimator, X, y, seeds)
        else:
            fits = [
                clone(estimator).set_params(random_state=s).fit(X, y) for s in seeds
            ]
        seconds = time.perf_counter() - start
        outcome = exactness_check(estimator, X, y, seeds[0]) if check else None
    if keep == "table":
        return [_run_row(clf, s, X, y) for clf, s in zip(fits, seeds)], seconds, outcome
    return pickle.dumps(fits, protocol=pickle.HIGHEST_PROTOCOL), seconds, outcome


def exactness_check(estimator, X, y, seed, epochs=CHECK_EPOCHS):
    """Train ``seed``'s first ``epochs`` epochs by the engine and by sklearn's
    ``fit``, and compare every bit they leave.

    Every epoch runs every step of the engine on every minibatch, so a rounding
    of this machine's BLAS or C library unlike sklearn's shows in its first epochs.
    """
    short = clone(estimator).set_params(max_iter=epochs)
    (ours,), _, steps = lockstep.fit_sgd_lockstep_with_steps(short, X, y, [seed])
    reference, _ = lockstep.fit_with_sklearn(short, X, y, seed)
    differs = lockstep.differences(ours, reference)
    return ExactnessCheck(seed, epochs, not differs, ", ".join(differs), steps)
