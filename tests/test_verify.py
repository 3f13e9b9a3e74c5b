"""Verifying submissions: doctored copies of real executions, small parameters.

One small execution serves the fast tier's doctored submissions, and its results
folder is the verifier's shared one, so that the re-execution trains nothing.
"""

import contextlib
import copy
import functools
import io
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from hw04 import reproducible, verify
from make_homework import NOTEBOOK, ROOT

SMALL = {"seeds": [0, 1], "appendix": False}
OTHER_PROBE = "0123456789ab"  # a bit probe no BLAS gives
KERNELS = ["Haswell", "Sandybridge", "SkylakeX"]

needs_reference_cpu = pytest.mark.skipif(
    not reproducible.cpu_runs_reference(),
    reason="this CPU cannot run OpenBLAS's Haswell kernel (no AVX2 and FMA)",
)


def run_verify(*args):
    """``python -m hw04.verify`` in this process: (exit status, printed lines)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = verify.main([*map(str, args), "--homework", str(ROOT)])
    return status, out.getvalue().splitlines()


def verdicts(lines):
    """``{file name: verdict}`` of the verifier's lines."""
    found = {}
    for line in lines:
        path, _, verdict = line.partition(".ipynb: ")
        if verdict:
            found[os.path.basename(path) + ".ipynb"] = verdict
    return found


def code_cells(nb):
    """The code cells, numbered as the homework's (papermill's own cell aside)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and "injected-parameters" not in c.metadata.get("tags", [])
    ]


def answer_cell(nb, part):
    """The code cell whose answer is ``part``, from the record's text."""
    text = verify.saved_record(nb)["answers"][part]
    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            if output.get("data", {}).get("text/markdown") == text:
                return cell
    raise LookupError(part)


def table_cell(nb, setting):
    """The cell that shows ``setting``'s outcome table."""
    return next(
        c
        for c in code_cells(nb)
        if c.source.startswith("tables.outcome_table") and setting in c.source
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory, execute):
    """A small execution, in a folder whose results the verifier will share."""
    tmp = tmp_path_factory.mktemp("verify")
    nb = execute(tmp, results_dir=str(tmp / "out" / "results"), **SMALL)
    return nb, tmp


@pytest.fixture(scope="module")
def class_folder(small):
    """A folder of 10 submissions: 8 honest copies, one with an answer's number
    edited in its saved output, one with a table pasted from another run."""
    nb, tmp = small
    folder = tmp / "class"
    folder.mkdir()
    for i in range(7):
        nbformat.write(nb, folder / f"honest{i}.ipynb")
    # The same runs from a BLAS that rounds otherwise: its bit probe differs.
    elsewhere, probe = copy.deepcopy(nb), verify.saved_record(nb)["probe"]
    verify.saved_record(elsewhere)["probe"] = OTHER_PROBE
    for output in (o for c in code_cells(elsewhere) for o in c.outputs):
        if "Bit probe" in output.get("text", ""):
            output.text = output.text.replace(probe, OTHER_PROBE, 1)
    nbformat.write(elsewhere, folder / "honest7.ipynb")
    edited = copy.deepcopy(nb)
    cell = answer_cell(edited, "3(b)")
    output = next(o for o in cell.outputs if "text/markdown" in o.get("data", {}))
    text = output.data["text/markdown"]
    number = next(w for w in text.split() if w.strip("*(),.;").isdigit())
    output.data["text/markdown"] = text.replace(number, number + "9", 1)
    nbformat.write(edited, folder / "edited_answer.ipynb")
    # The committed notebook holds the default run's outputs: another run's table.
    other = table_cell(nbformat.read(NOTEBOOK, as_version=4), "lbfgs-logistic")
    pasted = copy.deepcopy(nb)
    table_cell(pasted, "lbfgs-logistic").outputs = other.outputs
    nbformat.write(pasted, folder / "pasted_table.ipynb")
    status, lines = run_verify(folder, "--out", tmp / "out")
    return folder, status, lines, tmp / "out"


