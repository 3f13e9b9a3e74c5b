"""The notebook, executed from a fresh kernel as a student or grader would."""

import json
import re

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
    for name in ("seeds", "data_dir", "results_dir", "n_jobs", "engine", "appendix"):
        line = next(t for t in code[1].source.splitlines() if t.startswith(name + " "))
        assert "  # " in line, f"parameter {name} has no comment"


def test_every_question_part_is_answered(default_run):
    nb, _ = default_run
    sources = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for heading in PART_HEADINGS:
        assert any(s.startswith(heading) for s in sources), heading
        assert outputs_after(nb, heading).strip() or images_after(nb, heading), heading
    for problem in "1234":
        assert images_after(nb, f"### {problem}(a)") == 1
        assert re.search(r"\*\*\d+ of 16 runs", outputs_after(nb, f"### {problem}(b)"))
    assert images_after(nb, "### 5(a)") == 1
    assert "Three experiments would settle it" in outputs_after(nb, "### 5(c) Is")
    assert "**(1) Many seeds.** With 256 seeds" in outputs_after(nb, "### 5(c), ans")


def test_one_line_per_run_and_the_runs_table_is_saved(default_run):
    nb, tmp = default_run
    for problem, unit in zip("1234", ["iters", "iters", "epochs", "epochs"]):
        text = outputs_after(nb, f"## Problem {problem}")
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
    sweep = next(c for c in nb.cells if "run_checked_sweep" in c.source)
    text = "\n".join(text_of(o) for o in sweep.outputs)
    assert "identical **bit for bit**" in text
    rows = [t for t in text.splitlines() if t.startswith("| sgd-")]
    assert [r.split(" | ")[0] for r in rows] == ["| sgd-relu", "| sgd-logistic"]
    assert all(" | yes | - |" in r for r in rows)


def mask(text):
    """Blank out what changes from run to run: timings."""
    return re.sub(r"\d+\.\d+ s\b", "<time> s", text)


def without_timing_column(html):
    """A DataFrame's HTML as rows, minus its fit_seconds column."""
    import build

    rows = build.pipe_table_rows(build.html_table_to_markdown(html))
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
        "`python3 build.py outputs`."
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
    assert "Trained 4 setting(s) x 3 seeds" in everything
    for problem in "1234":
        text = outputs_after(nb, f"## Problem {problem}")
        seeds = re.findall(r"seed +(\d+)", text)
        assert seeds == ["16", "17", "18"]
        answer = outputs_after(nb, f"### {problem}(b)")
        assert re.search(r"\*\*\d of 3 runs", answer)
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


def test_notebook_settings_are_the_homeworks():
    """The configuration the notebook spells out is the one scripts and tests use."""
    import hw04_runs

    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    cell = next(
        c for c in nb.cells if c.cell_type == "code" and "settings = {" in c.source
    )
    namespace = {}
    exec(
        "from sklearn.neural_network import MLPClassifier\n"
        "from MLPClassifierWithSolverLBFGS import MLPClassifierLBFGS\n" + cell.source,
        namespace,
    )
    reference = hw04_runs.homework_settings()
    assert list(namespace["settings"]) == list(reference)
    for name, est in namespace["settings"].items():
        assert type(est) is type(reference[name])
        assert est.get_params() == reference[name].get_params()
