"""The cluster route: the same sweep through joblib's Dask backend."""

import time

import pytest

from hw04 import training
from hw04.notebook import homework_settings
from make_homework import NOTEBOOK


def runs_table(X, y, seeds):
    """One row per run of two settings: the numbers runs.csv keeps."""
    import pandas as pd

    rows = []
    for name in ("lbfgs-relu", "sgd-logistic"):
        est = homework_settings(NOTEBOOK)[name]
        if name.startswith("sgd"):
            est.set_params(max_iter=60)
        fits = training.SeedTrainer(n_jobs=2).fit_seeds(est, X, y, seeds)
        for seed, clf in zip(seeds, fits.estimators):
            rows.append(
                {
                    "setting": name,
                    "seed": seed,
                    "n_iter": clf.n_iter_,
                    "final_loss": clf.loss_,
                    "weights": b"".join(a.tobytes() for a in clf.coefs_),
                    "train_error": 1 - clf.score(X, y),
                }
            )
    return pd.DataFrame(rows)


def test_a_sweep_on_a_dask_cluster_equals_the_local_one(xor_data):
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_config

    X, y = xor_data[:2]
    seeds = list(range(8))
    local = runs_table(X, y, seeds)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        start = time.perf_counter()
        remote = runs_table(X, y, seeds)
        seconds = time.perf_counter() - start
    print(f"2 settings x 8 seeds on a 2-worker LocalCluster: {seconds:.1f} s")
    assert remote.equals(local)
