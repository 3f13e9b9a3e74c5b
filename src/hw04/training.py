"""Fit every seed of a setting, exactly as sklearn does, in one call: ``fit_seeds``.

The notebook trains each setting through :func:`fit_seeds`, which returns the
estimators of ``[clone(est).set_params(random_state=s).fit(X, y) for s in seeds]``
bit for bit, and takes care of what a cell should not show:

* the work, spread over joblib's processes (or any joblib backend, such as a Dask
  cluster): the lockstep engine of :mod:`hw04.engine.lockstep` for SGD, one group of
  seeds per worker, and sklearn's own ``fit`` in chunks of seeds for everything else;
* the exactness check: the first epochs of one run of every SGD setting trained
  by the engine and by sklearn's ``fit`` and compared bit for bit, and the
  setting trained again by ``fit`` on any difference;
* the cache of fitted runs (joblib's ``Memory``), keyed by everything that decides
  a run, including the library versions and the source of the code that trains;
* a progress bar that leaves one summary line.
"""

import pickle
import time
import warnings
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from threadpoolctl import threadpool_limits

from hw04 import sklearn_compat  # noqa: F401 (the version gate, before sklearn's MLP)

# isort: split
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from hw04 import cache
from hw04.engine import lockstep
from hw04.errors import TrainingInterrupted
from hw04.progress import ProgressLine

# How many epochs of a setting's first seed the exactness check trains both ways.
CHECK_EPOCHS = 2


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
    """What :func:`fit_seeds` returns for one setting.

    Attributes
    ----------
    estimators : list of fitted estimators, in the order of the seeds
    fit_seconds : list of float
        Wall time per run: its lockstep group's or chunk's time divided by its
        number of seeds (for runs from the cache, the time when they trained).
    engine : str
        ``'batched'`` when the lockstep engine trained the runs, else
        ``'sklearn'`` (its own ``fit`` for each seed, in chunks over processes).
    n_from_cache : int
        How many runs were read from the cache instead of trained.
    check : ExactnessCheck or None
        The exactness check of a batched setting (None for sklearn's engine).
    """

    estimators: list
    fit_seconds: list
    engine: str
    n_from_cache: int
    check: ExactnessCheck | None


def fit_seeds(
    estimator,
    X,
    y,
    seeds,
    *,
    engine="batched",
    n_jobs=-1,
    memory=None,
    check=True,
    label=None,
    progress=True,
    summary=True,
    output=None,
):
    """Fit ``estimator`` once per seed, exactly as sklearn does, only faster.

    The estimators returned are those of
    ``[clone(estimator).set_params(random_state=s).fit(X, y) for s in seeds]``,
    bit for bit. With ``engine='sklearn'`` that very list comprehension runs,
    in chunks of seeds over ``n_jobs`` processes (joblib). With
    ``engine='batched'`` an SGD ``MLPClassifier`` trains all its seeds in
    lockstep (:func:`lockstep.fit_sgd_lockstep`), one group per worker; if
    ``check``, the first group's worker also trains the first seed's first
    :data:`CHECK_EPOCHS` epochs by the engine and by sklearn's ``fit`` and compares
    the bits (:class:`ExactnessCheck`), and on any difference the setting is
    announced in one line and trained again with sklearn's ``fit``. Other
    estimators (L-BFGS) always use ``fit``; :func:`engine_declines` says whether
    the engine trains an SGD estimator here.

    Parameters
    ----------
    estimator : estimator
        Configured and unfitted; cloned for every seed.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    seeds : list of int
    engine : {'batched', 'sklearn'}, default='batched'
    n_jobs : int, default=-1
        Worker processes; the results do not depend on it.
    memory : joblib.Memory or None, default=None
        Cache of fitted runs (:func:`hw04.cache.open_cache`); None trains every time.
    check : bool, default=True
        Run the exactness check on freshly trained batched settings.
    label : str, optional
        Name of the setting in the progress bar and its summary line.
    progress : bool, default=True
        Show a progress bar while training (False: show nothing at all).
    summary : bool, default=True
        Leave one summary line when done; False leaves nothing (for a loop that
        prints its own) but the line that says an unreadable cache entry was
        trained again.
    output : hw04.progress.CellOutput, optional
        In a notebook, the cell's output that the bar and the line go into, one
        for all the calls of a loop (default: one of this call's own).

    Returns
    -------
    fits : SeedFits
    """
    return _fit_and_keep(
        estimator, X, y, seeds, "estimators", engine, n_jobs, memory, check, label,
        progress, summary, output,
    )  # fmt: skip


