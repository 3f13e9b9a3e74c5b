"""The PDF of the executed default notebook, by both routes, and the upload checks."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from pypdf import PdfReader

from hw04 import checks
from hw04.export import upload
from make_homework import ROOT

# The jupyter command of the environment that runs the tests.
JUPYTER = Path(sys.executable).parent / "jupyter"

HEADINGS = [f"{p} ({q}):" for p, qs in
            (("1", "ab"), ("2", "ab"), ("3", "abc"), ("4", "abc"), ("5", "abc"))
            for q in qs]  # fmt: skip
# What warnings, optimizer logs and progress bars print (the prose may name a
# ConvergenceWarning; printed warnings always have "Warning:").
CHATTER = ["Warning:", "warnings.warn", "failed to converge", "Iteration ", "it/s",
           "run/s", "%|", "█", "[A"]  # fmt: skip
SECTION_STARTS = ("Problem ", "How the runs were made")
# What only the code of the answers and of the closing cells holds.
HIDDEN_CODE_MARKS = ("answer(", "answer_b(", "note(", "vars(check)", "display(runs",
                     "record.show(")  # fmt: skip
# The page the Typst route asks pandoc for (margins, page numbers).
PAGE = yaml.safe_load((ROOT / "src/hw04/export/page.yaml").read_text())


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def typst_pdf(executed):
    pdf, _ = upload.export_pdf(executed, executed.parent / "typst")
    return pdf


def pdf_text(pdf):
    return [page.extract_text() for page in PdfReader(pdf).pages]


def count_images(pdf):
    return sum(len(page.images) for page in PdfReader(pdf).pages)


def check_pdf(pdf, nb_path, min_pages, max_pages):
    pages = pdf_text(pdf)
    text = "\n".join(pages)
    assert min_pages <= len(pages) <= max_pages, len(pages)
    for heading in HEADINGS + [f"Problem {p}" for p in "12345"]:
        assert heading in text, heading
    # four grids, the loss curves and the experiments' rates
    assert count_images(pdf) == 6
    flat = squash(text)
    nb = nbformat.read(nb_path, as_version=4)
    printed, hidden = 0, ["injected-parameters", "remove-input", "remove-cell"]
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code":
            continue
        if set(tags) & set(hidden):
            # An answer's code, the closing page's and the all-runs table are out
            # (their lines of code; an answer's other lines are its printed prose).
            for line in cell.source.splitlines():
                if any(mark in line for mark in HIDDEN_CODE_MARKS):
                    assert squash(line) not in flat, f"hidden code printed: {line!r}"
            continue
        for line in cell.source.splitlines():
            if "parameters" in tags:
                line = line.split(" = ")[0]  # the value may be the injected one
            assert squash(line) in flat, f"code line missing or cut: {line!r}"
            printed += bool(line.strip())
    assert printed <= 150, f"{printed} lines of code printed"
    # Every answer is printed, with its numbers.
    answers = [
        o["data"]["text/markdown"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("data", {}).get("text/markdown", "").startswith("**Answer")
    ]
    assert len(answers) == 8
    for answer in answers:
        words = squash(answer.replace("**", "").replace("*", ""))
        assert words[:60] in flat, answer[:80]
    # The table of all runs stays in the notebook.
    header = "setting solver activation seed n_iter converged final_loss train_error"
    assert header not in " ".join(text.split()), "runs table"
    for bad in CHATTER:
        assert bad not in text, bad
    return pages


def test_typst_route(typst_pdf, executed):
    pages = check_pdf(typst_pdf, executed, 8, 12)
    # Before Problem 1 only what a rerun changes and the work: the parameters, the
    # settings and the loop, on the first page and the top of the second; the
    # imports and the input checks stay out.
    assert "The four settings, trained once" in pages[0]
    assert "seeds = list(range(16))" in pages[0]
    assert "check_parameters" not in squash(pages[0] + pages[1])
    assert "for name, est in settings.items()" in pages[0] + pages[1]
    # The title block: the homework's title and the student's name, no file name.
    assert pages[0].lstrip().startswith("Homework 4: Optimizers and activations")
    assert "Your Name" in pages[0][:300] and "hw04.ipynb" not in pages[0][:300]
    # Each problem starts a page, so Gradescope pages are easy to assign.
    for p in "12345":
        starts = [t.lstrip().startswith(f"Problem {p}:") for t in pages]
        assert sum(starts) == 1, f"Problem {p} does not start a page"
    assert "png" not in squash(" ".join(pages))  # no "Figure 1: png" captions


@pytest.mark.slow
def test_parameters_appear_once_with_the_values_that_took_effect(default_run):
    # A run by papermill, which injects its parameters (the committed outputs come
    # from the cell's own values).
    typst_pdf, _ = upload.export_pdf(default_run[1] / "hw04.ipynb", default_run[1])
    # papermill injected results_dir; the PDF shows it in the parameters cell,
    # once, and no "injected-parameters" cell.
    text = "\n".join(pdf_text(typst_pdf))
    for name in ("results_dir", "seeds", "appendix"):
        assert len(re.findall(rf"(?m)^{name} =", text)) == 1, name
    assert "# Parameters" not in text
    # The value a student would not recognise says that the run set it.
    assert squash('results"  # set for this run (cell: "results")') in squash(text)
    seeds = next(t for t in text.splitlines() if t.startswith("seeds ="))
    assert "random_state of the runs" in seeds, seeds  # its own comment, kept


def page_fill(png_path):
    """The fraction of the text area, from the top, that holds anything."""
    from PIL import Image

    image = Image.open(png_path).convert("L")
    width, height = image.size
    top, bottom = int(0.8 / 11 * height), int((11 - 0.8) / 11 * height)
    pixels = image.load()
    for row in range(bottom - 1, top, -1):
        if any(pixels[x, row] < 200 for x in range(0, width, 2)):
            return (row - top) / (bottom - top)
    return 0.0


def test_no_page_is_half_empty_but_the_last_of_a_section(typst_pdf, tmp_path):
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("CI must install poppler-utils (see .ci/run)")
        pytest.skip("pdftoppm (poppler-utils) is not installed here")
    pages = tmp_path / "p"
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(typst_pdf), str(pages)], check=True
    )
    images = sorted(tmp_path.glob("p-*.png"))
    texts = pdf_text(typst_pdf)
    assert len(images) == len(texts)
    for number, png in enumerate(images, start=1):
        last_of_section = number == len(texts) or texts[number].lstrip().startswith(
            SECTION_STARTS
        )
        fill = page_fill(png)
        assert fill >= 0.5 or last_of_section, f"page {number} is {fill:.0%} full"


def text_positions(page):
    """``(x, y, text)`` of every piece of text on ``page``, in PDF points."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            found.append((x, y, text.strip()))

    page.extract_text(visitor_text=visit)
    return found


