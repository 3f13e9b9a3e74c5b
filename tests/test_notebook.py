"""The notebook, executed from a fresh kernel as a student or grader would."""

import json
import os
import re
import time
from xml.etree import ElementTree

import nbformat
import numpy as np
import pytest

from data_xor import make_xor_data as mk
from make_homework import ROOT

PART_HEADINGS = [
    f"### {p} ({q}):"
    for p, qs in (("1", "ab"), ("2", "ab"), ("3", "abc"), ("4", "abc"), ("5", "abc"))
    for q in qs
]


SMALL = {"seeds": list(range(6)), "appendix_seeds": 4}  # the fast tier's run


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, execute):
    """The notebook with 6 seeds and an appendix of 4 seeds per setting: every
    cell runs, in a fraction of the default run's time."""
    tmp = tmp_path_factory.mktemp("small_run")
    return execute(tmp, **SMALL), tmp


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
    """The answer under ``heading``: the first Markdown that a code cell shows
    starting with "**Answer.**"."""
    inside = False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            inside = cell.source.startswith(heading)
            continue
        if inside and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/markdown", "")
                if text.startswith("**Answer.**"):
                    return " ".join(text.split())
    return ""


def answer_cells(nb):
    """The code cells whose output is an answer."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and any(
            o.get("data", {}).get("text/markdown", "").startswith("**Answer.**")
            for o in c.get("outputs", [])
        )
    ]


def test_every_question_part_is_answered(small_run):
    nb, _ = small_run
    sources = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for heading in PART_HEADINGS:
        assert any(s.startswith(heading) for s in sources), heading
        assert outputs_after(nb, heading).strip() or images_after(nb, heading), heading
        if heading[-2] in "bc":
            assert answer_after(nb, heading).startswith("**Answer.**"), heading
    for problem in "1234":
        assert images_after(nb, f"### {problem} (a)") == 1
    assert images_after(nb, "### 5 (a)") == 1
    assert images_after(nb, "### 5 (c)") == 1  # the experiments' rates
    assert "With 4 seeds" in answer_after(nb, "### 5 (c)")


def test_answers_are_prose_with_their_input_hidden():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    for cell in nb.cells:
        flat = " ".join(cell.source.split())
        for pointer in ("line above", "lines above", "line under", "see the table"):
            assert pointer not in flat, (pointer, flat[:80])
    answers = answer_cells(nb)
    assert len(answers) == 8  # 1(b)-4(b), 3(c), 4(c), 5(b) and 5(c)
    helpers = [c for c in nb.cells if "def answer(" in c.source]
    assert len(helpers) == 1
    sentences = 0
    for cell in answers + helpers:
        # Hidden in JupyterLab (a click shows it) and left out of the PDF.
        assert "remove-input" in cell.metadata.get("tags", []), cell.source[:60]
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        sentences += sum(1 for line in cell.source.splitlines() if line.strip())
        # No paragraph chosen by a branch on the results: an answer's one `if` is
        # whether the experiments ran (a parameter, and the engine here).
        for line in cell.source.splitlines():
            if re.search(r"\bif\b", line) and cell in answers:
                assert "run_experiments" in line, line
    assert sentences <= 120, f"{sentences} lines of code make sentences"


def printed_code_lines(nb):
    """The non-blank code lines a PDF of ``nb`` prints."""
    removed = {"remove-input", "remove-cell", "injected-parameters"}
    return [
        line
        for c in nb.cells
        if c.cell_type == "code" and not removed & set(c.metadata.get("tags", []))
        for line in c.source.splitlines()
        if line.strip()
    ]


def test_the_pdf_prints_at_most_150_lines_of_code_with_the_work_in_sight():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    printed = printed_code_lines(nb)
    assert len(printed) <= 150, len(printed)
    flat = "\n".join(printed)
    # The loop over the settings, each fit and a metric stay in plain sight.
    for piece in ("for name, est in settings.items():", "trainer.fit_seeds(",
                  "training.error_rate(clf, x_tr_N2, y_tr_N)"):  # fmt: skip
        assert piece in flat, piece


def loop_call(nb):
    """The main loop's training call, parsed."""
    import ast

    loop = next(c.source for c in nb.cells if "for name, est in settings" in c.source)
    calls = [
        node
        for node in ast.walk(ast.parse(loop))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "fit_seeds"
    ]
    assert len(calls) == 1
    return calls[0]