def fit_seeds_table(estimator, X, y, seeds, **options):
    """:func:`fit_seeds`, keeping of each run only its row of :data:`TABLE_COLUMNS`.

    The runs are the same, trained the same way (the exactness check included);
    each worker reads its runs' numbers and drops the estimators, and the cache
    keeps that table alone, so that reading it back takes a table's time, not
    that of unpickling every estimator. The keyword ``options`` are
    :func:`fit_seeds`'s.

    Returns
    -------
    fits : SeedTable
    """
    return _fit_and_keep(estimator, X, y, seeds, "table", **options)


# What fit_seeds_table keeps of a run (train_error: on the X, y it was fitted on).
TABLE_COLUMNS = ["seed", "n_iter", "converged", "final_loss", "train_error"]


@dataclass(frozen=True)
class SeedTable:
    """What :func:`fit_seeds_table` returns for one setting.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per seed, in their order: :data:`TABLE_COLUMNS` and
        ``fit_seconds`` (as in :class:`SeedFits`).
    engine, n_from_cache, check
        As in :class:`SeedFits`.
    """

    table: object
    engine: str
    n_from_cache: int
    check: ExactnessCheck | None


def run_row(clf, seed, X, y):
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
    on; :func:`fit_seeds` then trains with sklearn's ``fit`` and warns with it.
    None when the engine trains it, and for an estimator it is not for (L-BFGS),
    which sklearn's ``fit`` trains in any case.

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


def _fit_and_keep(
    estimator, X, y, seeds, keep, engine="batched", n_jobs=-1, memory=None,
    check=True, label=None, progress=True, summary=True, output=None,
):  # fmt: skip
    """:func:`fit_seeds` and :func:`fit_seeds_table`; ``keep`` says which."""
    seeds = [int(s) for s in seeds]
    label = label or f"{estimator.solver}-{estimator.activation}"
    reason = lockstep.unsupported_reason(estimator, y, X)
    batched = engine == "batched" and reason is None
    if engine == "batched" and reason and lockstep.is_sgd(estimator):
        # engine_declines's reason, computed once above (L-BFGS is not declined).
        lockstep.warn_fallback(reason, stacklevel=4)  # the notebook's call
    args = (estimator, X, y, seeds, "batched" if batched else "sklearn", check, keep)
    key = {"environment": cache.environment_key(estimator)}
    packed, unreadable = cache.read(memory, _train, args, key, ignore=_NOT_IN_KEY)
    trained = packed is None
    bar = ProgressLine(
        label, len(seeds), show=bool(progress), bar=trained, output=output
    )
    start = time.perf_counter()
    if trained:
        try:
            work = {"n_jobs": n_jobs, "on_chunk": bar.update}
            packed = cache.store(memory, _train, args, key | work, ignore=_NOT_IN_KEY)
        except KeyboardInterrupt:
            raise TrainingInterrupted(
                _interrupted_text(label, bar.done, len(seeds), memory, output)
            ) from None
        finally:
            bar.close()
    if output is not None:
        output.runs_done += len(seeds)
    fits = packed.unpack(n_from_cache=0 if trained else len(seeds))
    where = "" if trained else ", all from the cache"
    if unreadable:
        where = ", trained again: its cache entry could not be read"
    if summary or unreadable:
        bar.summary(
            f"{label}: {len(seeds)} runs in {time.perf_counter() - start:.1f} s, "
            f"{fits.engine} engine{where}."
        )
    return fits


