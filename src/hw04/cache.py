"""The on-disk cache of fitted runs: joblib's ``Memory``, keyed by all that decides
a run.

:func:`hw04.training.fit_seeds` caches each setting's runs under the call's own
arguments (data, estimator, seeds, engine) and :func:`environment_key`.
"""

import hashlib
import inspect
from pathlib import Path

import numpy as np
from joblib import Memory

# The cache's key covers, besides the call's own arguments, what decides a run
# but is not an argument: the library versions, the BLAS kernel, and the source of
# the code that trains (the training module, the engine and its kernels, the
# compatibility layer, and the module of the estimator's class, such as the
# course's L-BFGS wrapper).
_PACKAGE = Path(__file__).resolve().parent
SOURCES = (
    _PACKAGE / "training.py",
    _PACKAGE / "engine" / "lockstep.py",
    _PACKAGE / "engine" / "kernels.py",
    _PACKAGE / "sklearn_compat.py",
)


def sources(estimator):
    """The source files whose text is part of the key of ``estimator``'s runs:
    :data:`SOURCES` and the file that defines the estimator's class."""
    return (*SOURCES, Path(inspect.getsourcefile(type(estimator))))


def environment_key(estimator):
    """Versions of numpy, scipy, scikit-learn and numba, the BLAS and its kernel
    (which round the products differently), and a digest of :func:`sources`."""
    import scipy
    import sklearn

    from hw04 import reproducible

    digest = hashlib.sha256()
    for path in sources(estimator):
        digest.update(path.read_bytes())
    return {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "numba": _installed_version("numba"),
        "blas": reproducible.blas_in_use(),
        "sources": digest.hexdigest(),
    }


def _installed_version(name):
    """The version of the installed distribution ``name``, or None (without
    importing it: numba takes a while to import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def open_cache(cache_dir, clear=False):
    """A ``joblib.Memory`` for fitted runs in ``cache_dir`` (None: no cache).

    ``clear=True`` empties it first.
    """
    if cache_dir is None:
        return None
    memory = Memory(Path(cache_dir), verbose=0)
    if clear:
        memory.clear(warn=False)
    return memory


def read(memory, func, args, kwargs, ignore=()):
    """The cached result of ``func(*args, **kwargs)``, or None.

    Returns ``(result, unreadable)``: ``unreadable`` is True when an entry was
    there but could not be read (say, a file cut short), so that the caller
    trains again and says so in a line, instead of joblib's multi-line warning.
    """
    if memory is None:
        return None, False
    cached = memory.cache(func, ignore=list(ignore))
    if not cached.check_call_in_cache(*args, **kwargs):
        return None, False
    try:
        return cached.call_and_shelve(*args, **kwargs).get(), False
    except Exception:  # any failure to read the entry: it is trained again
        return None, True


def store(memory, func, args, kwargs, ignore=()):
    """Run ``func(*args, **kwargs)``, keep its result in ``memory`` (replacing an
    unreadable entry) and return it; without a cache, just run it."""
    if memory is None:
        return func(*args, **kwargs)
    output, _ = memory.cache(func, ignore=list(ignore)).call(*args, **kwargs)
    return output