def test_the_loops_training_call_names_the_estimator_the_data_and_the_seeds():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    call = loop_call(nb)
    assert len(call.args) + len(call.keywords) <= 4


def test_no_one_letter_names_but_loop_variables_and_x_y():
    import ast

    from hw04.notebook import _as_python

    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(_as_python(cell.source))
        loops = {
            name.id
            for node in ast.walk(tree)
            if isinstance(node, (ast.For, ast.comprehension))
            for name in ast.walk(node.target)
            if isinstance(name, ast.Name)
        }
        for node in ast.walk(tree):
            named = node.id if isinstance(node, ast.Name) else None
            if isinstance(node, ast.arg):
                named = node.arg
            if named and len(named) == 1 and named not in loops | {"X", "y", "_"}:
                raise AssertionError(f"one-letter name {named!r} in {cell.source[:60]}")


def zero_error_phrase(k, n):
    return f"{k} of {n} runs ({k / n:.2f})"


# Numbers as an answer writes them: "0.25", "+0.16", the ends of "19-43".
NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:\.\d+)?")


def numbers_in(text):
    return {float(v) for v in NUMBER.findall(text)}


def table_numbers(output):
    html = output.get("data", {}).get("text/html", "")
    if "<table" not in html:
        return set()
    return {v for row in html_rows(html) for cell in row for v in numbers_in(cell)}


def check_numbers_against_tables(nb):
    """Each number of an answer equals a value of the facts table or of a table
    shown in the answer's own problem, as rounded there; or, where an answer names
    a run as an exception, a number of that run in the runs table (to 0.001)."""
    facts = next(c for c in nb.cells if "quoted_facts(facts))  #" in c.source)
    everywhere = set().union(*map(table_numbers, facts.outputs))
    runs = runs_table(nb)
    for column in ("train_error", "final_loss"):
        everywhere |= {round(v, 3) for v in runs[column]}
    assert everywhere, "the facts table"
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    everywhere.add(float(parameters.get("appendix_seeds", 256)))
    everywhere.add(0.05)  # the significance level 5 (c) names
    gaps = [c for c in nb.cells if "tables.activation_gaps(" in c.source]
    for cell in (c for c in gaps if c.outputs):  # how many gaps are beyond chance
        header, *rows = html_rows(cell.outputs[0]["data"]["text/html"])
        ps = [float(v) for row in rows for h, v in zip(header, row) if h.endswith(" p")]
        everywhere |= {float(sum(p < 0.05 for p in ps)), float(len(ps))}
    # 3 (c): how many times as many passes over the data, seed by seed, from the runs.
    lengths = runs.pivot(index="seed", columns="setting", values="n_iter")
    ratio = lengths["sgd-relu"] / lengths["lbfgs-relu"]
    everywhere |= {float(round(ratio.min())), float(round(ratio.max()))}
    # 5 (b): the SGD runs that max_iter stopped; 5 (c): the seeds only the ReLU solves.
    sgd = runs[runs["solver"] == "sgd"]
    everywhere |= {float((sgd["n_iter"] == 400).sum()), float(len(sgd))}
    zero = runs.pivot(index="seed", columns="setting", values="train_error") == 0
    for solver in ("lbfgs", "sgd"):
        only = zero[f"{solver}-relu"] & ~zero[f"{solver}-logistic"]
        everywhere |= {float(seed) for seed in zero.index[only]}
    section, checked = set(), 0
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            section = set()
        for output in cell.get("outputs", []):
            section |= table_numbers(output)
            if cell.source.startswith("tables.outcome_table("):
                section |= fitted_counts(output)
            text = output.get("data", {}).get("text/markdown", "")
            if text.startswith("**Answer.**"):
                stray = numbers_in(text) - everywhere - section
                assert not stray, (sorted(stray), text)
                checked += 1
    assert checked == 8


def fitted_counts(output):
    """An outcome table's runs added up by quadrants fitted, as an answer counts
    them ("3 fit one quadrant" over the rows with p = 0.33 and p = 0.67)."""
    counts = {}
    for row in html_rows(output["data"]["text/html"])[1:]:
        if row and "quadrant" in row[0]:  # "2 quadrants fitted", "no quadrant ..."
            k = row[0].split()[0]
            counts[k] = counts.get(k, 0) + int(row[1])
    return {float(v) for v in counts.values()}


