"""hw04.pdf, built from the executed default notebook by both routes."""

import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from pypdf import PdfReader

import build
from conftest import ROOT

HEADINGS = [f"{p}({q})" for p, qs in
            (("1", "ab"), ("2", "ab"), ("3", "abc"), ("4", "abc"), ("5", "abc"))
            for q in qs]  # fmt: skip
# What warnings, optimizer logs and progress bars print (the prose may name a
# ConvergenceWarning; printed warnings always have "Warning:").
CHATTER = ["Warning:", "warnings.warn", "failed to converge", "Iteration ", "it/s",
           "run/s", "%|", "█", "[A"]  # fmt: skip


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def executed(tmp_path_factory, default_run):
    """The executed default notebook (conftest's session run), copied."""
    nb, _ = default_run
    out = tmp_path_factory.mktemp("pdf")
    path = out / "hw04.ipynb"
    nbformat.write(nb, path)
    return path


def pdf_text(pdf):
    return [page.extract_text() for page in PdfReader(pdf).pages]


def count_images(pdf):
    return sum(len(page.images) for page in PdfReader(pdf).pages)


def check_pdf(pdf, nb_path, min_pages, max_pages):
    pages = pdf_text(pdf)
    text = "\n".join(pages)
    assert min_pages <= len(pages) <= max_pages
    for heading in HEADINGS + [f"Problem {p}" for p in "12345"]:
        assert heading in text, heading
    # four grids, the loss curves and the appendix's plot
    assert count_images(pdf) == 6
    flat = squash(text)
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                assert squash(line) in flat, f"code line missing or cut: {line!r}"
    header = "setting solver activation seed n_iter converged final_loss train_error"
    assert any(header in squash_spaces(t) for t in text.splitlines()), "runs table"
    for bad in CHATTER:
        assert bad not in text, bad
    return pages


def squash_spaces(line):
    return " ".join(line.split())


def test_typst_route(executed):
    pdf = build.export_pdf_typst(executed, executed.parent)
    pages = check_pdf(pdf, executed, 12, 30)
    # The title block: the homework's title and the student's name, no file name.
    assert pages[0].lstrip().startswith("Homework 4: Optimizers and activations")
    assert "Your Name" in pages[0][:300] and "hw04.ipynb" not in pages[0][:300]
    # Each problem starts a page, so Gradescope pages are easy to assign.
    for p in "12345":
        starts = [t.lstrip().startswith(f"Problem {p}:") for t in pages]
        assert sum(starts) == 1, f"Problem {p} does not start a page"
    assert "png" not in squash(" ".join(pages))  # no "Figure 1: png" captions


def test_html_tables_become_pipe_tables():
    html = (
        '<table border="1" class="dataframe"><thead><tr><th></th><th>a</th>'
        "<th>b</th></tr></thead><tbody><tr><th>0</th><td>1</td><td>x|y</td></tr>"
        "</tbody></table>"
    )
    assert build.html_table_to_markdown(html) == (
        "|  | a | b |\n| --- | --- | --- |\n| 0 | 1 | x\\|y |"
    )
    assert build.html_table_to_markdown("<p>no table</p>") is None


def test_latex_route(executed):
    if not shutil.which("xelatex"):
        if os.environ.get("CI"):
            pytest.fail("CI must install xelatex (see .ci/run)")
        pytest.skip("xelatex is not installed here")
    pdf = build.export_pdf_latex(executed, executed.parent / "latex_route")
    check_pdf(pdf, executed, 12, 45)


def test_latex_route_names_what_to_install_when_xelatex_is_missing(tmp_path):
    # A PATH with pandoc but without xelatex.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pandoc").symlink_to(shutil.which("pandoc") or sys.executable)
    env = {**os.environ, "PATH": str(bin_dir), "HW04_NO_VENV": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "pdf", "--latex", "--out",
         str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    message = result.stderr
    assert "needs xelatex on your PATH" in message
    assert "apt-get install --no-install-recommends pandoc" in message
    assert "texlive-xetex" in message and "brew" in message and "MiKTeX" in message
    assert "Traceback" not in message
    assert not (tmp_path / "out").exists(), "it stopped before anything slow"


def test_latex_errors_show_the_line_that_says_what_went_wrong():
    log = "This is XeTeX\n(./hw04.tex\n! Undefined control sequence.\nl.42 \\foo\n"
    assert build.latex_error(log) == "! Undefined control sequence.\nl.42 \\foo"
