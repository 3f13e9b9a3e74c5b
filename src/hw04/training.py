"""Train every seed of a setting, exactly as sklearn does: :class:`SeedTrainer`.

The notebook configures one :class:`SeedTrainer` and trains each setting with
:meth:`SeedTrainer.fit_seeds`, whose estimators are those of
``[clone(est).set_params(random_state=s).fit(X, y) for s in seeds]``, bit for bit.
Around that list it does what a cell should not show:

* the work, spread over joblib's processes (or any joblib backend, such as a Dask
  cluster): the lockstep engine of :mod:`hw04.engine.lockstep` for SGD, one group of
  seeds per worker, and sklearn's own ``fit`` in chunks of seeds for everything else;
* the exactness check (:func:`exactness_check`) of every setting the engine trains,
  and the setting trained again by ``fit`` on any difference, said in one line;
* the cache of fitted runs (joblib's ``Memory``), keyed by the data, the estimator,
  the seeds, the engine and :func:`environment_key`;
* a progress bar per setting, the bars of one notebook cell in one output.
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

# The code that trains, whose text is part of the cache's key (with the module of
# the estimator's class, such as the course's L-BFGS wrapper).
_PACKAGE = Path(__file__).resolve().parent
SOURCES = (
    _PACKAGE / "training.py",
    _PACKAGE / "engine" / "lockstep.py",
    _PACKAGE / "engine" / "kernels.py",
    _PACKAGE / "sklearn_compat.py",
)
_NOT_IN_KEY = ["n_jobs", "on_chunk"]  # how the runs are trained, not what they are


@dataclass(frozen=True)
class ExactnessCheck:
    """The first epochs of one run, by the engine and by sklearn's ``fit``, compared
    bit for bit (:func:`lockstep.differences`: weights, loss curve, optimizer and
    stopping-rule state, random state)."""

    seed: int
    epochs: int
    identical: bool
    differs: str  # names of the attributes that differ, or ''
    steps: str  # how the engine ran them (see fit_sgd_lockstep_with_steps)


@dataclass(frozen=True)
class SeedFits:
    """The runs of one setting, as :meth:`SeedTrainer.fit_seeds` keeps them.

    Attributes
    ----------
    estimators : list of fitted estimators or None
        In the order of the seeds; None with ``keep='table'``.
    table : pandas.DataFrame or None
        With ``keep='table'``, one row per seed in their order:
        :data:`TABLE_COLUMNS` and ``fit_seconds``; else None.
    fit_seconds : list of float
        Wall time per run: its lockstep group's or chunk's time divided by its
        number of seeds (for runs from the cache, the time when they trained).
    engine : {'batched', 'sklearn'}
        What trained the runs: the lockstep engine, or sklearn's own ``fit``.
    n_from_cache : int
        How many runs were read from the cache instead of trained.
    check : ExactnessCheck or None
        The exactness check, where the engine trained the setting.
    """

    estimators: list | None
    table: object
    fit_seconds: list
    engine: str
    n_from_cache: int
    check: ExactnessCheck | None


class SeedTrainer:
    """Trains the seeds of each setting, configured once for all settings.

    Parameters
    ----------
    engine : {'batched', 'sklearn'}, default='batched'
        ``'batched'``: an SGD ``MLPClassifier`` trains its seeds in lockstep
        (:func:`lockstep.fit_sgd_lockstep`) unless :func:`engine_declines` it,
        which a warning then says; other estimators (L-BFGS) by sklearn's
        ``fit``. ``'sklearn'``: sklearn's ``fit`` for every estimator.
    n_jobs : int, default=-1
        joblib's worker processes; the results do not depend on it.
    cache_dir : str or Path, optional
        The folder of the cache of fitted runs; None trains every time.
    clear_cache : bool, default=False
        Empty the cache, once, when the trainer is made.

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
        """Fit ``estimator`` once per seed; keep the estimators or their table.

        Parameters
        ----------
        estimator : estimator
            Configured and unfitted; cloned for every seed.
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        seeds : iterable of int
        keep : {'estimators', 'table'}, default='estimators'
            ``'table'`` keeps of each run only its row of :data:`TABLE_COLUMNS`,
            made in the workers; the cache then holds the table alone, which reads
            back in a table's time rather than in that of unpickling estimators.
        label : str, optional
            The setting's name on its bar (default: ``'{solver}-{activation}'``).
        summary : bool, default=False
            Leave a line with the count of runs, their time and engine. The line
            that says an unreadable cache entry was trained again shows anyway.

        Returns
        -------
        fits : SeedFits

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
            lockstep.warn_fallback(reason)  # engine_declines's reason, computed once
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
        """The running cell's output, one per execution of a cell, shared by all
        its bars; None outside a kernel."""
        shell = kernel_shell()
        if shell is None:
            return None
        if self._cell[0] != shell.execution_count:
            self._cell = (shell.execution_count, CellOutput())
        return self._cell[1]


def environment_key(estimator):
    """What decides ``estimator``'s runs besides the call's own arguments.

    The versions of numpy, scipy, scikit-learn and numba, the BLAS and its kernel
    (which round the products differently), and a digest of :func:`sources`.
    """
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
    """:data:`SOURCES` and the file that defines ``estimator``'s class."""
    return (*SOURCES, Path(inspect.getsourcefile(type(estimator))))