def test_every_number_of_an_answer_is_in_a_table_it_refers_to(small_run):
    check_numbers_against_tables(small_run[0])


@pytest.mark.slow
def test_every_number_of_the_default_answers_is_in_a_table(default_run):
    check_numbers_against_tables(default_run[0])


def check_answers(nb, runs):
    """Every answer (b), (c) and 5 (b) against the runs table of the same execution."""
    n = runs["seed"].nunique()
    names = {"1": "lbfgs-relu", "2": "lbfgs-logistic", "3": "sgd-relu",
             "4": "sgd-logistic"}  # fmt: skip
    for problem, name in names.items():
        rows = runs[runs["setting"] == name]
        answer = answer_after(nb, f"### {problem} (b)")
        zero = rows[rows["train_error"] == 0]
        # The verdict first, in the course's words.
        lead = f"**Answer.** **{zero_error_phrase(len(zero), n)} reach 0 training error"
        assert answer.startswith(lead), (problem, answer)
        first = answer.split(". ")[0]
        for seed in zero["seed"]:
            assert re.search(rf"\b{seed}\b", first), (seed, answer)
        unit = "epochs" if name.startswith("sgd") else "iterations"
        low, high = rows["n_iter"].min(), rows["n_iter"].max()
        iters = f"{low} {unit}" if low == high else f"{low}-{high} {unit}"
        assert f"runs take {iters}" in answer, (iters, answer)
        k = int(rows["converged"].sum())
        stopped = {n: f"rule stopped all {n} runs", 0: f"cut off all {n} runs"}
        assert stopped.get(k, f"rule stopped {k} run") in answer, answer
        failed = rows[rows["train_error"] > 0]
        if name.endswith("relu") and len(failed):
            # The mechanism, measured: failed runs with a unit inactive on a quadrant.
            inactive = int(failed["inactive_unit"].sum())
            said = {0: "none", len(failed): f"all {len(failed)}"}
            said = said.get(inactive, f"{inactive} of {len(failed)}")
            assert f"In {said} failed runs a hidden unit is inactive" in answer, answer
        if name.endswith("logistic") and len(zero) and len(failed):
            near = round(100 * zero["near_plateau"].median())
            assert f"spend a median {near} % of their {unit} near a plateau" in answer
            near = round(100 * failed["near_plateau"].median())
            assert f"the failed runs {near} %" in answer, answer
    three, four = answer_after(nb, "### 3 (c)"), answer_after(nb, "### 4 (c)")
    zero = runs[runs["train_error"] == 0].groupby("setting").size()
    zero = zero.reindex(list(names.values()), fill_value=0)
    for answer in (three, four):
        assert answer.startswith("**Answer.** **Most noticeably different:"), answer
    assert f"0 training error for L-BFGS {zero['lbfgs-relu']} of {n}" in three, three
    assert f"SGD {zero['sgd-relu']} of {n}" in three, three
    assert (
        f"0 training error: L-BFGS {zero['lbfgs-logistic']} of {n}, "
        f"SGD {zero['sgd-logistic']} of {n}" in four
    ), four
    # 3 (c) compares passes over the data (epochs against iterations) and updates.
    lengths = runs.pivot(index="seed", columns="setting", values="n_iter")
    ratio = lengths["sgd-relu"] / lengths["lbfgs-relu"]
    low, high = f"{ratio.min():.0f}", f"{ratio.max():.0f}"
    passes = f"{low if low == high else f'{low}-{high}'} times as many passes over the"
    assert passes in " ".join(three.split()), three
    medians = runs.groupby("setting")["n_iter"].median()
    epochs, iterations = medians["sgd-relu"], medians["lbfgs-relu"]
    assert f"median {epochs:g} epochs against {iterations:g} L-BFGS iterations" in three
    assert f"{epochs * 100:g} minibatch updates against {iterations:g}." in three
    assert re.search(r"fit no quadrant at all:\*\* (\d+ runs? \(|no run)", four), four
    five = answer_after(nb, "### 5 (b)")
    for activation, label in (("relu", "ReLU"), ("logistic", "logistic")):
        rows = runs[runs["activation"] == activation]
        zero = int((rows["train_error"] == 0).sum())
        assert f"{zero} of {2 * n} {label} runs ({zero / (2 * n):.2f})" in five, five
    # Per solver: which activation reaches zero error more often, and which
    # needs more iterations, the larger named first.
    most = set()
    for solver in ("lbfgs", "sgd"):
        rows = runs[runs["solver"] == solver]
        for measure in (rows["train_error"] == 0, rows["n_iter"]):
            by = measure.groupby(rows["activation"])
            by = by.sum() if measure.dtype == bool else by.median()
            relu, logistic = by["relu"], by["logistic"]
            if relu == logistic:
                assert f"a tie at {relu:g}" in five, five
            else:
                (hi, a), (lo, b) = sorted(
                    [(relu, "ReLU"), (logistic, "logistic")], reverse=True
                )
                assert f"{a} {hi:g} against {b} {lo:g}" in five, five
        medians = rows.groupby("activation")["n_iter"].median()
        most.add(medians.idxmax() if medians.nunique() > 1 else "neither")
    # 5 (b)'s verdicts open the answer, naming the activation.
    zero = runs.groupby("activation")["train_error"].apply(lambda e: (e == 0).sum())
    easier = {True: "The logistic sigmoid", False: "The ReLU"}[
        zero["logistic"] > zero["relu"]
    ]
    if zero["logistic"] == zero["relu"]:
        easier = "Neither activation"
    assert five.startswith(f"**Answer.** **{easier} seems easier to optimize:**"), five
    if len(most) == 1 and most != {"neither"}:
        label = {"relu": "ReLU", "logistic": "logistic sigmoid"}[most.pop()]
        assert f"**The {label} requires the most iterations:**" in five, five
    else:
        assert "**Which requires the most iterations depends on the solver" in five


