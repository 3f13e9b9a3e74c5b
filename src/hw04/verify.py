"""Verify submissions: re-execute each, say which reproduce and, where not, why.

``python -m hw04.verify [--homework DIR] [--out DIR] PATH...``: each PATH a
submitted ``.ipynb``, a folder of them (a Gradescope export), or a PDF after its
notebook (a PDF of the same stem beside a notebook is found by itself). Each
submission's own code runs again in a fresh kernel, in a temporary copy of the
homework's folder, with its own parameters and a results folder all share; its
outputs and record (:mod:`hw04.record`) are compared with the saved ones. Where
its code cells differ from the homework's notebook, that notebook runs too with
its parameters, to say what the edits change. Submissions with the same code and
parameters share one execution. Exit status: 0 when all reproduce, 1 when any
differs or timed out, 2 when a PATH is not a notebook of this homework.
"""

import argparse
import csv
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from hw04 import record, reproducible

NOTICE = (
    "Verifying executes each submission's own code, as nbgrader's autograding does; "
    "this is not a sandbox: run it in a container for code you do not trust."
)
# What a copy of the homework's folder holds besides the notebook.
COURSE_FILES = ("MLPClassifierWithSolverLBFGS.py", "viz_tools_for_binary_classifier.py",
                "data_xor", "COLLABORATORS.txt")  # fmt: skip
# The parameters that change the numbers (results_dir, n_jobs and cache do not).
RESULT_PARAMETERS = ("seeds", "data_dir", "appendix", "appendix_seeds")
INJECTED = "injected-parameters"  # papermill's tag for the cell it adds
TOLERANCE = 1e-6  # relative: a difference within it is rounding, beyond it a path
# Outputs no execution repeats: timings, cache counts, the upload checks (they read
# the student's folder), fit_seconds, images (their runs are compared instead), the
# bit probe (the record's is compared).
_SECONDS = re.compile(r"\d+(\.\d+)? s\b")
_VOLATILE_LINES = ("from the cache", "Bit probe", "Before uploading", "Ready to upload")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class NotHomework(Exception):
    """A PATH that is not a notebook of this homework; the message says why."""


@dataclass
class Submission:
    """A submitted notebook, its PDF (or None) and what verifying it found."""

    path: Path
    pdf: Path | None
    nb: dict
    homework: Path | None = None  # the homework's folder, where it was verified
    own: object = None  # its re-execution: a notebook, or ("stopped"/"timed out", why)
    shipped: object = None  # the homework's notebook with its parameters, if needed
    verdict: str = ""
    details: list = field(default_factory=list)


# ----------------------------------------------------------------- reading


def _code_cells(nb):
    """The code cells, without the parameters cell papermill injects."""
    return [
        c for c in nb["cells"] if c["cell_type"] == "code" and INJECTED not in _tags(c)
    ]


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _text(value):  # a source or an output's text, as a string or a list of lines
    return value if isinstance(value, str) else "".join(value)


def read_submission(path):
    """The notebook at ``path`` as nbformat reads it; raise :class:`NotHomework`."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat raises many kinds for a file that is not one
        why = f"{path}: not a Jupyter notebook ({type(err).__name__})."
        raise NotHomework(why) from None
    tags = {t for c in nb.cells for t in _tags(c)}
    missing = [t for t in ("parameters", "record") if t not in tags]
    if missing:
        raise NotHomework(
            f"{path}: not a notebook of this homework (no cell tagged "
            f"{' or '.join(map(repr, missing))})."
        )
    return nb


def collect(paths):
    """``(submissions, refusals)`` from the command line's PATHs."""
    found, refused = [], []
    for path in map(Path, paths):
        if path.suffix.lower() == ".pdf":
            if found and found[-1].path.suffix == ".ipynb" and path.is_file():
                found[-1].pdf = path
            else:
                refused.append(f"{path}: a PDF needs its notebook before it.")
            continue
        notebooks = [path]
        if path.is_dir():
            every = path.rglob("*.ipynb")
            notebooks = sorted(p for p in every if ".ipynb_checkpoints" not in p.parts)
        if not notebooks:
            refused.append(f"{path}: a folder without any .ipynb file.")
        for notebook in notebooks:
            if not notebook.is_file():
                refused.append(f"{notebook}: no such file.")
                continue
            try:
                nb = read_submission(notebook)
            except NotHomework as err:
                refused.append(str(err))
                continue
            pdf = notebook.with_suffix(".pdf")
            found.append(Submission(notebook, pdf if pdf.is_file() else None, nb))
    return found, refused