def test_the_notebook_keeps_a_record_of_its_execution(small):
    nb, _ = small
    saved = verify.saved_record(nb)
    assert saved["parameters"]["seeds"] == SMALL["seeds"]
    assert saved["fingerprint"] in "".join(
        o.get("text", "") for c in code_cells(nb) for o in c.outputs
    )
    runs = pd.read_csv(io.StringIO(saved["runs"]))
    assert len(runs) == 4 * len(SMALL["seeds"])
    assert sorted(saved["answers"]) == sorted(
        ["1(b)", "2(b)", "3(b)", "3(c)", "4(b)", "4(c)", "5(b)", "5(c)"]
    )
    assert saved["probe"] == reproducible.bit_probe()


def test_a_stream_split_by_the_kernels_flushes_compares_as_one():
    # A flush can fall between two prints, or between a print's text and its newline.
    lines = "4 of 4 runs came from the cache.\nFingerprint 0a1b.\n"
    whole = [{"output_type": "stream", "name": "stdout", "text": lines}]
    split = [
        {"output_type": "stream", "name": "stdout", "text": lines[:33]},
        {"output_type": "stream", "name": "stderr", "text": "UserWarning: ...\n"},
        {"output_type": "stream", "name": "stdout", "text": lines[33:-1]},
        {"output_type": "stream", "name": "stdout", "text": "\n"},
    ]
    assert verify.comparable(split) == verify.comparable(whole) == ["Fingerprint 0a1b."]


def test_a_class_folder_gives_a_verdict_per_submission(class_folder):
    folder, status, lines, out = class_folder
    assert lines[0] == verify.NOTICE
    found = verdicts(lines)
    assert len(found) == 10
    assert status == 1
    for i in range(8):
        assert found[f"honest{i}.ipynb"] == "reproduces with its own parameters"
    with open(out / "verify.csv") as f:
        table = pd.read_csv(f)
    assert len(table) == 10
    assert (table["verdict"] == "reproduces with its own parameters").sum() == 8
    # A probe of its own, the same runs: it reproduces, and the report says so.
    details = table.set_index("submission")["details"]
    assert details[str(folder / "honest7.ipynb")].startswith(
        f"the same runs, though bit probe {reproducible.bit_probe()} here | "
    )


def test_an_answer_edited_in_the_saved_output_is_named(class_folder):
    _, _, lines, _ = class_folder
    verdict = verdicts(lines)["edited_answer.ipynb"]
    assert verdict == "differs: answers edited: 3(b)"


def test_a_table_pasted_from_another_run_is_named(class_folder, small):
    _, _, lines, out = class_folder
    number = code_cells(small[0]).index(table_cell(small[0], "lbfgs-logistic")) + 1
    verdict = verdicts(lines)["pasted_table.ipynb"]
    assert verdict.startswith(
        f"differs: outputs edited or pasted: code cell {number} ("
    )
    assert "runs differ" not in (out / "verify.txt").read_text()


def test_a_file_not_of_this_homework_exits_2_with_one_line(tmp_path):
    status, lines = run_verify(ROOT / "README.md", "--out", tmp_path)
    assert status == 2
    assert lines[1:] == [
        f"{ROOT / 'README.md'}: not a Jupyter notebook (NotJSONError)."
    ]
    notebook = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), notebook)
    status, lines = run_verify(notebook, "--out", tmp_path)
    assert status == 2
    assert lines[1:] == [
        f"{notebook}: not a notebook of this homework (no cell tagged 'parameters' "
        "or 'record')."
    ]


@needs_reference_cpu
def test_the_reference_probe_and_openblas_are_this_environments():
    if reproducible.blas_in_use()[1] != reproducible.REFERENCE_KERNEL:
        pytest.skip("not the reference kernel here")
    assert reproducible.bit_probe() == reproducible.REFERENCE_PROBE
    assert reproducible.blas_in_use()[2] == reproducible.REFERENCE_OPENBLAS
    assert "the same" in reproducible.probe_line()


