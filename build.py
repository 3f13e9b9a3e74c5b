#!/usr/bin/env python3
"""Build the executed notebook and its PDF, run the tests, or run the benchmark.

Usage, from a fresh clone, with nothing installed but Python 3.11+::

    python3 build.py                       # build/hw04.ipynb and build/hw04.pdf
    python3 build.py pdf --seeds 16 17 18  # the same for other seeds
    python3 build.py pdf --latex           # the PDF through nbconvert + XeLaTeX
    python3 build.py test                  # the test suite
    python3 build.py bench                 # the speed benchmark
    python3 build.py outputs               # refresh the outputs saved in hw04.ipynb

The first call makes a virtual environment in ``.venv`` from the pinned
requirements and runs itself again inside it; later calls reuse it (and
reinstall only when a requirements file changed). Set ``HW04_NO_VENV=1`` to use
the current Python environment as it is.
"""

import argparse
import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
NOTEBOOK = ROOT / "hw04.ipynb"
KERNEL_NAME = "hw04-build"
LATEX_TIMEOUT_S = 300
LATEX_INSTALL_HELP = """\
The LaTeX route needs {missing} on your PATH. Install it, or drop --latex to use
the default route, which needs nothing beyond pip:
  Debian/Ubuntu: sudo apt-get install --no-install-recommends pandoc \\
                   texlive-xetex texlive-fonts-recommended texlive-plain-generic
  macOS:         brew install pandoc && brew install --cask mactex-no-gui
  Windows:       install MiKTeX (miktex.org) and pandoc (pandoc.org/installing)"""


# --------------------------------------------------------------- environment


def _requirements(dev):
    return ROOT / ("requirements-dev.txt" if dev else "requirements.txt")


def _stamp(dev):
    files = [ROOT / "requirements.txt"] + ([ROOT / "requirements-dev.txt"] * dev)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    return f"{'dev' if dev else 'run'}:{digest}"


def _venv_python(folder=VENV):
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return folder / sub


def _fill_venv(folder, requirements):
    """Make the virtual environment ``folder`` if needed and pip-install the pins."""
    python = _venv_python(folder)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    return python


def ensure_environment(dev):
    """Re-run this script inside .venv, made and filled from the pins if needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (a guard for old interpreters)
        raise SystemExit(
            f"hw04 needs Python 3.11 or newer (its pinned NumPy does); this is "
            f"{sys.version.split()[0]}. Run build.py with a newer python3."
        )
    if os.environ.get("HW04_NO_VENV") == "1":
        return
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = _venv_python()
    stamp_file = VENV / "hw04-requirements.txt"
    stamps = stamp_file.read_text().split() if stamp_file.exists() else []
    wanted = _stamp(dev)
    if wanted not in stamps and not (not dev and _stamp(True) in stamps):
        print(
            f"Installing the pinned packages of {_requirements(dev).name} into "
            f"{VENV.name} (first run only, a minute or two) ...",
            flush=True,
        )
        _fill_venv(VENV, _requirements(dev))
        stamp_file.write_text(" ".join([*stamps, wanted]))
    result = subprocess.run([str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(result.returncode)


def oldest_environment():
    """``.venv-oldest``, made from requirements-oldest.txt; return its python."""
    folder = ROOT / ".venv-oldest"
    python = _venv_python(folder)
    stamp = folder / "hw04-requirements.txt"
    wanted = hashlib.sha256((ROOT / "requirements-oldest.txt").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        _fill_venv(folder, ROOT / "requirements-oldest.txt")
        stamp.write_text(wanted)
    return python


# ------------------------------------------------------------------ notebook


def kernel_name():
    """A kernelspec that runs this very Python, so the notebook sees these pins."""
    folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": "Python (hw04 build)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return KERNEL_NAME


def execute_notebook(out_dir, parameters, notebook=NOTEBOOK):
    """Run ``notebook`` from a fresh kernel with papermill; return the output path."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / notebook.name
    if output.resolve() == notebook.resolve():
        raise SystemExit(f"Refusing to overwrite {notebook}; choose another --out.")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            cwd=str(ROOT),
            kernel_name=kernel_name(),
            progress_bar=sys.stderr.isatty(),
            request_save_on_cell_execute=False,
        )
    except papermill.PapermillExecutionError as err:
        raise SystemExit(
            f"{notebook.name} stopped in cell {err.exec_count}: {err.ename}: "
            f"{err.evalue}\n(the partly executed notebook is {output})"
        ) from None
    return output


# ------------------------------------------------------------------ PDF: Typst