def inches(length):
    return float(length.removesuffix("in")) * 72


def test_the_page_settings_asked_for_are_printed(typst_pdf):
    # The margins of page.yaml, measured on the text; "n / N" page numbers; and no
    # table squeezed into the last line (text printed over text).
    reader = PdfReader(typst_pdf)
    left, bottom = inches(PAGE["margin"]["x"]), inches(PAGE["margin"]["y"])
    n_pages, lefts = len(reader.pages), []
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        found = text_positions(page)
        footer = [(x, y) for x, y, t in found if t == f"{number} / {n_pages}"]
        assert footer, f"page {number} has no '{number} / {n_pages}'"
        assert all(abs(x + 10 - width / 2) < 30 and y < bottom for x, y in footer)
        for x, y, text in found:
            if text == f"{number} / {n_pages}":
                continue
            assert bottom - 2 <= y <= height - bottom + 2, (number, y, text)
            assert left - 1 <= x <= width - left + 1, (number, x, text)
            lefts.append(x)
        spots = [(round(x), round(y)) for x, y, _ in found]
        assert len(spots) == len(set(spots)), f"text printed over text on page {number}"
    assert min(lefts) == pytest.approx(left, abs=0.5)  # text starts at the margin


def test_every_figure_is_sharp_in_print(typst_pdf):
    if not shutil.which("pdfimages"):
        if os.environ.get("CI"):
            pytest.fail("CI must install poppler-utils (see .ci/run)")
        pytest.skip("pdfimages (poppler-utils) is not installed here")
    listing = subprocess.run(
        ["pdfimages", "-list", str(typst_pdf)], capture_output=True, text=True,
        check=True,
    ).stdout.splitlines()[2:]  # fmt: skip
    ppi = [(int(row.split()[12]), int(row.split()[13])) for row in listing]
    assert len(ppi) >= 6 and min(min(p) for p in ppi) >= 200, ppi