# ------------------------------------------------------------------ slow tier


def _under_kernel(tmp, kernel, parameters):
    """Execute the notebook with a kernelspec that carries no BLAS setting, from
    an environment that names ``kernel``: another machine's run."""
    spec = tmp / "jupyter" / "kernels" / "elsewhere"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "elsewhere", "language": "python"})
    )
    code = (
        "import papermill\n"
        f"papermill.execute_notebook({str(NOTEBOOK)!r}, {str(tmp / 'hw04.ipynb')!r},"
        f" parameters={parameters!r}, kernel_name='elsewhere', progress_bar=False,"
        f" cwd={str(ROOT)!r})"
    )
    env = {
        **os.environ,
        "OPENBLAS_CORETYPE": kernel,
        "JUPYTER_PATH": str(spec.parents[1]),
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=900)
    return nbformat.read(tmp / "hw04.ipynb", as_version=4)


@pytest.fixture(scope="module")
def slow_class(small, tmp_path_factory):
    """The slow tier's submissions, verified in one call: an edited code cell, a
    run under SkylakeX, and a PDF of another execution."""
    from hw04.export import COMMAND_LINE_PDF, upload

    nb, tmp = small
    folder = tmp_path_factory.mktemp("slow_class")
    # The training error measured on half the points: the metric changes.
    edited = nbformat.read(NOTEBOOK, as_version=4)
    loop = next(
        c for c in code_cells(edited) if "error_rate(clf, x_tr_N2, y" in c.source
    )
    loop.source = loop.source.replace(
        '"train_error": training.error_rate(clf, x_tr_N2, y_tr_N)',
        '"train_error": training.error_rate(clf, x_tr_N2[::2], y_tr_N[::2])',
    )
    (folder / "edit_src").mkdir()
    nbformat.write(edited, folder / "edit_src" / "hw04.ipynb")
    import papermill

    from hw04.notebook import execution_options

    papermill.execute_notebook(
        str(folder / "edit_src" / "hw04.ipynb"), str(folder / "edited_code.ipynb"),
        parameters={**SMALL, "results_dir": str(tmp / "out" / "results")},
        progress_bar=False, **execution_options(NOTEBOOK) | {"cwd": str(ROOT)},
    )  # fmt: skip
    blas = _under_kernel(folder / "skx", "SkylakeX", SMALL | {"cache": False})
    nbformat.write(blas, folder / "skylakex.ipynb")
    # The honest small run with the PDF of the run under SkylakeX beside it.
    nbformat.write(nb, folder / "honest.ipynb")
    pdfs = folder / "pdf"
    pdfs.mkdir()
    shutil.copyfile(ROOT / "COLLABORATORS.txt", pdfs / "COLLABORATORS.txt")
    pdf, _ = upload.export_pdf(folder / "skylakex.ipynb", pdfs, COMMAND_LINE_PDF)
    own_pdf, _ = upload.export_pdf(folder / "edited_code.ipynb", pdfs, COMMAND_LINE_PDF)
    paths = [folder / "edited_code.ipynb", own_pdf, folder / "skylakex.ipynb"]
    status, lines = run_verify(
        *paths, folder / "honest.ipynb", pdf, "--out", tmp / "out"
    )
    assert status == 1
    return verdicts(lines), blas, (tmp / "out" / "verify.txt").read_text()


@pytest.mark.slow
def test_an_honest_default_run_reproduces_bit_for_bit(default_run):
    nb, tmp = default_run  # its results folder is the verifier's: from the cache
    nbformat.write(nb, tmp / "default.ipynb")
    status, lines = run_verify(tmp / "default.ipynb", "--out", tmp)
    assert (status, verdicts(lines)) == (0, {"default.ipynb": "reproduces"})


