"""The exporter the way Jupyter users reach it: the command line, a Jupyter server's
nbconvert API, and JupyterLab's menus in a real browser (Debian's chromium)."""

import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from hw04 import checks
from make_homework import ROOT

TOKEN = "hw04-test-token"
# The jupyter command of the environment that runs the tests.
JUPYTER = Path(sys.executable).parent / "jupyter"
# The PDF to upload, as JupyterLab's export menu labels it (the exporter's name).
UPLOAD_PDF = "PDF_for_Gradescope"
# Screenshots of the browser test: into HW04_ARTIFACTS where set (CI keeps them),
# else into the test's own temporary folder, never into the project.
ARTIFACTS = os.environ.get("HW04_ARTIFACTS")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip


HEADINGS = [f"Problem {p}" for p in "12345"]


def problem_headings_of_text(text):
    return [f"Problem {p}" for p in "12345" if f"Problem {p}:" in text]


def problem_headings(pdf_bytes):
    pages = PdfReader(io.BytesIO(pdf_bytes)).pages
    return problem_headings_of_text(" ".join(p.extract_text() for p in pages))


def get(url, timeout=120):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.headers, response.read()


def student_folder(tmp_path, notebook):
    """A folder like a student's: the notebook, with the project's files linked."""
    folder = tmp_path / "student"
    folder.mkdir()
    # The project's modules, data and COLLABORATORS.txt, linked, so nothing is
    # copied into or written over in the project.
    for source in [*ROOT.glob("*.py"), ROOT / "data_xor", ROOT / "COLLABORATORS.txt"]:
        (folder / source.name).symlink_to(source)
    nbformat.write(notebook, folder / "hw04.ipynb")
    return folder