TYPST_HEADER = r"""
#set page(numbering: "1 / 1")
#set par(justify: false)
#show raw.where(block: true): set text(size: 7.6pt)
#show raw.where(block: true): set block(
  fill: luma(246), inset: 5pt, radius: 2pt, width: 100%)
#show figure: set block(breakable: true)
#show table: set text(size: 8pt)
#set table(inset: (x: 4pt, y: 2.5pt), stroke: 0.4pt + luma(180))
#show heading.where(level: 2): set block(above: 0.6em)
"""
PAGE_BREAK = "\n```{=typst}\n#pagebreak(weak: true)\n```\n\n"


class _TableParser(html.parser.HTMLParser):
    """Rows of the first <table> of a pandas HTML repr, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.in_cell = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.in_cell, self.cell = True, ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.rows:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.cell += data


def html_table_to_markdown(html_text):
    """A pipe table from pandas' HTML table; None if ``html_text`` has none."""
    if "<table" not in html_text:
        return None
    parser = _TableParser()
    parser.feed(html_text)
    rows = [r for r in parser.rows if r]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    # pandas puts the index name on a second header row; fold it into the first.
    if len(rows) > 1 and rows[1][0] and not any(rows[1][1:]):
        rows[0][0] = rows[1][0]
        del rows[1]

    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(rows[0]), line(["---"] * width), *map(line, rows[1:])])


def title_and_author(nb):
    """Title (first '# ' line) and student name ('**Student:**' line) of a notebook."""
    title, author = "Homework 4", ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for text_line in cell.source.splitlines():
            if text_line.startswith("# ") and title == "Homework 4":
                title = text_line[2:].strip()
            match = re.match(r"\*\*Student:\*\*\s*(.+)", text_line.strip())
            if match and not author:
                author = match.group(1).strip()
        break
    return title, author


def pipe_table_rows(table):
    """The cells of a pipe table (as made by :func:`html_table_to_markdown`)."""
    return [
        [c.strip().replace("\\|", "|") for c in line.strip()[1:-1].split(" | ")]
        for line in table.splitlines()
    ]