@pytest.mark.slow
def test_an_edited_code_cell_is_named_with_the_answers_it_changes(slow_class):
    found, _, report = slow_class
    edited = nbformat.read(ROOT / "hw04.ipynb", as_version=4)  # its cell numbers
    number = next(
        i
        for i, c in enumerate(code_cells(edited), start=1)
        if "training.error_rate(clf, x_tr_N2, y_tr_N)" in c.source
    )
    verdict = found["edited_code.ipynb"]
    assert verdict.startswith(f"differs: edited code cell {number} changes runs: "), (
        report
    )
    _, named, answers = verdict.partition(" and answers ")
    parts = {"1(b)", "2(b)", "3(b)", "3(c)", "4(b)", "4(c)", "5(b)", "5(c)"}
    assert named and set(answers.split(", ")) <= parts, verdict
    # Its PDF, beside it on the command line, is its own: not named.
    assert "PDF" not in verdict


@pytest.mark.slow
@needs_reference_cpu
def test_a_run_under_another_blas_kernel_differs_by_the_probe(slow_class):
    found, blas, report = slow_class
    probe = verify.saved_record(blas)["probe"]
    assert probe != reproducible.REFERENCE_PROBE
    verdict = found["skylakex.ipynb"]
    assert verdict.startswith(
        f"differs: the BLAS rounds otherwise (bit probe {probe} under openblas "
    ), report


@pytest.mark.slow
def test_a_pdf_of_another_execution_is_named(slow_class):
    found, _, report = slow_class
    assert (
        found["honest.ipynb"] == "differs: PDF skylakex.pdf is not this notebook's"
    ), report


@functools.cache
def _probe_and_runs(kernel):
    """(bit probe, digest of the 64 default runs) under OpenBLAS's ``kernel``
    (None: the CPU's own, as HW04_BLAS=native leaves it)."""
    code = (
        "import hashlib\n"
        "from hw04 import inputs, notebook, reproducible, training\n"
        f"settings = notebook.homework_settings({str(NOTEBOOK)!r})\n"
        f"x, y, _, _ = inputs.load_xor_data('data_xor', {str(ROOT)!r})\n"
        "trainer = training.SeedTrainer(n_jobs=1)\n"
        "tables = [trainer.fit_seeds(est, x, y, range(16), keep='table')"
        ".table.drop(columns='fit_seconds') for est in settings.values()]\n"
        "csv = ''.join(t.to_csv(float_format='%.17g') for t in tables)\n"
        "print(reproducible.bit_probe(), hashlib.sha256(csv.encode()).hexdigest())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env |= {"OPENBLAS_CORETYPE": kernel} if kernel else {"HW04_BLAS": "native"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        check=True, timeout=900,
    )  # fmt: skip
    return tuple(done.stdout.split())


@pytest.mark.slow
@needs_reference_cpu
@pytest.mark.parametrize("kernel", [None, *KERNELS])
def test_the_probe_is_the_references_exactly_when_the_runs_are(kernel):
    reference = _probe_and_runs("Haswell")
    probe, runs = _probe_and_runs(kernel)
    assert (probe == reproducible.REFERENCE_PROBE) == (runs == reference[1])
    assert reference[0] == reproducible.REFERENCE_PROBE


@pytest.mark.parametrize(
    "version, probe",
    [("0.3.34", reproducible.REFERENCE_PROBE), (reproducible.REFERENCE_OPENBLAS, "0")],
)
def test_a_pinned_kernel_that_rounds_otherwise_is_not_the_reference(
    monkeypatch, version, probe
):
    """OpenBLAS 0.3.34 keeps the Haswell kernel's name on Zen 4 and rounds
    otherwise: the notice goes by the probe and the release, not the name."""
    monkeypatch.setattr(reproducible, "versions_unlike_reference", lambda: {})
    monkeypatch.setattr(
        reproducible, "blas_in_use", lambda: ("openblas", "Haswell", version)
    )
    monkeypatch.setattr(reproducible, "bit_probe", lambda: probe)
    notice = reproducible.blas_notice()
    assert notice.startswith(f"Note: OpenBLAS {version} runs its Haswell kernel here")
    assert f"(here {probe})" in notice and "\n" not in notice
    assert reproducible.probe_line().endswith("different.")