def test_command_line_export(executed, tmp_path):
    result = subprocess.run(
        [str(JUPYTER), "nbconvert", "--to", "typstpdf", str(executed),
         "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pdf = (tmp_path / "hw04.pdf").read_bytes()
    assert problem_headings(pdf) == HEADINGS


def exported_text(headers, body):
    """The text of an export: a PDF's, or the notebook's file in a zip, or the body."""
    kind = headers["Content-Type"]
    if kind.startswith("application/pdf"):
        assert body.startswith(b"%PDF")
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    if kind.startswith("application/zip"):  # the document with its figures
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            (document,) = [n for n in archive.namelist() if n.startswith("hw04.")]
            return archive.read(document).decode()
    return body.decode()


@pytest.mark.slow
def test_every_format_the_server_lists_exports_the_notebook(
    executed, tmp_path, jupyter_server
):
    folder = student_folder(tmp_path, nbformat.read(executed, as_version=4))
    with jupyter_server("server", folder, TOKEN) as base:
        # The request JupyterLab makes to fill its export menu.
        _, body = get(f"{base}/api/nbconvert?token={TOKEN}")
        formats = json.loads(body)
        assert formats[UPLOAD_PDF]["output_mimetype"] == "application/pdf"
        # Decided at set-up: the LaTeX PDFs where TeX is installed (CI has it);
        # the command line's second name for the upload PDF, and nbconvert's
        # template-less "custom", not at all.
        has_tex = bool(shutil.which("xelatex") and shutil.which("bibtex"))
        assert ("latexpdf" in formats) == ("pdf" in formats) == has_tex
        assert not {"typstpdf", "custom"} & set(formats)
        exported = {}
        for name in formats:
            # The download the menu entry opens.
            headers, body = get(
                f"{base}/nbconvert/{name}/hw04.ipynb?download=true&token={TOKEN}",
                timeout=300,
            )
            assert "hw04." in headers["Content-Disposition"], name
            exported[name] = exported_text(headers, body)
    for name, text in exported.items():
        assert "Problem 5:" in text, f"{name}: not the notebook"
    pdfs = [n for n, f in formats.items() if f["output_mimetype"] == "application/pdf"]
    for name in pdfs:
        assert problem_headings_of_text(exported[name]) == HEADINGS, name


def small_notebook():
    """hw04.ipynb as a student opens it, with small parameters typed in."""
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = (
                cell.source.replace("list(range(16))", "list(range(4))")
                .replace("appendix = True", "appendix = False")
                .replace("cache = True", "cache = False")
            )
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def chromium():
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must install Debian's chromium (see .ci/run)")
    pytest.skip("Debian's chromium is not installed here")


def click_menu(page, *labels):
    """Open a menu of JupyterLab's menu bar and click through ``labels``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=labels[0]).first.click()
    for label in labels[1:-1]:
        page.locator(".lm-Menu-itemLabel", has_text=label).first.hover()
        time.sleep(0.5)
    item = page.locator(".lm-Menu-itemLabel", has_text=labels[-1]).first
    return item


@pytest.mark.slow
def test_jupyterlab_runs_all_and_exports_the_pdf_from_its_menu(
    tmp_path, jupyter_server
):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    artifacts = Path(ARTIFACTS) if ARTIFACTS else tmp_path / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    folder = student_folder(tmp_path, small_notebook())
    # Every cell in the page, not only those in view (JupyterLab's windowing), so
    # that the test can read all the answers. The lab's settings live in the
    # configuration folder jupyter_server() gives it.
    settings = tmp_path / "jupyter-config" / "lab" / "user-settings"
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    with jupyter_server("lab", folder, TOKEN) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        try:
            page.goto(f"{base}/lab/tree/hw04.ipynb?token={TOKEN}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
            # The status bar says so once the kernel has started and connected.
            page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(
                timeout=90_000
            )
            click_menu(page, "Run", "Run All Cells").click()
            # The last cells print this line (their source holds it too, hence
            # the output area); then no cell may still be running.
            page.locator(
                ".jp-OutputArea-output", has_text="The experiments did not run"
            ).first.wait_for(timeout=300_000)
            page.locator(".jp-InputPrompt", has_text="[*]").first.wait_for(
                state="detached", timeout=60_000
            )
            page.locator(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']"
            ).wait_for(state="attached", timeout=60_000)
            page.screenshot(path=str(artifacts / "jupyterlab-run-all.png"))
            stderr = "application/vnd.jupyter.stderr"
            assert page.locator(f"[data-mime-type='{stderr}']").count() == 0
            # Each answer shows as rendered Markdown with its numbers filled in,
            # and its code stays collapsed.
            answers = page.locator(
                ".jp-OutputArea-output.jp-RenderedMarkdown", has_text="Answer."
            )
            texts = [answers.nth(i).inner_text() for i in range(answers.count())]
            assert len(texts) == 8, texts
            for text in texts[:-1]:  # 5(c)'s says the experiments did not run
                assert "{" not in text and "}" not in text, text
                assert any(ch.isdigit() for ch in text), text
            assert "of 4 runs (" in texts[0], texts[0]
            # Collapsed inputs show JupyterLab's placeholder instead of code.
            assert page.locator(".jp-InputPlaceholder").count() >= 8
            # JupyterLab lists each exporter the server reports under its name.
            entry = click_menu(page, "File", "Save and Export Notebook As", UPLOAD_PDF)
            entry.wait_for()
            page.screenshot(path=str(artifacts / "jupyterlab-export-menu.png"))
            # The entry opens a new tab whose answer is a download; that tab
            # closes at once, so listen for its download as soon as it opens.
            downloads = []

            def keep(download):
                downloads.append(download)

            page.on("download", keep)
            context.on("page", lambda tab: tab.on("download", keep))
            entry.click()
            deadline = time.monotonic() + 60
            while not downloads and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            assert downloads, "the export menu entry started no download"
            download = downloads[0]
            pdf_path = tmp_path / "downloaded.pdf"
            download.save_as(pdf_path)
        except Exception:
            page.screenshot(path=str(artifacts / "jupyterlab-failure.png"))
            raise
        finally:
            browser.close()
    assert problem_headings(pdf_path.read_bytes()) == HEADINGS
    # The menu saved the notebook before exporting: it was run top to bottom, as
    # the exporters' check (the same as the last cell's) says.
    saved = nbformat.read(folder / "hw04.ipynb", as_version=4)
    found = checks.upload_warnings(saved, folder)
    assert len(found) == 2 and "Your Name" in found[0], found


def test_setup_leaves_jupyterlab_and_the_exporters_ready(tmp_path):
    # README's first command, in the environment it made (HW04_NO_VENV: no rebuild).
    env = {**os.environ, "HW04_NO_VENV": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "make_homework.py"), "setup"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "jupyter-lab hw04.ipynb" in result.stdout
    assert (JUPYTER.parent / "jupyter-lab").exists()
    # The exporters are found through the entry point, from any folder, by
    # nbconvert's command line, which reads no drop-in config and so lists every
    # exporter installed: the upload PDF under both of its names, the LaTeX one.
    names = subprocess.run(
        [sys.executable, "-c", "from nbconvert.nbconvertapp import NbConvertApp; "
         "from nbconvert.exporters import get_export_names; "
         "app = NbConvertApp(); app.initialize([]); "
         "print(get_export_names(app.config))"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    ).stdout  # fmt: skip
    assert f"'{UPLOAD_PDF}'" in names and "'typstpdf'" in names
    assert "'latexpdf'" in names
    # pypandoc-binary's pandoc, where an activated .venv finds it.
    pandoc = JUPYTER.parent / "pandoc"
    assert (
        subprocess.run([str(pandoc), "--version"], capture_output=True).returncode == 0
    )