@pytest.mark.slow
def test_latex_route(executed):
    if not shutil.which("xelatex"):
        if os.environ.get("CI"):
            pytest.fail("CI must install xelatex (see .ci/run)")
        pytest.skip("xelatex is not installed here")
    pdf, _ = upload.export_pdf(executed, executed.parent / "latex", "latexpdf")
    check_pdf(pdf, executed, 12, 30)


def test_latex_route_names_what_to_install_when_xelatex_is_missing(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "HW04_NO_VENV": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "make_homework.py"), "pdf", "--latex", "--out",
         str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    message = result.stderr
    assert "needs xelatex and bibtex on your PATH" in message
    assert "apt-get install --no-install-recommends texlive-xetex" in message
    assert "brew" in message and "MiKTeX" in message
    assert "Traceback" not in message
    assert not (tmp_path / "out").exists(), "it stopped before anything slow"


# ------------------------------------------------------------ ready for upload


def unready_notebook(folder):
    """A notebook with everything a grader sends back, and a blank
    COLLABORATORS.txt beside it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Homework 4\n\n**Student:** Your Name"),
        nbformat.v4.new_code_cell("x = 1", execution_count=2),
        nbformat.v4.new_code_cell("print(x)", execution_count=1),
        nbformat.v4.new_code_cell(
            "1 / 0",
            execution_count=3,
            outputs=[
                nbformat.v4.new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=[],
                )  # fmt: skip
            ],
        ),
    ]
    path = folder / "hw04.ipynb"
    nbformat.write(nb, path)
    shutil.copyfile(ROOT / "COLLABORATORS.txt", folder / "COLLABORATORS.txt")
    return path


def test_export_warns_one_line_per_problem_before_upload(tmp_path):
    path = unready_notebook(tmp_path)
    found = checks.upload_warnings(nbformat.read(path, 4), tmp_path)
    assert len(found) == 4
    assert "Your Name" in found[0]
    assert "COLLABORATORS.txt is still the blank template" in found[1]
    assert "not run top to bottom" in found[2] and "out of order" in found[2]
    assert "Code cell 3 shows an error: ZeroDivisionError" in found[3]
    # The command line shows the same lines, and still writes the PDF.
    result = subprocess.run(
        [str(JUPYTER), "nbconvert", "--to", "typstpdf",
         str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warned = [t for t in result.stderr.splitlines() if "Before uploading:" in t]
    assert len(warned) == 4
    assert (tmp_path / "hw04.pdf").exists()


def test_a_filled_in_notebook_raises_no_warning(tmp_path):
    path = unready_notebook(tmp_path)
    nb = nbformat.read(path, 4)
    nb.cells[0].source = "# Homework 4\n\n**Student:** Ada Lovelace"
    nb.cells = nb.cells[:3]
    nb.cells[1].execution_count, nb.cells[2].execution_count = 1, 2
    filled = (tmp_path / "COLLABORATORS.txt").read_text()
    filled = filled.replace("Name:", "Name: Ada Lovelace", 1)
    (tmp_path / "COLLABORATORS.txt").write_text(filled)
    assert checks.upload_warnings(nb, tmp_path) == []


def test_upload_gathers_the_pdf_notebook_and_collaborators(executed, tmp_path):
    out = tmp_path / "upload"
    result = subprocess.run(
        [sys.executable, str(ROOT / "make_homework.py"), "upload", str(executed),
         "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "COLLABORATORS.txt",
        "hw04.ipynb",
        "hw04.pdf",
    ]
    assert (out / "hw04.ipynb").read_bytes() == executed.read_bytes()
    assert "Before uploading: The first cell still says 'Your Name'" in result.stdout
    # The notebook's own folder is refused as the target: nothing is overwritten.
    refused = subprocess.run(
        [sys.executable, str(ROOT / "make_homework.py"), "upload", str(executed),
         "--out", str(executed.parent)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0 and "Choose an --out" in refused.stderr