def _read(cached, key):
    """``(result, unreadable)``: the cached result of ``cached(*key)`` or None, and
    whether an entry was there but could not be read (say, a file cut short), which
    the caller trains again and says in a line, not joblib's multi-line warning."""
    if cached is None or not cached.check_call_in_cache(*key):
        return None, False
    try:
        return cached.call_and_shelve(*key).get(), False
    except Exception:  # any failure to read the entry: it is trained again
        return None, True


def _interrupted_text(label, done, total, cached, output):
    """What an interrupt of one setting's training leaves, and how to go on.

    ``output``, the cell's :class:`hw04.progress.CellOutput` (None outside a
    kernel), counts the runs of the settings the cell finished before this one."""
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
    """One run's row of :data:`TABLE_COLUMNS`, from a fitted estimator."""
    from hw04 import stats

    return {
        "seed": int(seed),
        "n_iter": int(clf.n_iter_),
        "converged": stats.converged(clf),
        "final_loss": float(clf.loss_),
        "train_error": error_rate(clf, X, y),
    }


def engine_declines(estimator, X=None, y=None):
    """Why the batched engine will not train the SGD ``estimator`` here, or None.

    The reason is a sentence naming an option the engine does not cover, the
    data (``X``, ``y``, when given) or the scikit-learn release it is not verified
    on; :meth:`SeedTrainer.fit_seeds` then trains with sklearn's ``fit`` and warns
    with it. None when the engine trains it, and for an estimator it is not for
    (L-BFGS), which sklearn's ``fit`` trains in any case.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> engine_declines(MLPClassifier(solver="sgd", early_stopping=True))
    'early_stopping=True is not supported'
    >>> engine_declines(MLPClassifier(solver="lbfgs")) is None
    True
    """
    if not lockstep.is_sgd(estimator):
        return None
    return lockstep.unsupported_reason(estimator, y, X)


def error_rate(clf, X, y):
    """The share of the points ``X`` that ``clf`` misclassifies (sklearn's
    ``zero_one_loss``, without its input checks, which take longer than the
    prediction for a network this small)."""
    return float(np.mean(clf.predict(X) != np.asarray(y)))


# n_jobs and on_chunk have defaults only for joblib, which reads the key without them.
def _train(estimator, X, y, seeds, engine, keep, environment, n_jobs=-1, on_chunk=None):
    """Train every seed and check exactness; ``environment`` is only a key, and
    ``on_chunk(n)`` is called as each chunk of ``n`` seeds is done.

    Returns what the cache keeps: the chunks' estimators, each list pickled by its
    worker (joblib's ``Memory`` writes and reads a few ``bytes`` at once, and this
    process unpickles them in C), or their rows; the seconds per run; the engine
    that trained them; the exactness check.
    """
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
    """Fit chunks of seeds over joblib workers.

    Returns the chunks' estimators, each list pickled by its worker (or their
    rows), the seconds per run, and the exactness check (made by the first
    chunk's worker, where the engine trains) or None.
    """
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
    """Fit one chunk of seeds, the unit of work of a process; maybe check.

    Returns the estimators pickled (or, with ``keep='table'``, their rows), the
    seconds they took, and, if ``check``, the :class:`ExactnessCheck` of the
    chunk's first seed.
    """
    start = time.perf_counter()
    # One BLAS thread: these products are far too small to gain from more, and on
    # a busy machine OpenBLAS's threads made an L-BFGS fit 5-10x slower (same bits).
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
    """Train ``seed``'s first ``epochs`` epochs by the engine and by sklearn's own
    ``fit``, and compare every bit they leave.

    Exactness rests on this machine's BLAS and C library rounding as sklearn's
    numpy and scipy calls do. Every epoch runs every step the engine has (each
    product, activation, loss term, update, shuffle) on every minibatch, so a
    difference in any of them shows in the first epochs' weights and losses, for
    a small share of a setting's time; what differs only later (the schedule and
    the stopping rule) is the same Python arithmetic on either side.
    """
    short = clone(estimator).set_params(max_iter=epochs)
    (ours,), _, steps = lockstep.fit_sgd_lockstep_with_steps(short, X, y, [seed])
    reference, _ = lockstep.fit_with_sklearn(short, X, y, seed)
    differs = lockstep.differences(ours, reference)
    return ExactnessCheck(seed, epochs, not differs, ", ".join(differs), steps)
