"""The notebook, executed from a fresh kernel as a student or grader would."""

import json
import os
import re
import time
from xml.etree import ElementTree

import nbformat
import pytest

from conftest import ROOT, execute
from data_xor import make_xor_data as mk

PART_HEADINGS = [
    f"### {p}({q})"
    for p, qs in (("1", "ab"), ("2", "ab"), ("3", "abc"), ("4", "abc"), ("5", "abc"))
    for q in qs
]


def text_of(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/markdown") or data.get("text/plain", "")


def outputs_after(nb, heading):
    """All text the code cells between ``heading`` and the next heading print."""
    texts, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            inside = cell.source.startswith(heading)
            continue
        if inside and cell.cell_type == "code":
            texts += [text_of(o) for o in cell.outputs]
    return "\n".join(texts)


def images_after(nb, heading):
    count, inside = 0, False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            inside = cell.source.startswith(heading)
            continue
        if inside and cell.cell_type == "code":
            count += sum("image/png" in o.get("data", {}) for o in cell.outputs)
    return count


def test_parameters_cell_is_tagged_and_right_after_the_imports():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "import" in code[0].source
    assert code[1].metadata.get("tags") == ["parameters"]
    names = ("seeds", "data_dir", "results_dir", "n_jobs", "engine", "appendix",
             "appendix_seeds", "cache")  # fmt: skip
    for name in names:
        line = next(t for t in code[1].source.splitlines() if t.startswith(name + " "))
        assert "  # " in line, f"parameter {name} has no comment"


def answer_after(nb, heading):
    """The Markdown answer cell that follows the code under ``heading``."""
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            inside = cell.source.startswith(heading)
            continue
        if inside and cell.cell_type == "markdown":
            return cell.source
    return ""


def test_every_question_part_is_answered(default_run):
    nb, _ = default_run
    sources = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for heading in PART_HEADINGS:
        assert any(s.startswith(heading) for s in sources), heading
        assert outputs_after(nb, heading).strip() or images_after(nb, heading), heading
        if heading[-2] in "bc":
            assert answer_after(nb, heading).startswith("**Answer.**"), heading
    for problem in "1234":
        assert images_after(nb, f"### {problem}(a)") == 1
        text = outputs_after(nb, f"### {problem}(b)")
        assert re.search(r"\d+ of 16 runs solve the training set", text)
    assert images_after(nb, "### 5(a)") == 1
    assert "Solved more often, pooled over both solvers:" in outputs_after(
        nb, "### 5(b)"
    )
    assert "95 % intervals overlap for" in outputs_after(nb, "### 5(c) Is")
    assert "256 seeds:" in outputs_after(nb, "### 5(c), ans")


def test_the_notebook_runs_the_grid_itself():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    loop = next(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "for name, est in settings.items():" in c.source
    )
    for piece in ("training.fit_seeds(", "zero_one_loss(y_tr_N", "n_iter_",
                  "stats.converged(clf)", "clf.loss_", "rows.append("):  # fmt: skip
        assert piece in loop, piece
    local = set(re.findall(r"^(?:import|from) (\w+)", code, flags=re.M))
    ours = {p.stem for p in ROOT.glob("*.py")} | {"hw04"}
    # The two course modules at the top of the folder, and the installed package.
    assert local & ours == {
        "MLPClassifierWithSolverLBFGS",
        "viz_tools_for_binary_classifier",
        "hw04",
    }


def test_one_solved_rule_in_code_and_text():
    from hw04 import stats

    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    flat = [" ".join(m.split()) for m in markdown]
    rule = (
        "solves** the training set when its training error is at most the XOR "
        "rule's own error on those points plus five percentage points"
    )
    assert stats.SOLVED_SLACK == 0.05  # "five percentage points"
    assert sum(rule in m for m in flat) == 1
    appendix = next(m for m in flat if m.startswith("## Appendix"))
    assert "solved by the rule stated at the top (`stats.solved`)" in appendix
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    appendix_code = next(c for c in code if "experiments = " in c)
    assert "stats.solved(error, exp_rule_error)" in appendix_code
    for source in code:
        assert not re.search(r"train_error\W*\s*(<=|==|<|>=|>)\s*[\d.]", source)


def test_one_line_per_run_and_the_runs_table_is_saved(default_run):
    nb, tmp = default_run
    for problem, unit in zip("1234", ["iters", "iters", "epochs", "epochs"]):
        text = outputs_after(nb, f"### {problem}(b)")
        lines = [t for t in text.splitlines() if t.startswith("run ")]
        assert len(lines) == 16 and all(unit in t for t in lines)
    import pandas as pd

    table = pd.read_csv(tmp / "results" / "runs.csv")
    assert list(table.columns) == [
        "setting", "solver", "activation", "seed", "n_iter", "converged",
        "final_loss", "train_error", "test_error", "fit_seconds",
    ]  # fmt: skip
    assert len(table) == 64 and table["seed"].nunique() == 16
    assert (tmp / "results" / "appendix_rates.csv").exists()


def test_no_warning_or_chatter_in_any_output(default_run):
    nb, _ = default_run
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", output
            text = text_of(output)
            for bad in ("Warning", "warn(", "Iteration ", "it/s]", "run/s]", "\x1b["):
                assert bad not in text, (bad, text[:200])


def test_exactness_check_refits_one_run_per_sgd_setting(default_run):
    nb, _ = default_run
    cell = next(c for c in nb.cells if c.source.startswith("checked = "))
    text = "\n".join(text_of(o) for o in cell.outputs)
    rows = [t.split() for t in text.splitlines() if t.startswith("sgd-")]
    assert [r[0] for r in rows] == ["sgd-relu", "sgd-logistic"]
    assert all(r[3] == "True" for r in rows)


def test_a_loop_of_fits_leaves_one_block_of_summary_lines(default_run):
    nb, _ = default_run
    for marker, n_lines in (("for name, est in settings.items():", 4),
                            ("for exp in experiments.itertuples():", 16)):  # fmt: skip
        cell = next(c for c in nb.cells if marker in c.source)
        blocks = [o for o in cell.outputs if o.output_type == "display_data"
                  and "runs in" in o["data"].get("text/plain", "")]  # fmt: skip
        assert len(blocks) == 1, marker
        lines = blocks[0]["data"]["text/plain"].splitlines()
        assert len(lines) == n_lines and all(" runs in " in t for t in lines)


def mask(text):
    """Blank out what changes from run to run: timings, and what the cache held."""
    text = re.sub(r"\d+\.\d+ s\b", "<time> s", text)
    text = re.sub(r"\d+ of (\d+) runs came from the cache", r"<n> of \1 runs came "
                  "from the cache", text)  # fmt: skip
    return text.replace(", all from the cache.", ".")


def without_timing_column(html):
    """A DataFrame's HTML as rows of cell texts, minus its fit_seconds column."""
    table = ElementTree.fromstring(
        html[html.index("<table") : html.index("</table>") + 8]
    )
    rows = [
        [" ".join("".join(c.itertext()).split()) for c in tr] for tr in table.iter("tr")
    ]
    if "fit_seconds" in rows[0]:
        k = rows[0].index("fit_seconds")
        rows = [r[:k] + r[k + 1 :] for r in rows]
    return rows


def text_outputs(nb):
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            data = output.get("data", {})
            if "<table" in data.get("text/html", ""):
                found.append(without_timing_column(data["text/html"]))
                continue
            for key in ("text/plain", "text/markdown"):
                if key in data:
                    found.append(mask(data[key]))
            if output.get("output_type") == "stream":
                found.append(mask(output["text"]))
    return found


def test_committed_outputs_are_what_the_code_produces_now(default_run):
    nb, tmp = default_run
    committed = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    assert text_outputs(committed) == text_outputs(nb), (
        "The outputs saved in hw04.ipynb are stale; refresh them with "
        "`python3 make_homework.py outputs`."
    )


def test_rerun_with_other_seeds_and_other_data(tmp_path):
    data_dir = tmp_path / "other_data"
    mk.write_xor_data(data_dir, noise_sd=0.25, random_state=7)
    nb = execute(
        tmp_path, seeds=[16, 17, 18], data_dir=str(data_dir), appendix=False, n_jobs=1
    )
    everything = "\n".join(
        text_of(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert f"from {data_dir}; 3 seeds per setting" in everything
    assert "Trained 4 settings x 3 seeds" in everything
    for problem in "1234":
        answer = outputs_after(nb, f"### {problem}(b)")
        runs = [t for t in answer.splitlines() if t.startswith("run ")]
        assert [re.search(r"seed +(\d+)", t)[1] for t in runs] == ["16", "17", "18"]
        assert re.search(r"\d of 3 runs solve the training set", answer)
    assert "Appendix skipped" in outputs_after(nb, "### 5(c), ans")
    import pandas as pd

    table = pd.read_csv(tmp_path / "results" / "runs.csv")
    assert sorted(table["seed"].unique()) == [16, 17, 18] and len(table) == 12


def test_bad_parameters_stop_at_the_check_with_a_clear_message(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path, seeds=[1, 1, 2])
    assert err.value.ename == "HomeworkInputError"
    assert "seeds must be distinct; repeated: [1]" in err.value.evalue
    nb = json.loads((tmp_path / "hw04.ipynb").read_text())
    failed = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "code"
        and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert len(failed) == 1 and "check_parameters" in "".join(failed[0]["source"])


def test_appendix_seeds_is_checked_with_the_other_parameters(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path, appendix_seeds=0)
    assert err.value.ename == "HomeworkInputError"
    assert "appendix_seeds must be a positive number" in err.value.evalue
    nb = json.loads((tmp_path / "hw04.ipynb").read_text())
    ran = [c for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"]]
    assert "check_parameters" in "".join(ran[-1]["source"])


def test_notebook_settings_are_the_homeworks():
    from conftest import homework_settings

    settings = homework_settings()
    assert list(settings) == ["lbfgs-relu", "lbfgs-logistic", "sgd-relu",
                              "sgd-logistic"]  # fmt: skip
    common = {"hidden_layer_sizes": [2], "alpha": 1e-4}
    lbfgs = common | {"max_iter": 200, "tol": 1e-6}
    sgd = common | {"batch_size": 10, "max_iter": 400, "tol": 1e-8,
                    "learning_rate": "adaptive", "learning_rate_init": 0.1,
                    "momentum": 0.0}  # fmt: skip
    for name, est in settings.items():
        solver, activation = name.split("-")
        expected = (lbfgs if solver == "lbfgs" else sgd) | {"activation": activation}
        params = est.get_params()
        assert {k: params[k] for k in expected} == expected, name
        assert est.solver == solver
    assert type(settings["lbfgs-relu"]).__name__ == "MLPClassifierLBFGS"
    assert type(settings["sgd-relu"]).__name__ == "MLPClassifier"


def _stray_workers():
    """Pids of joblib worker or tracker processes not descended from this one."""
    import psutil

    strays = set()
    for proc in psutil.process_iter(["cmdline"]):
        command = " ".join(proc.info["cmdline"] or [])
        if "joblib.externals.loky" not in command and "resource_tracker" not in command:
            continue
        try:
            if os.getpid() not in {p.pid for p in proc.parents()}:
                strays.add(proc.pid)
        except psutil.NoSuchProcess:
            pass
    return strays


def test_no_worker_of_the_kernel_outlives_the_run(tmp_path):
    # The run stops its kernel at once (hw04.notebook.papermill_options); its joblib
    # workers and their resource trackers must go with it.
    before = _stray_workers()
    execute(tmp_path, seeds=[0, 1], appendix=False, cache=False, n_jobs=2)
    deadline = time.monotonic() + 10
    while _stray_workers() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _stray_workers() - before