def html_rows(html):
    table = ElementTree.fromstring(
        html[html.index("<table") : html.index("</table>") + 8]
    )
    return [[" ".join("".join(c.itertext()).split()) for c in tr]
            for tr in table.iter("tr")]  # fmt: skip


def outcome_tables(nb):
    """The tables of 1(b)-4(b), runs grouped by what they end on:
    {problem: rows of cells}, each row led by its description."""
    found = {}
    for problem in "1234":
        inside = False
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
                inside = cell.source.startswith(f"### {problem} (b)")
            elif inside and cell.source.startswith("tables.outcome_table("):
                html = cell.outputs[0]["data"]["text/html"]
                found[problem] = [r for r in html_rows(html)[1:] if r]
    return found


def check_descriptions(nb, data_dir, n_seeds):
    """No group's description contradicts its own training errors."""
    from hw04 import inputs, stats

    x_N2, y_N, _, _ = inputs.load_xor_data(data_dir)
    sizes = sorted(np.bincount(stats.quadrant_of(x_N2), minlength=4))
    n_points = len(y_N)
    tables = outcome_tables(nb)
    assert sorted(tables) == list("1234")
    for problem, rows in tables.items():
        assert sum(int(r[1]) for r in rows) == n_seeds, problem
        for row in rows:
            predicts, errors = row[0], [float(v) for v in row[3].split("-")]
            if predicts == "zero training error":
                assert errors == [0.0], (problem, row)
                continue
            k = {"all": 4, "no": 0}.get(predicts.split()[0], None)
            k = int(predicts[0]) if k is None else k
            # k fitted quadrants have >= 90 % of their points right; the rest may
            # be all wrong; so the error has an upper bound, and k = 4 a small one.
            most_wrong = sum(sizes[k:][::-1][: 4 - k]) if k < 4 else 0
            bound = (most_wrong + 0.1 * (n_points - most_wrong)) / n_points
            assert max(errors) <= bound + 1e-9, (problem, row)
            match = re.search(r"p = (\d\.\d\d)(?:-(\d\.\d\d))? on the other", predicts)
            if match and k >= 2:
                # A constant p away from 1/2 classifies all the rest as one class.
                low = float(match[1])
                high = float(match[2] or match[1])
                if high < 0.49 or low > 0.51:
                    assert min(errors) >= 0.05, (problem, row)


def runs_table(nb):
    """The runs table the notebook shows (out of the PDF), as a DataFrame: every
    run with how it ended, so that a test can check what the answers say of it."""
    import pandas as pd

    cell = next(c for c in nb.cells if "display(runs.round(4))" in c.source)
    header, *body = html_rows(cell.outputs[0]["data"]["text/html"])
    table = pd.DataFrame([row[1:] for row in body], columns=header[1:])

    def typed(value):
        if value in ("True", "False"):
            return value == "True"
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value

    return table.map(typed)


