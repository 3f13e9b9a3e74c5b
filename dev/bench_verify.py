"""Time the verification of a class against one cold run of the notebook.

    .venv/bin/python dev/bench_verify.py                 # 60 default submissions
    .venv/bin/python dev/bench_verify.py --n 6 --seeds 0 1 --no-appendix  # small

A developer's tool, not part of the package students install. It executes the
notebook once from an empty cache (the cold run), makes ``--n`` submissions of
that execution, each with one answer cell's source edited (a comment of its own,
so that no two share an execution), and times ``hw04.verify`` over them from an
empty shared cache: each submission's own execution, and the homework's notebook
once with their common parameters.
"""

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from hw04 import verify
from hw04.notebook import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "hw04.ipynb"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="submissions (default 60)")
    parser.add_argument("--seeds", type=int, nargs="+", help="default: the notebook's")
    parser.add_argument("--no-appendix", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="verify's --jobs")
    args = parser.parse_args(argv)
    parameters = {"seeds": args.seeds} if args.seeds else {}
    parameters |= {"appendix": False} if args.no_appendix else {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        parameters["results_dir"] = str(tmp / "cold" / "results")
        executed = execute_notebook(tmp / "cold", parameters, NOTEBOOK, progress=False)
        cold = time.perf_counter() - start
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
        start = time.perf_counter()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = verify.main(
                [str(folder), "--homework", str(ROOT), "--out", str(tmp / "verify"),
                 "--jobs", str(args.jobs)]
            )  # fmt: skip
        seconds = time.perf_counter() - start
    verdicts = [line for line in out.getvalue().splitlines() if ".ipynb: " in line]
    reproduce = sum(": reproduces" in line for line in verdicts)
    print(f"cold run of the notebook         {cold:7.1f} s  {parameters}")
    print(
        f"verify {args.n} submissions         {seconds:7.1f} s  "
        f"({seconds / cold:.1f}x the cold run; {(seconds - cold) / args.n:.1f} s "
        f"each beyond one cold run; {reproduce} of {len(verdicts)} reproduce, "
        f"exit {status})"
    )


if __name__ == "__main__":
    sys.exit(main())