def saved_record(nb):
    """The record the notebook's record cell displayed, or None."""
    for cell in nb["cells"]:
        if "record" in _tags(cell):
            for output in cell.get("outputs", []):
                if record.MIME in output.get("data", {}):
                    return output["data"][record.MIME]
    return None


# -------------------------------------------------------------- executing


def _key(nb, parameters):
    sources = [_text(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    blob = json.dumps([sources, parameters], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def execute(nb, parameters, homework, timeout):
    """Run ``nb`` with papermill in a temporary copy of the homework's folder.

    Returns the executed notebook, or ``(verdict, why)`` where it stopped
    (``'stopped'``) or a cell ran past ``timeout`` seconds (``'timed out'``).
    """
    import nbformat
    import papermill

    from hw04.notebook import execution_options

    with tempfile.TemporaryDirectory(prefix="hw04-verify-") as tmp:
        folder = Path(tmp)
        for name in COURSE_FILES:
            source = Path(homework) / name
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__")
                shutil.copytree(source, folder / name, ignore=ignore)
            elif source.is_file():
                shutil.copyfile(source, folder / name)
        notebook = folder / "hw04.ipynb"
        nbformat.write(nbformat.from_dict(nb), notebook)
        try:
            papermill.execute_notebook(
                str(notebook), str(folder / "executed.ipynb"),
                parameters=parameters, progress_bar=False,
                request_save_on_cell_execute=False, execution_timeout=timeout,
                **execution_options(notebook),
            )  # fmt: skip
        except papermill.PapermillExecutionError as err:
            return "stopped", f"cell {err.exec_count}: {err.ename}: {err.evalue}"
        except TimeoutError:
            return "timed out", f"a cell ran past {timeout} s"
        except Exception as err:  # the kernel died or would not start
            return "stopped", f"{type(err).__name__}: {err}"
        return nbformat.read(folder / "executed.ipynb", as_version=4)


def _execute_all(jobs, homework, timeout, n_jobs, done):
    """Execute each distinct job ``{key: (nb, parameters)}`` not in ``done``."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    todo = {k: job for k, job in jobs.items() if k not in done}
    if not todo:
        return
    tasks = (delayed(execute)(*job, homework, timeout) for job in todo.values())
    results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    bar = tqdm(results, total=len(todo), desc="executions", unit="nb")
    done.update(zip(todo, bar))


def _own_parameters(nb, results_dir):
    """papermill's parameters that re-run ``nb`` as it ran: those it was given
    (which papermill's new cell replaces) and the shared results folder."""
    given = nb.get("metadata", {}).get("papermill", {}).get("parameters", {})
    return {**given, "results_dir": str(results_dir)}


def edited_cells(nb, shipped):
    """Names of the code cells of ``nb`` whose source differs from ``shipped``'s
    (the parameters cells aside): ``['code cell 7', ...]``."""

    def numbered(notebook):
        cells = enumerate(_code_cells(notebook), start=1)
        return [(i, _text(c["source"]).strip()) for i, c in cells
                if "parameters" not in _tags(c)]  # fmt: skip

    numbers, mine = zip(*numbered(nb)) if numbered(nb) else ((), ())
    theirs, named = [source for _, source in numbered(shipped)], []
    matcher = difflib.SequenceMatcher(a=theirs, b=mine, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op in ("replace", "insert"):
            named += [f"code cell {numbers[i]}" for i in range(b0, b1)]
        if op == "delete" or (op == "replace" and a1 - a0 > b1 - b0):
            named.append(f"{a1 - a0 - (b1 - b0)} code cell(s) removed")
    return named


# -------------------------------------------------------------- comparing


def runs_difference(saved, new):
    """How two runs tables (a record's CSV text) differ, or '' when identical."""
    import numpy as np
    import pandas as pd

    if saved == new:
        return ""
    a, b = pd.read_csv(io.StringIO(saved)), pd.read_csv(io.StringIO(new))
    keys = ["setting", "seed"]
    if list(a.columns) != list(b.columns):
        return "the runs tables have other columns"
    if a[keys].values.tolist() != b[keys].values.tolist():
        seeds = (_list(sorted(set(t["seed"]))) for t in (a, b))
        return "other runs: seeds {} against {}".format(*seeds)
    parts, beyond = [], False
    for setting, rows in a.groupby("setting", sort=False):
        other = b.loc[rows.index]
        unequal = (rows != other) & ~(rows.isna() & other.isna())
        columns = [c for c in a.columns if unequal[c].any()]
        if not columns:
            continue
        seeds = rows.loc[unequal.any(axis=1), "seed"].tolist()
        parts.append(f"{setting} seeds {_list(seeds)}: {', '.join(columns)}")
        for c in columns:
            x, y = rows[c].to_numpy(), other[c].to_numpy()
            numeric = np.issubdtype(x.dtype, np.number) and x.dtype != bool
            close = numeric and np.allclose(x, y, rtol=TOLERANCE, equal_nan=True)
            beyond = beyond or not close
    within = "beyond" if beyond else "within"
    return f"{'; '.join(parts)} ({within} a relative {TOLERANCE:g})"


def _list(values):
    values = [str(v) for v in values]
    return ", ".join(values[:8]) + (f" and {len(values) - 8} more" * (len(values) > 8))


def causes(saved, new):
    """What differs between two records' inputs: why their runs may differ."""
    found = []
    here = new["versions"]
    versions = [f"{n} {v}, here {here.get(n)}" for n, v in saved["versions"].items()
                if here.get(n) != v]  # fmt: skip
    if versions:
        found.append(f"other library versions ({'; '.join(versions)})")
    if (saved["probe"], saved["blas"]) != (new["probe"], new["blas"]):
        blas = saved["blas"]
        found.append(
            f"the BLAS rounds otherwise (bit probe {saved['probe']} under "
            f"{blas['library']} {blas['version']} {blas['kernel']}, here "
            f"{new['probe']} under {new['blas']['kernel']})"
        )
    for key, what in (("data", "other data"), ("modules", "edited course modules")):
        names = [n for n, d in saved[key].items() if new[key].get(n) != d]
        if names:
            found.append(f"{what} ({', '.join(names)})")
    if saved["package"] != new["package"]:
        found.append("another hw04 package (its files' digest differs)")
    return found


def comparable(outputs):
    """A cell's outputs as non-blank lines, without what no execution repeats; its
    stdout as one text, however the kernel's flushes split it into outputs."""
    texts, stream = [], ""
    for output in outputs:
        if output.get("output_type") == "stream":
            if output.get("name") != "stderr":  # warnings, not results
                stream += _text(output.get("text", ""))
            continue
        texts, stream = [*texts, stream], ""
        if output.get("output_type") == "error":
            texts.append(f"{output.get('ename')}: {output.get('evalue')}")
            continue
        data = output.get("data", {})
        if record.MIME in data or any(k.startswith("image/") for k in data):
            continue
        if not _text(data.get("text/plain", "x")).strip() or any(
            k.endswith("widget-view+json") for k in data
        ):
            continue  # a progress bar's output, empty once it is done
        for kind in ("text/html", "text/markdown", "text/plain"):
            if kind in data:
                texts.append(_mask_column(_text(data[kind])))
                break
    lines = (line for text in [*texts, stream] for line in text.splitlines())
    kept = (x for x in lines if x.strip() and not any(v in x for v in _VOLATILE_LINES))
    return [_SECONDS.sub("_ s", line) for line in kept]


def _mask_column(html, column="fit_seconds"):
    """An HTML table with ``column``'s cells blanked (a run's wall time)."""
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    cell = re.compile(r"<t[hd][^>]*>.*?</t[hd]>", flags=re.S)
    header = [
        i for r in rows for i, c in enumerate(cell.findall(r)) if f">{column}<" in c
    ]
    if not header:
        return html
    for row in rows:
        cells = cell.findall(row)
        if len(cells) > header[0]:
            masked = row.replace(cells[header[0]], "<td/>", 1)
            html = html.replace(row, masked, 1)
    return html


def _answers_by_cell(executed):
    """``{code cell number: (part, text)}`` of an executed notebook's answers."""
    answers = (saved_record(executed) or {}).get("answers", {})
    parts = {" ".join(t.split()): p for p, t in answers.items()}
    found = {}
    for number, cell in enumerate(_code_cells(executed), start=1):
        if "answer" in _tags(cell):
            text = "\n".join(comparable(cell.get("outputs", [])))
            found[number] = (parts.get(" ".join(text.split()), f"cell {number}"), text)
    return found


def answer_differences(saved_nb, executed):
    """Per answer whose saved text is not the re-executed one: what differs."""
    new, found = _answers_by_cell(executed), []
    cells = _code_cells(saved_nb)
    for number, (part, text) in new.items():
        if number > len(cells):
            break
        saved = "\n".join(comparable(cells[number - 1].get("outputs", [])))
        if " ".join(saved.split()) == " ".join(text.split()):
            continue
        a, b = _NUMBER.findall(saved), _NUMBER.findall(text)
        if a == b:
            found.append(f"answer {part}: its words differ, not its numbers")
            continue
        diff = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
        pairs = [(a[i:j], b[k:m]) for op, i, j, k, m in diff if op != "equal"]
        said = "; ".join(f"{' '.join(x) or '-'} for {' '.join(y) or '-'}"
                         for x, y in pairs[:3])  # fmt: skip
        found.append(f"answer {part}: numbers differ (saved {said} re-executed)")
    return found


def output_differences(saved_nb, executed):
    """Code cells (answers and the record aside) whose saved outputs are not
    the re-executed ones: ``[('code cell 15 (...)', its first differing line)]``."""
    named = []
    pairs = zip(_code_cells(saved_nb), _code_cells(executed))
    for number, (saved, new) in enumerate(pairs, start=1):
        a, b = (comparable(c.get("outputs", [])) for c in (saved, new))
        if {"answer", "record"} & set(_tags(new)) or a == b:
            continue
        x, y = next((x, y) for x, y in zip_longest(a, b, fillvalue="") if x != y)
        first = _text(new["source"]).strip().splitlines()[:1] or [""]
        line = f"saved {x[:70]!r}, re-executed {y[:70]!r}"
        named.append((f"code cell {number} ({first[0][:40]})", line))
    return named


def pdf_differences(pdf, saved_nb, saved):
    """How the PDF is not the saved notebook's: its fingerprint, its answers."""
    try:
        import pypdf
    except ImportError:
        return [f"{pdf.name} not compared: pypdf is not installed (pip install pypdf)."]
    try:
        pages = pypdf.PdfReader(pdf).pages
        text = "\n".join(page.extract_text() or "" for page in pages)
    except Exception as err:
        return [f"{pdf.name} is not a readable PDF ({type(err).__name__})"]
    found = []
    printed = re.findall(r"Fingerprint ([0-9a-f]{12})", text)
    expected = re.findall(r"Fingerprint ([0-9a-f]{12})", saved["fingerprint"])
    if printed != expected:
        found.append(
            f"the PDF's fingerprint {'/'.join(printed) or 'is missing'} is not the "
            f"notebook's {'/'.join(expected)}"
        )
    numbers = _NUMBER.findall(text)
    for number, cell in enumerate(_code_cells(saved_nb), start=1):
        if "answer" not in _tags(cell):
            continue
        wanted = _NUMBER.findall("\n".join(comparable(cell.get("outputs", []))))
        if not _in_order(wanted, numbers):
            found.append(f"the PDF's answer of code cell {number} has other numbers")
    return found


def _in_order(wanted, numbers):
    """Whether ``wanted`` is a subsequence of ``numbers``."""
    rest = iter(numbers)
    return all(value in rest for value in wanted)


# ---------------------------------------------------------------- verdicts


def judge(sub, shipped_nb, defaults):
    """Set ``sub.verdict`` and ``sub.details`` from its executions."""
    from hw04 import inputs

    saved = saved_record(sub.nb)
    edited = edited_cells(sub.nb, shipped_nb)
    if edited:
        sub.details.append(f"code cells edited against the homework's: {_list(edited)}")
    if isinstance(sub.own, tuple):
        kind, why = sub.own
        sub.details.append(f"the re-execution {kind}: {why}")
        data = record.data_digests(*inputs.load_xor_data("data_xor", sub.homework))
        other = [n for n, d in (saved or {}).get("data", data).items() if data[n] != d]
        if other:  # the likeliest reason a run stops here and not there
            sub.details.append(f"other data than the course's ({', '.join(other)})")
        sub.verdict = "timed out" if kind == "timed out" else f"differs: {kind}, {why}"
        return
    own = saved_record(sub.own)
    reasons, found = [], []
    if saved is None:
        reasons.append("no record of its execution (the record cell has no output)")
    else:
        runs = runs_difference(saved["runs"], own["runs"])
        if runs:
            found.append(f"runs differ: {runs}")
            reasons += causes(saved, own) or [
                f"runs differ with the same inputs: {runs}"
            ]
        elif saved["probe"] != own["probe"]:  # a BLAS that rounds alike here
            sub.details.append(f"the same runs, though bit probe {own['probe']} here")
    answers = answer_differences(sub.nb, sub.own)
    outputs = output_differences(sub.nb, sub.own)
    found += answers + [f"output no execution of this code gives: {c}: {line}"
                        for c, line in outputs]  # fmt: skip
    if not reasons:  # the same runs: what differs was edited or pasted
        parts = [a.split(":")[0].removeprefix("answer ") for a in answers]
        reasons += [f"answers edited: {', '.join(parts)}"] * bool(answers)
        cells = _list(c for c, _ in outputs)
        reasons += [f"outputs edited or pasted: {cells}"] * bool(outputs)
    if isinstance(sub.shipped, tuple):
        found.append(f"the homework's own notebook {sub.shipped[0]}: {sub.shipped[1]}")
    elif sub.shipped is not None:
        reasons += _edit_effects(own, saved_record(sub.shipped), edited)
    if sub.pdf is not None and saved is not None:
        pdf = pdf_differences(sub.pdf, sub.nb, saved)
        found += [f"PDF: {d}" for d in pdf]
        reasons += [f"PDF {sub.pdf.name} is not this notebook's"] * bool(pdf)
    sub.details = found + sub.details
    if reasons:
        sub.verdict = "differs: " + "; ".join(reasons)
        return
    mine = {k: own["parameters"][k] for k in RESULT_PARAMETERS}
    own_parameters = mine != {k: defaults.get(k) for k in RESULT_PARAMETERS}
    sub.verdict = "reproduces" + " with its own parameters" * own_parameters
    if own_parameters:
        sub.details.append(f"its parameters: {mine}")


def _edit_effects(own, shipped, edited):
    """What the edited code cells change against the homework's notebook."""
    effects = []
    runs = runs_difference(shipped["runs"], own["runs"])
    if runs:
        effects.append(f"runs: {runs}")
    parts = [p for p, t in shipped["answers"].items() if own["answers"].get(p) != t]
    if parts:
        effects.append(f"answers {', '.join(parts)}")
    if not effects:
        return []
    return [f"edited {_list(edited)} change{'s' * (len(edited) == 1)} "
            f"{' and '.join(effects)}"]  # fmt: skip


# ------------------------------------------------------------------- report


def verify(paths, homework, out, timeout=1800, n_jobs=2):
    """Verify the submissions at ``paths``; return ``(submissions, refusals)``.

    ``homework`` is the homework's folder (its ``hw04.ipynb``, course modules and
    data); ``out`` receives the shared results folder.
    """
    import nbformat

    from hw04.notebook import default_parameters

    homework, out = Path(homework).resolve(), Path(out).resolve()
    shipped_nb = nbformat.read(homework / "hw04.ipynb", as_version=4)
    defaults = default_parameters(homework / "hw04.ipynb")
    submissions, refused = collect(paths)
    results_dir = out / "results"
    done, jobs, keys = {}, {}, {}
    for sub in submissions:
        sub.homework = homework
        parameters = _own_parameters(sub.nb, results_dir)
        keys[id(sub)] = key = _key(sub.nb, parameters)
        jobs[key] = (sub.nb, parameters)
    _execute_all(jobs, homework, timeout, n_jobs, done)
    jobs, shipped_keys = {}, {}
    for sub in submissions:
        sub.own = done[keys[id(sub)]]
        if isinstance(sub.own, tuple) or not edited_cells(sub.nb, shipped_nb):
            continue
        own = saved_record(sub.own)["parameters"]
        parameters = {k: own[k] for k in own if k != "results_dir"}
        parameters["results_dir"] = str(results_dir)
        shipped_keys[id(sub)] = key = _key(shipped_nb, parameters)
        jobs[key] = (shipped_nb, parameters)
    _execute_all(jobs, homework, timeout, n_jobs, done)
    for sub in submissions:
        if id(sub) in shipped_keys:
            sub.shipped = done[shipped_keys[id(sub)]]
        judge(sub, shipped_nb, defaults)
    return submissions, refused


def write_report(submissions, out):
    """The CSV (one row per submission) and the details, in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "verify.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "pdf", "verdict", "details"])
        for sub in submissions:
            pdf = sub.pdf.name if sub.pdf else ""
            writer.writerow([sub.path, pdf, sub.verdict, " | ".join(sub.details)])
    lines = []
    for sub in submissions:
        lines += [f"{sub.path}: {sub.verdict}", *(f"  - {d}" for d in sub.details), ""]
    (out / "verify.txt").write_text("\n".join(lines))
    return out / "verify.csv", out / "verify.txt"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m hw04.verify", description=__doc__.splitlines()[0],
        epilog="Exit status: 0 all reproduce, 1 any differs, 2 a PATH is not one.",
    )  # fmt: skip
    add = parser.add_argument
    add("paths", nargs="+", metavar="PATH", help="a .ipynb (then its PDF), or a folder")
    add("--homework", default=".", help="the homework's folder (default: this one)")
    add("--out", help="for the report and shared results (default: HOMEWORK/verified)")
    add("--timeout", type=float, default=1800, help="seconds a cell may run (1800)")
    add("--jobs", type=int, default=2, help="executions at once (default 2)")
    args = parser.parse_args(argv)
    # The reference BLAS kernel for the kernels this starts (before NumPy loads).
    os.environ.update(reproducible.chosen_environment())
    homework = Path(args.homework).resolve()
    if not (homework / "hw04.ipynb").is_file():
        raise SystemExit(f"No hw04.ipynb in {homework}: give --homework its folder.")
    out = Path(args.out) if args.out else homework / "verified"
    print(NOTICE, flush=True)
    submissions, refused = verify(args.paths, homework, out, args.timeout, args.jobs)
    for line in refused:
        print(line)
    for sub in submissions:
        print(f"{sub.path}: {sub.verdict}")
    if submissions:
        table, details = write_report(submissions, out)
        print(f"Table: {table}; details of each difference: {details}")
    if refused:
        return 2
    return int(any(not s.verdict.startswith("reproduces") for s in submissions))


if __name__ == "__main__":
    sys.exit(main())
