"""Time the exact SGD engine's two paths on the homework's SGD runs, in one process.

    python3 make_homework.py bench --engine --seeds 16 --repeat 5  # a few minutes
    python3 make_homework.py bench --engine --seeds 256 --repeat 1  # about 10

A developer's tool, not part of the package students install. For each SGD setting
of the notebook with 2, 4 and 8 hidden units (the appendix's widths), it trains 16
seeds (a rerun's new seeds) and 256 (an appendix setting) by
``lockstep.fit_sgd_lockstep`` along each path the engine takes for it, the paths
back to back within each repeat so that they share the machine's load; checks that
both leave the same bits; and prints each path's median CPU seconds (one BLAS
thread), its speed-up over the reference, and the sums over the 2-unit 16-seed runs
(a rerun's new work) and over the 256-seed runs (the bulk of a cold run). Each
path's first fit in a fresh process, where numba loads its kernels from its cache,
is timed apart.
"""

import argparse
import statistics
import subprocess
import sys
import time
from itertools import product
from pathlib import Path

from sklearn.base import clone
from threadpoolctl import threadpool_limits

from hw04 import inputs
from hw04.engine import lockstep
from hw04.notebook import homework_settings

STEPS = lockstep.STEPS  # the reference, numpy, last
ROOT = Path(__file__).resolve().parents[1]


def paths_for(est, X, y):
    """The paths of :data:`lockstep.STEPS` that the engine takes for ``est`` here."""
    short = clone(est).set_params(max_iter=1)
    ran = [lockstep.fit_sgd_lockstep_with_steps(short, X, y, [0], p)[2] for p in STEPS]
    return [p for p, r in zip(STEPS, ran) if p == r]


def cpu_seconds(est, X, y, seeds, path):
    start = time.process_time()
    fits, _ = lockstep.fit_sgd_lockstep(est, X, y, seeds, path)
    return time.process_time() - start, fits


def first_fit_seconds(path, repeat=3):
    """CPU seconds of a fresh process that imports the engine and fits one seed for
    one epoch along ``path``, the median of ``repeat``; the numpy path's loads no
    kernel."""
    code = (
        "import sys; sys.path.insert(0, 'dev'); import bench_engine as b;"
        "from hw04.notebook import homework_settings; from hw04 import inputs;"
        "est = homework_settings('hw04.ipynb')['sgd-relu'].set_params(max_iter=1);"
        "X, y, _, _ = inputs.load_xor_data(homework_dir='.');"
        f"b.cpu_seconds(est, X, y, [0], {path!r})"
    )
    times = []
    for _ in range(repeat):
        start = time.process_time(), _children_cpu()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(_children_cpu() - start[1])
    return statistics.median(times)


def _children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing")
    parser.add_argument("--seeds", type=int, nargs="+", default=[16, 256])
    args = parser.parse_args(argv)
    X, y, _, _ = inputs.load_xor_data(homework_dir=ROOT)
    settings = homework_settings(ROOT / "hw04.ipynb")
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
        sums = {p: sum(med[p] for med in meds) for p in STEPS}
        cells = "  ".join(f"{p} {s:7.2f} s" for p, s in sums.items())
        of = " of 2 units" if n_seeds == 16 else ""
        print(f"sums over the {n_seeds}-seed runs above{of}: {cells}")
    loads = {p: first_fit_seconds(p) for p in STEPS}
    cells = "  ".join(f"{p} {loads[p] - loads['numpy']:+.2f} s" for p in STEPS[:-1])
    print(f"first fit in a fresh process (numpy path {loads['numpy']:.2f} s): {cells}")
    return 0


def median_seconds(est, X, y, seeds, repeat):
    """Per path the engine may take, the median CPU seconds of ``repeat`` fits of
    ``seeds``, the paths back to back in each repeat; every path's bits checked."""
    paths, seeds = paths_for(est, X, y), list(seeds)
    times = {p: [] for p in paths}
    for _ in range(repeat):
        fits = {}
        for p in paths:
            seconds, fits[p] = cpu_seconds(est, X, y, seeds, p)
            times[p].append(seconds)
        for p in paths:
            for ours, ref in zip(fits[p], fits["numpy"]):
                assert not lockstep.differences(ours, ref), p
    return {p: statistics.median(t) for p, t in times.items()}


if __name__ == "__main__":
    sys.exit(main())
