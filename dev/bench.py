"""Time the homework on this machine: a developer's tool, outside the package.

    python3 make_homework.py bench [--repeat 3]    # a rerun against its floor
    python3 make_homework.py bench engine [--seeds 16 256] [--repeat 3]
    python3 make_homework.py bench verify [--n 60] [--seeds 0 1] [--no-appendix]

notebook (the default) and verify: what each times, and the targets, in docs/speed.md.

engine: each SGD setting with 2, 4 and 8 hidden units and each number of seeds,
trained by ``lockstep.fit_sgd_lockstep`` along each path the engine takes for it,
back to back in each repeat, bits checked: median CPU seconds (one BLAS thread),
sums over a rerun's and an appendix's runs, and each path's first fit in a fresh
process (numba loading its cache).
"""

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import product
from pathlib import Path

from sklearn.base import clone
from threadpoolctl import threadpool_limits

from hw04 import inputs, training, verify
from hw04.engine import lockstep
from hw04.notebook import execute_notebook, homework_settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "hw04.ipynb"
LABELS = {"warm": "from the cache", "new seeds": "16 new, appendix cached"}


def timed(clock, func, *args, **kwargs):
    """``(seconds by clock, what func returned)``."""
    start = clock()
    result = func(*args, **kwargs)
    return clock() - start, result


def run_seconds(notebook, results, **parameters):
    """Seconds to execute ``notebook`` with ``parameters`` into ``results``."""
    parameters["results_dir"] = str(results)
    return timed(
        time.perf_counter, execute_notebook, results / "out", parameters, notebook,
        progress=False, folder=ROOT,
    )  # fmt: skip


def spread(values):
    return f"{statistics.median(values):6.1f} s ({min(values):.1f}-{max(values):.1f})"


# ------------------------------------------------------------------ notebook


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
    """Per SGD setting, the exactness check's share of its training of ``seeds``,
    each time the median of ``repeat`` (a difference of two would drown it)."""
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
            for key, func, args in (
                ("setting", trainer.fit_seeds, seeds),
                ("check", training.exactness_check, seeds[0]),
            ):
                times[key].append(timed(time.perf_counter, func, est, X, y, args)[0])
        setting, check = (statistics.median(times[k]) for k in ("setting", "check"))
        shares[name] = check / setting, setting
    return shares


def slowest_cells(executed, n=5):
    """Lines for the ``n`` slowest code cells of an executed notebook, by the
    seconds papermill records for each, and the rest together."""
    cells = json.loads(Path(executed).read_text())["cells"]
    timed_cells = [
        (c["metadata"].get("papermill", {}).get("duration") or 0.0, c["source"])
        for c in cells
        if c["cell_type"] == "code"
    ]
    timed_cells.sort(key=lambda pair: -pair[0])
    lines = [
        f"    {s:5.2f} s  {''.join(src).strip().splitlines()[0][:60]}"
        for s, src in timed_cells[:n]
    ]
    rest = sum(s for s, _ in timed_cells[n:])
    return [*lines, f"    {rest:5.2f} s  the other {len(timed_cells) - n} code cells"]


def bench_notebook(args):
    times = {"floor": [], "warm": [], "new seeds": []}
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        floor = floor_notebook(results)
        cold, _ = run_seconds(NOTEBOOK, results, cache="clear")
        for k in range(args.repeat):
            times["floor"].append(run_seconds(floor, results)[0])
            times["warm"].append(run_seconds(NOTEBOOK, results)[0])
            seeds = list(range(16 * (k + 1), 16 * (k + 2)))
            times["new seeds"].append(run_seconds(NOTEBOOK, results, seeds=seeds)[0])
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


# -------------------------------------------------------------------- engine


def paths_for(est, X, y):
    """The paths of :data:`lockstep.STEPS` that the engine takes for ``est`` here."""
    short = clone(est).set_params(max_iter=1)
    fit = lockstep.fit_sgd_lockstep_with_steps  # its [2]: the path the epochs took
    return [p for p in lockstep.STEPS if fit(short, X, y, [0], p)[2] == p]


def median_seconds(est, X, y, seeds, repeat):
    """Per path the engine may take, the median CPU seconds of ``repeat`` fits of
    ``seeds``, the paths back to back in each repeat; every path's bits checked."""
    paths, seeds = paths_for(est, X, y), list(seeds)
    times = {p: [] for p in paths}
    for _ in range(repeat):
        fits = {}
        for p in paths:
            seconds, (fits[p], _) = timed(
                time.process_time, lockstep.fit_sgd_lockstep, est, X, y, seeds, p
            )
            times[p].append(seconds)
        for p in paths:
            for ours, ref in zip(fits[p], fits["numpy"]):
                assert not lockstep.differences(ours, ref), p
    return {p: statistics.median(t) for p, t in times.items()}