def write_outputs(resources, folder):
    """Write the figure files nbconvert collected in ``resources`` under ``folder``."""
    for name, data in resources.get("outputs", {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def prepare_for_export(nb, page_break=PAGE_BREAK):
    """Copy of ``nb`` ready for export: tables, title, a page break per problem."""
    import copy

    nb = copy.deepcopy(nb)
    title, author = title_and_author(nb)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    first.source = "\n".join(
        t
        for t in first.source.splitlines()
        if not (t.startswith("# ") or t.strip().startswith("**Student:**"))
    ).strip()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.match(
            r"## (Problem \d|Appendix)", cell.source
        ):
            cell.source = page_break + cell.source
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            table = html_table_to_markdown(data.get("text/html", ""))
            if table:
                data["text/markdown"] = table
                data.pop("text/html")
                data.pop("text/plain", None)
    nb.metadata["title"] = title
    nb.metadata["authors"] = [{"name": author}] if author else []
    return nb, title, author


def export_pdf_typst(executed, out_dir):
    """Executed notebook -> Markdown (nbconvert) -> Typst (pandoc) -> PDF (typst)."""
    import nbformat
    import pypandoc
    import typst
    from nbconvert import MarkdownExporter

    nb, title, author = prepare_for_export(nbformat.read(executed, as_version=4))
    files_dir = f"{executed.stem}_files"
    body, resources = MarkdownExporter().from_notebook_node(
        nb, resources={"output_files_dir": files_dir}
    )
    shutil.rmtree(out_dir / files_dir, ignore_errors=True)
    write_outputs(resources, out_dir)
    # A figure needs no "png" caption; a full-width image keeps panel titles legible.
    body = re.sub(r"!\[[^\]]*\]\(([^)]+)\)", r"![](\1){width=86%}", body)
    header = out_dir / "hw04-header.typ"
    header.write_text(TYPST_HEADER)
    typ = out_dir / f"{executed.stem}.typ"
    pypandoc.convert_text(
        body,
        "typst",
        format="markdown+raw_attribute+pipe_tables+tex_math_dollars",
        outputfile=str(typ),
        extra_args=[
            "--standalone",
            "--wrap=preserve",
            "--columns=10000",  # tables sized by their content, not by dashes
            f"--include-in-header={header}",
            f"--metadata=title:{title}",
            *([f"--metadata=author:{author}"] if author else []),
            "--variable=papersize:us-letter",
            "--variable=margin.x:0.9in",
            "--variable=margin.y:0.8in",
            "--variable=fontsize:10pt",
        ],
    )
    pdf = out_dir / f"{executed.stem}.pdf"
    typst.compile(str(typ), output=str(pdf), root=str(out_dir))
    return pdf


# ------------------------------------------------------------------ PDF: LaTeX

# nbconvert's LaTeX template, with code lines wrapped so that nothing is clipped.
LATEX_TEMPLATE = r"""((* extends 'latex/index.tex.j2' *))
((* set charlim = 96 *))
((* block input scoped *))
    ((( draw_cell(cell.source | wrap_text(charlim)
        | highlight_code(strip_verbatim=True),
        cell, 'In', 'incolor', '\\boxspacing') )))
((* endblock input *))
((* block packages *))
((( super() )))
\fvset{fontsize=\footnotesize}
\setcounter{secnumdepth}{0}
% pandoc 3 writes uncounted tables with \LTcaptype{none}; give it that counter.
\makeatletter\@ifundefined{c@none}{\newcounter{none}}{}\makeatother
((* endblock packages *))
"""


def pandoc_on_path():
    """Put the pinned pandoc of pypandoc-binary first on PATH, if it is installed.

    nbconvert then uses the same pandoc on every machine; without
    pypandoc-binary, PATH is left as it is.
    """
    try:
        import pypandoc
    except ImportError:
        return
    bundled = Path(pypandoc.__file__).resolve().parent / "files"
    if (bundled / "pandoc").exists() or (bundled / "pandoc.exe").exists():
        os.environ["PATH"] = str(bundled) + os.pathsep + os.environ.get("PATH", "")


def check_latex_tools():
    """Stop with one clear message when xelatex or pandoc is missing."""
    pandoc_on_path()
    missing = [tool for tool in ("xelatex", "pandoc") if not shutil.which(tool)]
    if missing:
        raise SystemExit(LATEX_INSTALL_HELP.format(missing=" and ".join(missing)))


def latex_error(log_text):
    """The lines of a LaTeX log that say what went wrong."""
    lines = log_text.splitlines()
    for i, text_line in enumerate(lines):
        if text_line.startswith("!"):
            context = [t for t in lines[i + 1 : i + 4] if t.startswith("l.")]
            return "\n".join([text_line, *context])
    return "(no error line in the log)"


def _latex_escape(text):
    special = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
               "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}",
               "^": r"\^{}"}  # fmt: skip
    return "".join(special.get(ch, ch) for ch in text)


def markdown_table_to_latex(table):
    """A pipe table (as made by :func:`html_table_to_markdown`) as a LaTeX longtable.

    Columns take the width of their content, so headers never overlap.
    """
    rows = pipe_table_rows(table)
    header, body = rows[0], rows[2:]

    def line(cells):
        return " & ".join(_latex_escape(c) for c in cells) + r" \\"

    return "\n".join(
        [
            r"\begin{center}\scriptsize",
            r"\begin{longtable}{" + "l" * len(header) + "}",
            r"\toprule",
            line(header),
            r"\midrule",
            r"\endhead",
            *map(line, body),
            r"\bottomrule",
            r"\end{longtable}",
            r"\end{center}",
        ]
    )


def export_pdf_latex(executed, out_dir):
    """Executed notebook -> LaTeX (nbconvert, wrapped code) -> PDF (xelatex)."""
    import nbformat
    from nbconvert import LatexExporter

    check_latex_tools()
    nb, _, _ = prepare_for_export(
        nbformat.read(executed, as_version=4), page_break="\\newpage\n\n"
    )
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if data.get("text/markdown", "").startswith("| "):
                data["text/latex"] = markdown_table_to_latex(data["text/markdown"])
    tex_dir = out_dir / "latex"
    shutil.rmtree(tex_dir, ignore_errors=True)
    tex_dir.mkdir(parents=True)
    template = tex_dir / "hw04_latex.tex.j2"
    template.write_text(LATEX_TEMPLATE)
    exporter = LatexExporter(template_file=str(template))
    body, resources = exporter.from_notebook_node(
        nb, resources={"output_files_dir": f"{executed.stem}_files"}
    )
    tex = tex_dir / f"{executed.stem}.tex"
    tex.write_text(body)
    write_outputs(resources, tex_dir)
    command = ["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name]
    for _ in range(2):  # the second pass settles the outline
        try:
            run = subprocess.run(
                command,
                cwd=tex_dir,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=LATEX_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise SystemExit(
                f"xelatex took longer than {LATEX_TIMEOUT_S} s on {tex}; stopped."
            ) from None
        if run.returncode != 0:
            log = tex.with_suffix(".log")
            text = log.read_text(errors="replace") if log.exists() else run.stdout
            raise SystemExit(f"xelatex failed on {tex}:\n{latex_error(text)}")
    pdf = out_dir / f"{executed.stem}.pdf"
    shutil.copyfile(tex.with_suffix(".pdf"), pdf)
    return pdf


# ------------------------------------------------------------------- commands


def notebook_parameters(args, out_dir):
    results = (out_dir / "results").resolve()
    # A path inside the repository is passed relative to it: shorter, and the same
    # on every machine (the notebook resolves it from its own folder).
    if results.is_relative_to(ROOT):
        results = results.relative_to(ROOT)
    params = {"results_dir": results.as_posix(), "appendix": not args.no_appendix}
    if args.seeds is not None:
        params["seeds"] = args.seeds
    if args.data_dir is not None:
        params["data_dir"] = str(Path(args.data_dir).resolve())
    if args.n_jobs is not None:
        params["n_jobs"] = args.n_jobs
    if args.engine is not None:
        params["engine"] = args.engine
    return params


def command_pdf(args):
    out_dir = Path(args.out).resolve()
    if args.latex:
        check_latex_tools()  # before anything slow
    start = time.perf_counter()
    print(f"Executing {NOTEBOOK.name} from a fresh kernel ...", flush=True)
    executed = execute_notebook(out_dir, notebook_parameters(args, out_dir))
    ran = time.perf_counter()
    print(f"  {executed} ({ran - start:.1f} s)")
    export = export_pdf_latex if args.latex else export_pdf_typst
    route = "nbconvert + XeLaTeX" if args.latex else "nbconvert + pandoc + Typst"
    pdf = export(executed, out_dir)
    done = time.perf_counter()
    print(f"  {pdf} ({route}, {done - ran:.1f} s)")
    print(f"Done in {done - start:.1f} s.")


def command_outputs(args):
    """Re-execute hw04.ipynb in place with its own parameters; sources are kept."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    print(f"Re-executing {NOTEBOOK.name} in place (cell sources are kept) ...")
    start = time.perf_counter()
    NotebookClient(
        nb,
        kernel_name=kernel_name(),
        timeout=1800,
        resources={"metadata": {"path": str(ROOT)}},
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, NOTEBOOK)
    print(f"  updated the outputs of {NOTEBOOK} ({time.perf_counter() - start:.1f} s)")


def command_test(args):
    code = subprocess.call(
        [sys.executable, "-m", "pytest", *args.pytest_args], cwd=ROOT
    )
    sys.exit(code)


def command_bench(args):
    sys.path.insert(0, str(ROOT))
    import benchmark

    benchmark.main(args.bench_args)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Build, test or benchmark homework 4.",
        epilog="Run a command with --help for its options.",
    )
    sub = parser.add_subparsers(dest="command")
    pdf = sub.add_parser("pdf", help="execute the notebook and make hw04.pdf (default)")
    pdf.add_argument("--seeds", type=int, nargs="+", help="e.g. --seeds 16 17 18")
    pdf.add_argument("--data-dir", help="folder with the four CSV files")
    pdf.add_argument("--n-jobs", type=int, help="worker processes (-1: all cores)")
    pdf.add_argument("--engine", choices=["batched", "sklearn"])
    pdf.add_argument("--no-appendix", action="store_true", help="skip the appendix")
    pdf.add_argument("--latex", action="store_true", help="nbconvert + XeLaTeX route")
    pdf.add_argument("--out", default=str(ROOT / "build"), help="default: build/")
    sub.add_parser(
        "outputs",
        help="re-execute hw04.ipynb in place so its saved outputs match the code",
    )
    sub.add_parser("test", help="run the test suite; more arguments go to pytest")
    sub.add_parser("bench", help="time the sweep against plain sklearn")
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["pdf", *argv]
    if argv[0] in ("test", "bench") and argv[1:2] not in (["-h"], ["--help"]):
        # Everything after the command goes to pytest or to the benchmark as is.
        return argparse.Namespace(
            command=argv[0], pytest_args=argv[1:], bench_args=argv[1:]
        )
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    ensure_environment(dev=args.command in ("test", "bench"))
    commands = {
        "pdf": command_pdf,
        "outputs": command_outputs,
        "test": command_test,
        "bench": command_bench,
    }
    commands[args.command](args)


if __name__ == "__main__":
    main()