def _interrupted_text(label, done, total, memory, output=None):
    """What an interrupt of one setting's training leaves, and how to go on.

    ``output``, the cell's :class:`hw04.progress.CellOutput`, counts the runs of
    the settings the cell finished before this one."""
    text = (
        f"Training stopped by the interrupt: {label} had {done} of {total} runs done, "
        "which are not kept (a setting is kept once all its runs are done). "
    )
    if memory is None:
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


@dataclass(frozen=True)
class _PackedFits:
    """A setting's runs as its workers returned them: what the cache keeps.

    Each worker pickles its own estimators (in parallel), so the notebook's
    process only unpickles them, once, in C; joblib's ``Memory`` writes and
    reads the few ``bytes`` objects at once (its pure-Python unpickler is much
    slower on estimators, whose loss curves are lists of NumPy scalars). With
    ``keep='table'``, the chunks are lists of rows instead.
    """

    chunks: list  # per chunk, in the order of the seeds: pickled estimators or rows
    fit_seconds: list
    engine: str
    check: ExactnessCheck | None
    keep: str = "estimators"

    def unpack(self, n_from_cache):
        if self.keep == "table":
            import pandas as pd

            table = pd.DataFrame(
                [row for chunk in self.chunks for row in chunk], columns=TABLE_COLUMNS
            )
            table["fit_seconds"] = self.fit_seconds
            return SeedTable(table, self.engine, n_from_cache, self.check)
        estimators = [clf for chunk in self.chunks for clf in pickle.loads(chunk)]
        return SeedFits(
            estimators, self.fit_seconds, self.engine, n_from_cache, self.check
        )


_NOT_IN_KEY = ["n_jobs", "on_chunk"]  # how the runs are trained, not what they are


def _train(
    estimator, X, y, seeds, engine, check, keep, environment, n_jobs=-1,
    on_chunk=None,
):  # fmt: skip
    """Train every seed and check exactness; ``environment`` is only a key."""
    check = engine == "batched" and check
    fits, seconds, outcome = _fit_parallel(
        estimator, X, y, seeds, engine, n_jobs, on_chunk, check, keep
    )
    if outcome is None or outcome.identical:
        return _PackedFits(fits, seconds, engine, outcome, keep)
    print(
        f"On this machine the batched engine differs from sklearn for "
        f"seed {outcome.seed} ({outcome.differs}); training every seed again "
        "with sklearn's own fit."
    )
    fits, seconds, _ = _fit_parallel(
        estimator, X, y, seeds, "sklearn", n_jobs, on_chunk, False, keep
    )
    return _PackedFits(fits, seconds, "sklearn", outcome, keep)


def _fit_parallel(estimator, X, y, seeds, engine, n_jobs, on_chunk, check, keep):
    """Fit chunks of seeds over joblib workers.

    Returns the chunks' estimators, each list pickled by its worker (or their
    rows), the seconds per run, and the exactness check (made by the first
    chunk's worker) or None.
    """
    n_workers = max(1, min(effective_n_jobs(n_jobs), len(seeds)))
    # Lockstep groups: one per worker. Plain fits: smaller chunks, for balance.
    n_chunks = n_workers if engine == "batched" else min(len(seeds), 4 * n_workers)
    ends = [round(len(seeds) * (i + 1) / n_chunks) for i in range(n_chunks)]
    chunks = [seeds[a:b] for a, b in zip([0, *ends[:-1]], ends) if b > a]
    fits, seconds, outcome = [], [], None
    jobs = (
        delayed(_fit_chunk)(estimator, X, y, c, engine, check and i == 0, keep)
        for i, c in enumerate(chunks)
    )
    results = Parallel(n_jobs=n_workers, return_as="generator")(jobs)
    try:
        for chunk, (chunk_fits, secs, chunk_check) in zip(chunks, results):
            fits.append(chunk_fits)
            seconds += [secs / len(chunk)] * len(chunk)
            outcome = outcome or chunk_check
            if on_chunk is not None:
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
        return [run_row(clf, s, X, y) for clf, s in zip(fits, seeds)], seconds, outcome
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