# The runs each (b) answer's reasoning does not describe, which the answer must
# name: the reasoning of 1(b) and 2(b) says the failed runs stop by the rule on a
# plateau; 3(b)'s, that and that the runs that solve are cut off at max_iter;
# 4(b)'s, that the runs stopped by the rule stopped at their start.
def _off_plateau(g):
    return ~g["zero_error"] & ~(g["converged"] & g["rest_constant"])


PREMISES = {
    "1": ("lbfgs-relu", _off_plateau),
    "2": ("lbfgs-logistic", _off_plateau),
    "3": ("sgd-relu", lambda g: _off_plateau(g) | (g["zero_error"] & g["converged"])),
    "4": (
        "sgd-logistic",
        lambda g: g["converged"] & ~((g["quadrants_fitted"] == 0) & g["rest_constant"]),
    ),
}


def seeds_named(text):
    """The seeds a sentence names as 'seed 4 (' or in 'seeds 3, 5 and 9'."""
    found = set()
    for words in re.findall(r"seeds? ((?:\d+(?:, | and )?)+)", text):
        found |= {int(v) for v in re.findall(r"\d+", words)}
    return found


def check_premises(nb):
    """Each reasoning paragraph's premises against the runs it speaks of: the runs
    that behave otherwise are the ones its answer names as exceptions, the failed
    runs' counts add up, and the L-BFGS plateaus sit at the plateau losses the
    reasoning gives."""
    from hw04 import stats
    from hw04.wording import span

    table = runs_table(nb)
    table = table.assign(zero_error=table["train_error"] == 0)
    for problem, (name, odd) in PREMISES.items():
        g = table[table["setting"] == name]
        answer = answer_after(nb, f"### {problem} (b)")
        _, _, told = answer.partition("The exception")
        named = {int(v) for v in re.findall(r"seed (\d+) \(", told)}
        assert named == set(g.loc[odd(g), "seed"]), (problem, named, answer)
        falling = set(g.loc[~g["converged"] & g["still_falling"], "seed"])
        match = re.search(r"the loss of (seeds? [\d, and]+) was still falling", answer)
        assert (seeds_named(match[1]) if match else set()) == falling, answer
        failed = int((~g["zero_error"]).sum())
        counts = re.search(
            r"[Tt]he other (\d+) fail(?:: (.*?)|, all fitting .*?)\. (?:In|The) ",
            answer,
        )
        if 1 < failed < len(g):  # by quadrants fitted, or all alike
            parts = [int(v) for v in re.findall(r"(\d+) fits? ", counts[2] or "")]
            assert int(counts[1]) == failed == (sum(parts) or failed), answer
        if failed == 1 and len(g) > 1:
            assert "The other run fails" in answer, answer
        if name.startswith("lbfgs"):
            on = g[~g["zero_error"] & g["rest_constant"]]
            for k, loss in zip(on["quadrants_fitted"], on["final_loss"]):
                assert abs(loss - stats.plateau_loss(k)) < 0.005, (name, k, loss)
    # 4(c): the SGD runs that fit no quadrant stayed at their start, but for those
    # it names; the two-quadrant runs of each solver as it says.
    g = table[table["setting"] == "sgd-logistic"]
    answer = answer_after(nb, "### 4 (c)")
    none = g[g["quadrants_fitted"] == 0]
    start = none[none["converged"] & none["rest_constant"]]
    _, _, told = answer.partition("The exception")
    told = told.partition("The failed runs that fit two")[0]
    named = {int(v) for v in re.findall(r"seed (\d+) \(", told)}
    assert named == set(none["seed"]) - set(start["seed"]), answer
    for name, who in (("lbfgs-logistic", "L-BFGS's"), ("sgd-logistic", "SGD's")):
        two = table[
            (table["setting"] == name) & (table["train_error"] > 0)
            & (table["quadrants_fitted"] == 2)
        ]  # fmt: skip
        if len(two):
            errors = span(two["train_error"].min(), two["train_error"].max())
            assert f"{who} {len(two)} have" in answer and errors in answer, answer
    # 3(c): every seed that ends with as many quadrants fitted with both solvers.
    ends = table.pivot(index="seed", columns="setting", values="quadrants_fitted")
    differ = set(ends.index[ends["lbfgs-relu"] != ends["sgd-relu"]])
    three = answer_after(nb, "### 3 (c)")
    said = three.partition("every seed")[2].partition("fits as many")[0]
    assert {int(v) for v in re.findall(r"\d+", said)} == differ, three


