"""Time a rerun of the homework against its floor, on this machine, in one run.

    python3 make_homework.py bench             # about five minutes on two cores
    python3 make_homework.py bench --repeat 1  # quicker, rougher
    python3 make_homework.py bench --engine    # the SGD engine's paths instead

A developer's tool, not part of the package students install. Every notebook run
goes through papermill from a fresh kernel, as ``python3 make_homework.py`` runs
it, into one results folder, so that runs after the first find its cache:

* floor: the notebook's cells up to its ``parameters`` cell (the imports), which
  every run pays before any work;
* cold: the default notebook, appendix included, from an empty cache (once);
* warm: the same again, every run from the cache (target: at most 2x the floor);
* new seeds: 16 seeds not run before, the appendix from the cache (target: at
  most 4x the floor), the rerun the course asks for;
* the exactness check: each SGD setting's 16 new seeds trained by
  ``SeedTrainer.fit_seeds`` with and without its check; its share of the time
  (target: at most 10 %).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hw04 import inputs, training
from hw04.notebook import execute_notebook, homework_settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "hw04.ipynb"


def run_seconds(notebook, results, **parameters):
    """Seconds to execute ``notebook`` with ``parameters`` into ``results``."""
    start = time.perf_counter()
    parameters["results_dir"] = str(results)
    execute_notebook(results / "out", parameters, notebook, progress=False, folder=ROOT)
    return time.perf_counter() - start


def floor_notebook(folder):
    """The notebook's cells up to its ``parameters`` cell, written into ``folder``."""
    nb = json.loads(NOTEBOOK.read_text())
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    nb["cells"] = nb["cells"][
        : next(i for i, t in enumerate(tags) if "parameters" in t) + 1
    ]
    path = Path(folder) / "floor.ipynb"
    path.write_text(json.dumps(nb))
    return path


def check_share(seeds, repeat=5):
    """The exactness check's share of each SGD setting's training of ``seeds``: the
    check's own time (``training.exactness_check``) against the setting's, each the
    median of ``repeat`` (a difference of two noisy timings would drown it)."""
    X, y, _, _ = inputs.load_xor_data(homework_dir=ROOT)
    shares = {}
    for name, est in homework_settings(NOTEBOOK).items():
        if est.solver != "sgd":
            continue
        # Workers started and kernels loaded first, so no timing pays for it.
        trainer = training.SeedTrainer()
        trainer.fit_seeds(est, X, y, seeds[:2])
        times = {"setting": [], "check": []}
        for _ in range(repeat):
            start = time.perf_counter()
            trainer.fit_seeds(est, X, y, seeds)
            times["setting"].append(time.perf_counter() - start)
            start = time.perf_counter()
            training.exactness_check(est, X, y, seeds[0])
            times["check"].append(time.perf_counter() - start)
        setting, check = (statistics.median(times[k]) for k in ("setting", "check"))
        shares[name] = check / setting, setting
    return shares


LABELS = {"warm": "from the cache", "new seeds": "16 new, appendix cached"}


def slowest_cells(executed, n=5):
    """Lines for the ``n`` slowest code cells of an executed notebook, by the
    seconds papermill records for each, and the rest together."""
    cells = json.loads(Path(executed).read_text())["cells"]
    timed = [
        (c["metadata"].get("papermill", {}).get("duration") or 0.0, c["source"])
        for c in cells
        if c["cell_type"] == "code"
    ]
    timed.sort(key=lambda pair: -pair[0])
    lines = [
        f"    {s:5.2f} s  {''.join(src).strip().splitlines()[0][:60]}"
        for s, src in timed[:n]
    ]
    rest = sum(s for s, _ in timed[n:])
    return [*lines, f"    {rest:5.2f} s  the other {len(timed) - n} code cells"]


def spread(values):
    return f"{statistics.median(values):6.1f} s ({min(values):.1f}-{max(values):.1f})"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--engine" in argv:
        import bench_engine  # beside this script

        return bench_engine.main([a for a in argv if a != "--engine"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure")
    args = parser.parse_args(argv)
    times = {"floor": [], "warm": [], "new seeds": []}
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        floor = floor_notebook(results)
        cold = run_seconds(NOTEBOOK, results, cache="clear")
        for k in range(args.repeat):
            times["floor"].append(run_seconds(floor, results))
            times["warm"].append(run_seconds(NOTEBOOK, results))
            seeds = list(range(16 * (k + 1), 16 * (k + 2)))
            times["new seeds"].append(run_seconds(NOTEBOOK, results, seeds=seeds))
            last = times["new seeds"][-1]
            lines = [f"  where the last new-seeds run's {last:.1f} s go"]
            lines += slowest_cells(results / "out" / NOTEBOOK.name)
    shares = check_share(list(range(16 * (args.repeat + 1), 16 * (args.repeat + 2))))
    base = statistics.median(times["floor"])
    print(f"{time.strftime('%Y-%m-%d')}, medians of {args.repeat} (fastest-slowest)")
    print(f"floor (cells up to the parameters cell) {spread(times['floor'])}")
    print(f"cold (empty cache, appendix on)         {cold:6.1f} s")
    for key, target in (("warm", 2), ("new seeds", 4)):
        ratio = statistics.median(times[key]) / base
        met = "met" if ratio <= target else "NOT met"
        label = f"{key} ({LABELS[key]})"
        print(
            f"{label:39s} {spread(times[key])} {ratio:.1f}x floor (<= {target}x) {met}"
        )
    print("\n".join(lines))
    for name, (share, seconds) in shares.items():
        met = "met" if share <= 0.10 else "NOT met"
        print(
            f"check's share of {name} (16 new seeds, {seconds:.1f} s)  {share:6.1%} "
            f"(<= 10 %) {met}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
