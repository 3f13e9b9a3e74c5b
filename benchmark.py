"""Time the homework's 64-fit sweep three ways, and the whole notebook, in one run.

    python3 build.py bench            # the full benchmark (about four minutes)
    python3 build.py bench --seeds 4  # a quicker, rougher one

Every figure is measured in this run on this machine, and every speed-up is a
ratio against a baseline measured in this same run:

* baseline: the starter's way, one sklearn ``fit`` after another;
* joblib: sklearn's own ``fit`` spread over processes (``engine='sklearn'``);
* package: this package's way (``engine='batched'``, SGD seeds in lockstep);
* the whole default notebook without the appendix, executed by papermill from a
  fresh kernel, against the sequential sklearn SGD sweep alone.

The last line reads ``sweep speed-up vs sequential sklearn: N.Nx``.
"""

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from joblib import cpu_count
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

import hw04_runs

ROOT = Path(__file__).resolve().parent


def sequential_sweep(estimators, X, y, seeds):
    """The starter's way; return seconds per setting."""
    seconds = {}
    for est in estimators:
        start = time.perf_counter()
        for seed in seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clone(est).set_params(random_state=seed).fit(X, y)
        seconds[hw04_runs.setting_name(est)] = time.perf_counter() - start
    return seconds


def timed_sweep(estimators, X, y, seeds, engine):
    start = time.perf_counter()
    runs = hw04_runs.run_sweep(
        estimators, X, y, seeds, n_jobs=-1, engine=engine, progress=False
    )
    total = time.perf_counter() - start
    per_setting = {name: sum(r.fit_seconds for r in rs) for name, rs in runs.items()}
    return total, per_setting


def notebook_seconds(seeds):
    """Wall time of the default notebook without the appendix, fresh kernel."""
    import papermill

    import build

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        papermill.execute_notebook(
            str(ROOT / "hw04.ipynb"),
            str(Path(tmp) / "hw04.ipynb"),
            parameters={"appendix": False, "results_dir": tmp, "seeds": seeds},
            cwd=str(ROOT),
            kernel_name=build.kernel_name(),
            progress_bar=False,
        )
        return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=16, help="seeds per setting")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    X, y, _, _ = hw04_runs.load_xor_data()
    estimators = list(hw04_runs.homework_settings().values())
    n_fits = len(seeds) * len(estimators)
    print(f"{n_fits} fits ({len(seeds)} seeds x 4 settings) on {cpu_count()} cores\n")

    # Start the worker processes once, so that no method pays for their start.
    hw04_runs.run_sweep(estimators[:1], X, y, [0], n_jobs=-1, progress=False)

    base = sequential_sweep(estimators, X, y, seeds)
    base_total = sum(base.values())
    base_sgd = base["sgd-relu"] + base["sgd-logistic"]
    joblib_total, _ = timed_sweep(estimators, X, y, seeds, "sklearn")
    ours_total, ours = timed_sweep(estimators, X, y, seeds, "batched")
    nb_total = notebook_seconds(seeds)

    print(f"{'setting':16s} {'sequential sklearn':>19s} {'package (CPU s)':>16s}")
    for name, secs in base.items():
        print(f"{name:16s} {secs:17.2f} s {ours[name]:14.2f} s")
    print()
    rows = [
        ("sequential sklearn (baseline)", base_total),
        ("sklearn fit over processes (joblib)", joblib_total),
        ("package: batched SGD + processes", ours_total),
    ]
    for label, secs in rows:
        print(f"{label:38s} {secs:7.2f} s  {base_total / secs:6.1f}x")
    print(
        f"\nbatched engine vs joblib over processes: {joblib_total / ours_total:.1f}x"
    )
    print(
        f"whole notebook (no appendix) {nb_total:.1f} s vs sequential sklearn SGD "
        f"sweep {base_sgd:.1f} s: {base_sgd / nb_total:.1f}x"
    )
    print(f"sweep speed-up vs sequential sklearn: {base_total / ours_total:.1f}x")


if __name__ == "__main__":
    main()