def check_tables(nb):
    """No table prints a header row of its index's name alone, or a whole number
    as '30.0'."""
    checked = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            if "<table" not in html:
                continue
            checked += 1
            for row in html_rows(html):
                assert any(row[1:]) or len(row) < 2, (row, cell.source[:60])
                for value in row:
                    assert not re.fullmatch(r"-?\d+\.0", value), (value, row)
    assert checked >= 10


def check_experiments(nb):
    """5 (c): its verdict, each gap and its p-value against the gaps table, and
    the gaps said to be within chance."""
    cell = next(c for c in nb.cells if "tables.activation_gaps(" in c.source)
    header, *rows = html_rows(cell.outputs[0]["data"]["text/html"])
    gaps = {row[0]: dict(zip(header[1:], map(float, row[1:]))) for row in rows}
    answer = answer_after(nb, "### 5 (c)")
    significant = [
        g[solver] > 0 and g[f"{solver} p"] < 0.05
        for g in gaps.values()
        for solver in ("L-BFGS", "SGD")
    ]
    verdict = "Yes, in the conditions tried." if all(significant) else "No."
    assert answer.startswith(f"**Answer.** **{verdict}**"), answer
    for condition, g in gaps.items():
        said = f"{g['L-BFGS']:+.2f} and {g['SGD']:+.2f} with {condition}"
        assert said in answer, (said, answer)
        for solver in ("L-BFGS", "SGD"):
            within = f"{solver} with {condition} (p = {g[f'{solver} p']:g})"
            assert (within in answer) == (g[f"{solver} p"] >= 0.05), (within, answer)
    beyond = sum(g[f"{s} p"] < 0.05 for g in gaps.values() for s in ("L-BFGS", "SGD"))
    assert f"puts {beyond} of the {2 * len(gaps)} gaps beyond chance" in answer


def sentences_of(paragraph):
    """The sentences of a paragraph, a parenthesised list of seeds as one word."""
    text = re.sub(r"\(seeds? [\d, and]+\)", "(seeds)", paragraph)
    text = re.sub(r"\$[^$]*\$", "x", text)  # a formula is a word
    return [s for s in re.split(r"(?<=[.?!:])\s+(?=[A-Z*])", text) if s.strip()]


def check_prose(nb):
    """What a grader reads before the last page: the course's words, no machinery,
    sentences and paragraphs short enough to mark."""
    last = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## How the"))
    texts = [c.source for c in nb.cells[:last] if c.cell_type == "markdown"]
    texts += [
        o["data"]["text/markdown"]
        for c in nb.cells[:last]
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]
    for text in texts:
        for word in ("stats.", "training.", "wording.", "fingerprint", "lockstep",
                     "cache", "engine"):  # fmt: skip
            assert word not in text.lower(), (word, text[:80])
        for paragraph in re.split(r"\n\s*\n", text):
            if paragraph.lstrip().startswith(("#", "1.", "*")):
                continue  # headings are the course's questions; lists are short
            words = paragraph.split()
            assert len(words) <= 140, (len(words), paragraph[:80])
            for sentence in sentences_of(" ".join(words)):
                assert len(sentence.split()) <= 40, sentence
    assert re.match(r"\*\*Answer\.\*\* \*\*(No|Yes)\b", answer_after(nb, "### 5 (c)"))


def test_answers_state_this_executions_numbers(small_run):
    nb, tmp = small_run
    check_answers(nb, runs_table(nb))
    check_descriptions(nb, ROOT / "data_xor", len(SMALL["seeds"]))
    check_premises(nb)
    check_experiments(nb)
    check_tables(nb)


def test_the_prose_a_grader_reads_is_short_and_in_the_courses_words():
    check_prose(nbformat.read(ROOT / "hw04.ipynb", as_version=4))


@pytest.mark.slow
def test_the_default_answers_hold_for_the_runs_they_name(default_run):
    nb, _ = default_run
    check_answers(nb, runs_table(nb))
    check_descriptions(nb, ROOT / "data_xor", 16)
    check_premises(nb)
    check_experiments(nb)
    check_tables(nb)