def first_fit_seconds(path, repeat=3):
    """CPU seconds of a fresh process that fits one seed for one epoch along
    ``path``, the median of ``repeat``."""
    code = (
        "from hw04.notebook import homework_settings; from hw04 import inputs;"
        "from hw04.engine import lockstep;"
        "est = homework_settings('hw04.ipynb')['sgd-relu'].set_params(max_iter=1);"
        "X, y, _, _ = inputs.load_xor_data(homework_dir='.');"
        f"lockstep.fit_sgd_lockstep(est, X, y, [0], {path!r})"
    )
    fit = [sys.executable, "-c", code]
    return statistics.median(
        timed(_children_cpu, subprocess.run, fit, cwd=ROOT, check=True)[0]
        for _ in range(repeat)
    )


def _children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_engine(args):
    X, y, _, _ = inputs.load_xor_data(homework_dir=ROOT)
    settings = homework_settings(NOTEBOOK)
    totals = {n: [] for n in args.seeds}
    print(f"{time.strftime('%Y-%m-%d')}, CPU seconds, medians of {args.repeat}")
    with threadpool_limits(1):
        for units, n_seeds, name in product((2, 4, 8), args.seeds, settings):
            if settings[name].solver != "sgd":
                continue
            est = clone(settings[name]).set_params(hidden_layer_sizes=[units])
            med = median_seconds(est, X, y, range(1000, 1000 + n_seeds), args.repeat)
            cells = "  ".join(
                f"{p} {med[p]:6.2f} s ({med['numpy'] / med[p]:4.1f}x)" for p in med
            )
            print(f"{units} units {name:13s} {n_seeds:3d} seeds  {cells}")
            # A rerun trains 16 new seeds of 2 units; the appendix all widths.
            if units == 2 or n_seeds > 16:
                totals[n_seeds].append(med)
    for n_seeds, meds in totals.items():
        sums = {p: sum(med[p] for med in meds) for p in lockstep.STEPS}
        cells = "  ".join(f"{p} {s:7.2f} s" for p, s in sums.items())
        of = " of 2 units" if n_seeds == 16 else ""
        print(f"sums over the {n_seeds}-seed runs above{of}: {cells}")
    loads = {p: first_fit_seconds(p) for p in lockstep.STEPS}
    cells = "  ".join(
        f"{p} {loads[p] - loads['numpy']:+.2f} s" for p in lockstep.STEPS[:-1]
    )
    print(f"first fit in a fresh process (numpy path {loads['numpy']:.2f} s): {cells}")


# -------------------------------------------------------------------- verify


def bench_verify(args):
    parameters = {"seeds": args.seeds} if args.seeds else {}
    parameters |= {"appendix": False} if args.no_appendix else {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        parameters["results_dir"] = str(tmp / "cold" / "results")
        cold, executed = timed(
            time.perf_counter, execute_notebook, tmp / "cold", parameters, NOTEBOOK,
            progress=False,
        )  # fmt: skip
        nb = json.loads(executed.read_text())
        answers = [c for c in nb["cells"] if "answer" in c["metadata"].get("tags", [])]
        folder = tmp / "class"
        folder.mkdir()
        for i in range(args.n):
            cell = answers[i % len(answers)]
            source = cell["source"]
            cell["source"] = f"# edited by student {i}\n" + "".join(source)
            (folder / f"student{i:02d}.ipynb").write_text(json.dumps(nb))
            cell["source"] = source
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            seconds, status = timed(
                time.perf_counter, verify.main,
                [str(folder), "--homework", str(ROOT), "--out", str(tmp / "verify"),
                 "--jobs", str(args.jobs)],
            )  # fmt: skip
    verdicts = [line for line in out.getvalue().splitlines() if ".ipynb: " in line]
    reproduce = sum(": reproduces" in line for line in verdicts)
    print(f"cold run of the notebook         {cold:7.1f} s  {parameters}")
    print(
        f"verify {args.n} submissions         {seconds:7.1f} s  "
        f"({seconds / cold:.1f}x the cold run; {(seconds - cold) / args.n:.1f} s "
        f"each beyond one cold run; {reproduce} of {len(verdicts)} reproduce, "
        f"exit {status})"
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("notebook", "engine", "verify", "-h", "--help"):
        argv = ["notebook", *argv]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    notebook = sub.add_parser("notebook", help="a rerun against its floor")
    notebook.add_argument("--repeat", type=int, default=3, help="runs of each figure")
    engine = sub.add_parser("engine", help="the SGD engine's paths")
    engine.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    engine.add_argument("--seeds", type=int, nargs="+", default=[16, 256])
    check = sub.add_parser("verify", help="verifying a class against a cold run")
    check.add_argument("--n", type=int, default=60, help="submissions (default 60)")
    check.add_argument("--seeds", type=int, nargs="+", help="default: the notebook's")
    check.add_argument("--no-appendix", action="store_true")
    check.add_argument("--jobs", type=int, default=2, help="verify's --jobs")
    args = parser.parse_args(argv)
    runs = {"notebook": bench_notebook, "engine": bench_engine, "verify": bench_verify}
    runs[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