def test_the_committed_answers_hold_for_the_runs_they_name():
    # The outputs saved in hw04.ipynb, which the slow tier proves fresh.
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    check_answers(nb, runs_table(nb))
    check_numbers_against_tables(nb)
    check_premises(nb)
    check_experiments(nb)
    check_tables(nb)


@pytest.mark.slow
def test_the_answers_hold_for_seeds_16_to_31(tmp_path, execute):
    # Each claim the answers print, checked against this run's own tables.
    nb = execute(tmp_path, seeds=list(range(16, 32)), appendix_seeds=32)
    check_answers(nb, runs_table(nb))
    check_descriptions(nb, ROOT / "data_xor", 16)
    check_numbers_against_tables(nb)
    check_premises(nb)
    check_experiments(nb)
    check_tables(nb)
    check_prose(nb)


def test_the_notebook_runs_the_grid_itself():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    loop = next(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "for name, est in settings.items():" in c.source
    )
    for piece in (".fit_seeds(", "training.error_rate(clf, x_tr_N2", "n_iter_",
                  "stats.converged(clf)", "clf.loss_", "rows.append("):  # fmt: skip
        assert piece in loop, piece
    local = set(re.findall(r"^\s*(?:import|from) (\w+)", code, flags=re.M))
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
        "run **solves** when its training error is at most the XOR rule's own "
        "error on those points plus five points"
    )
    assert stats.SOLVED_SLACK == 0.05  # "five points"
    assert sum(rule in m for m in flat) == 1
    experiments = next(m for m in flat if m.startswith("### 5 (c)"))
    assert rule in experiments
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    appendix_code = next(c for c in code if "experiments = [" in c)
    assert 'stats.solved(table["train_error"], rule_error)' in appendix_code
    # No second "solved" threshold; exactly zero error (what the questions ask) is
    # the one comparison allowed.
    for source in code:
        assert not re.search(r"train_error\W*\s*(<=|<|>=)\s*[\d.]", source)
        assert not re.search(r"train_error\W*\s*(==|>)\s*(?!0\b)[\d.]", source)


def test_one_row_per_run_and_the_runs_table_is_saved(small_run):
    nb, tmp = small_run
    n = len(SMALL["seeds"])
    # The table of all runs stays in the notebook (out of the PDF).
    cell = next(c for c in nb.cells if "display(runs.round(4))" in c.source)
    assert "remove-cell" in cell.metadata["tags"]
    assert len(html_rows(cell.outputs[0]["data"]["text/html"])[1:]) == 4 * n
    import pandas as pd

    table = pd.read_csv(tmp / "results" / "runs.csv")
    assert list(table.columns) == [
        "setting", "solver", "activation", "seed", "n_iter", "converged",
        "final_loss", "train_error", "test_error", "fit_seconds",
    ]  # fmt: skip
    assert len(table) == 4 * n and table["seed"].nunique() == n
    assert (tmp / "results" / "appendix_rates.csv").exists()


def test_no_warning_or_chatter_in_any_output(small_run):
    nb, _ = small_run
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", output
            text = text_of(output)
            for bad in ("Warning", "warn(", "Iteration ", "it/s]", "run/s]", "\x1b["):
                assert bad not in text, (bad, text[:200])


def test_exactness_check_refits_one_run_per_sgd_setting(small_run):
    nb, _ = small_run
    cell = next(c for c in nb.cells if c.source.startswith("checked = "))
    text = "\n".join(text_of(o) for o in cell.outputs)
    rows = [t.split() for t in text.splitlines() if t.startswith("sgd-")]
    assert [r[0] for r in rows] == ["sgd-relu", "sgd-logistic"]
    assert all(r[3] == "True" for r in rows)


def test_a_loop_of_fits_ends_with_one_summary_line(small_run):
    nb, _ = small_run
    n = len(SMALL["seeds"])
    loops = (
        ("for name, est in settings.items():", f"{4 * n} runs in"),
        ("for condition, units, x_N2, y_N in experiments:", "64 runs in"),
    )
    for marker, first in loops:
        cell = next(c for c in nb.cells if marker in c.source)
        shown = [o for o in cell.outputs if o.output_type == "display_data"
                 and o["data"].get("text/plain", "").strip()]  # fmt: skip
        assert not shown, [o["data"]["text/plain"] for o in shown]
        lines = "".join(o.text for o in cell.outputs if o.output_type == "stream")
        lines = lines.splitlines()
        assert lines[0].startswith(first), lines
        if first == f"{4 * n} runs in":
            assert len(lines) == 2 and lines[1].startswith("Fingerprint "), lines
        else:
            assert len(lines) == 1, lines


def test_before_problem_1_only_the_set_up(small_run):
    nb, _ = small_run
    first = next(
        i for i, c in enumerate(nb.cells) if c.source.startswith("## Problem 1")
    )
    # The prose and the outputs (a parameter's comment may name the engine).
    before = " ".join(
        " ".join(c.source.split())
        for c in nb.cells[:first]
        if c.cell_type == "markdown"
    ) + " ".join(text_of(o) for c in nb.cells[:first] for o in c.get("outputs", []))
    for engine_talk in ("lockstep", "exactness", "from the cache", "refitted"):
        assert engine_talk not in before, engine_talk
    closing = next(c for c in nb.cells if c.source.startswith("## How the runs"))
    assert "page-break" in closing.metadata.get("tags", [])
    assert nb.cells.index(closing) > first


def mask(text):
    """Blank out what changes from run to run: timings, what the cache held, and
    where the checkout lies (the checks before upload name COLLABORATORS.txt)."""
    text = re.sub(r"\S*/COLLABORATORS\.txt", "COLLABORATORS.txt", text)
    text = re.sub(r"\d+\.\d+ s\b", "<time> s", text)
    text = re.sub(
        r"\d+ of (\d+) runs came from the cache",
        r"<n> of \1 runs came from the cache",
        text,
    )
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
    """A cell's text outputs, its streams each as one text: where the kernel's
    flushes split a stream into outputs depends on the machine's speed."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            continue
        streams = {}
        for output in cell.outputs:
            data = output.get("data", {})
            if "<table" in data.get("text/html", ""):
                found.append(without_timing_column(data["text/html"]))
                continue
            for key in ("text/plain", "text/markdown"):
                if key in data:
                    found.append(mask(data[key]))
            if output.get("output_type") == "stream":
                streams[output["name"]] = (
                    streams.get(output["name"], "") + output["text"]
                )
        found += [mask(text) for text in streams.values()]
    return found


@pytest.mark.slow
def test_committed_outputs_are_what_the_code_produces_now(default_run):
    nb, tmp = default_run
    committed = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    assert text_outputs(committed) == text_outputs(nb), (
        "The outputs saved in hw04.ipynb are stale; refresh them with "
        "`python3 make_homework.py outputs`."
    )


def test_rerun_with_other_seeds_and_other_data(tmp_path, execute):
    data_dir = tmp_path / "other_data"
    mk.write_xor_data(data_dir, noise_sd=0.25, random_state=7)
    seeds = list(range(16, 21))
    nb = execute(tmp_path, seeds=seeds, data_dir=str(data_dir), appendix=False)
    everything = "\n".join(
        text_of(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert f"from {data_dir}; 5 seeds per setting" in everything
    assert "20 runs in" in everything
    assert "The experiments did not run" in answer_after(nb, "### 5 (c)")
    import pandas as pd

    table = pd.read_csv(tmp_path / "results" / "runs.csv")
    assert sorted(table["seed"].unique()) == seeds and len(table) == 20
    check_answers(nb, runs_table(nb))
    check_descriptions(nb, data_dir, len(seeds))
    check_numbers_against_tables(nb)
    check_premises(nb)


def test_bad_parameters_stop_at_the_check_with_a_clear_message(tmp_path, execute):
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


def test_appendix_seeds_is_checked_with_the_other_parameters(tmp_path, execute):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path, appendix_seeds=0)
    assert err.value.ename == "HomeworkInputError"
    assert "appendix_seeds must be a positive number" in err.value.evalue
    nb = json.loads((tmp_path / "hw04.ipynb").read_text())
    ran = [c for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"]]
    assert "check_parameters" in "".join(ran[-1]["source"])


def test_notebook_settings_are_the_homeworks():
    from hw04.notebook import homework_settings

    settings = homework_settings(ROOT / "hw04.ipynb")
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


def test_no_worker_of_the_kernel_outlives_the_run(tmp_path, execute):
    # The run stops its kernel at once (hw04.notebook.execution_options); its joblib
    # workers and their resource trackers must go with it.
    before = _stray_workers()
    execute(tmp_path, seeds=[0, 1], appendix=False, cache=False, n_jobs=2)
    deadline = time.monotonic() + 10
    while _stray_workers() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _stray_workers() - before
