"""Same numbers on every machine: one OpenBLAS kernel for every route.

``OPENBLAS_CORETYPE`` set in the environment that starts a route stands for
another kind of CPU (SkylakeX: Intel with AVX-512; Sandybridge: older CPUs;
Haswell: AMD Zen and most Intel); the package's routes replace it with the
reference kernel, so the runs are the same bits.
"""

import json
import os
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from hw04 import reproducible
from make_homework import ROOT

KERNELS = ["SkylakeX", "Sandybridge", "Haswell"]
FINGERPRINT = re.compile(r"Fingerprint [0-9a-f]{12}: [^\n]*")

needs_reference_cpu = pytest.mark.skipif(
    not reproducible.cpu_runs_reference(),
    reason="this CPU cannot run OpenBLAS's Haswell kernel (no AVX2 and FMA)",
)


def text_outputs(nb):
    """Every printed line and every text or Markdown output of ``nb``'s code cells."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            found += [data[k] for k in ("text/plain", "text/markdown") if k in data]
            if output.get("output_type") == "stream":
                found.append(output["text"])
    return found


def fingerprint_of(nb):
    found = FINGERPRINT.findall("\n".join(text_outputs(nb)))
    assert len(found) == 1, found
    return found[0]


def _run_route(tmp, kernel):
    """The notebook's main loop through papermill's route (hw04.notebook), from a
    process whose environment names ``kernel``."""
    code = (
        "from hw04.notebook import execute_notebook\n"
        f"execute_notebook({str(tmp)!r}, {{'appendix': False, 'cache': False,"
        f" 'results_dir': {str(tmp / 'results')!r}}}, progress=False,"
        f" notebook={str(ROOT / 'hw04.ipynb')!r})"
    )
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=600)
    nb = nbformat.read(tmp / "hw04.ipynb", as_version=4)
    runs = pd.read_csv(tmp / "results" / "runs.csv").drop(columns="fit_seconds")
    return nb, runs


@pytest.fixture(scope="module")
def under_each_kernel(tmp_path_factory):
    return {k: _run_route(tmp_path_factory.mktemp(k), k) for k in KERNELS}


@pytest.mark.slow
@needs_reference_cpu
def test_three_kinds_of_cpu_give_the_same_runs_and_fingerprint(
    under_each_kernel, default_run
):
    nb_ref, runs_ref = under_each_kernel["Haswell"]
    for kernel in KERNELS:
        nb, runs = under_each_kernel[kernel]
        pd.testing.assert_frame_equal(runs, runs_ref, check_exact=True)
        assert fingerprint_of(nb) == fingerprint_of(nb_ref), kernel
        assert "Haswell kernel, the reference one" in "\n".join(text_outputs(nb))
    # The default run (appendix on) trains the same main runs.
    assert fingerprint_of(default_run[0]) == fingerprint_of(nb_ref)


@pytest.mark.slow
@needs_reference_cpu
def test_the_engine_runs_compiled_steps_under_each_kernel(under_each_kernel):
    for kernel, (nb, _) in under_each_kernel.items():
        table = next(t for t in text_outputs(nb) if "identical" in t and "steps" in t)
        rows = [line for line in table.splitlines() if line.startswith("sgd-")]
        assert len(rows) == 2 and all("compiled" in r for r in rows), (kernel, table)


def test_readme_gives_the_default_runs_fingerprint(executed):
    # The committed outputs are the default run's (checked in the slow tier).
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"Fingerprint of the default run: `([^`]*)`", readme)
    assert stated, "README states no fingerprint of the default run"
    assert stated.group(1) == fingerprint_of(nbformat.read(executed, as_version=4))


@needs_reference_cpu
def test_setup_wrote_the_kernel_into_the_kernelspec():
    if os.environ.get(reproducible.SWITCH, "").lower() == "native":
        pytest.skip("HW04_BLAS=native: the CPU's own kernel was chosen")
    spec = json.loads(reproducible.kernelspec_file().read_text())
    assert spec["env"] == {"OPENBLAS_CORETYPE": "Haswell"}
    assert reproducible.chosen_environment() == spec["env"]


def test_the_switch_keeps_the_cpus_own_kernel(monkeypatch):
    monkeypatch.setenv(reproducible.SWITCH, "native")
    assert reproducible.wanted_environment() == {}
    monkeypatch.setenv(reproducible.SWITCH, "")
    expected = (
        {"OPENBLAS_CORETYPE": "Haswell"} if reproducible.cpu_runs_reference() else {}
    )
    assert reproducible.wanted_environment({"OPENBLAS_CORETYPE": "Zen"}) == expected


def test_a_kernel_from_another_environment_says_so_and_runs_on(tmp_path):
    """A Jupyter kernel whose kernelspec carries no BLAS setting, started from an
    environment that names another kernel, as another Jupyter would start it."""
    import nbformat.v4 as v4

    spec = tmp_path / "jupyter" / "kernels" / "elsewhere"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "elsewhere", "language": "python"})
    )
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                "from hw04 import reproducible\nprint(reproducible.blas_notice())"
            ),
            v4.new_code_cell("print(sum(range(4)))"),
        ]
    )
    nbformat.write(nb, tmp_path / "in.ipynb")
    code = (
        "import papermill\n"
        f"papermill.execute_notebook({str(tmp_path / 'in.ipynb')!r}, "
        f"{str(tmp_path / 'out.ipynb')!r}, kernel_name='elsewhere', "
        "progress_bar=False)"
    )
    env = {
        **os.environ,
        "OPENBLAS_CORETYPE": "Sandybridge",
        "JUPYTER_PATH": str(tmp_path / "jupyter"),
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    notice, after = ("".join(o.get("text", "") for o in c.outputs) for c in out.cells)
    assert notice.count("\n") == 1
    assert notice.startswith("Note: OpenBLAS runs its Sandybridge kernel here")
    assert "start Jupyter from .venv" in notice
    assert after == "6\n"


def test_a_process_outside_the_routes_says_so_in_one_line():
    # As a kernel started from another environment: its own kernel, no setting.
    code = "from hw04 import reproducible; print(reproducible.blas_notice())"
    env = {**os.environ, "OPENBLAS_CORETYPE": "Sandybridge"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        check=True, timeout=120,
    ).stdout  # fmt: skip
    assert out.count("\n") == 1
    assert out.startswith(
        "Note: OpenBLAS runs its Sandybridge kernel here, not Haswell"
    )


@pytest.mark.parametrize(
    "blas, expected",
    [
        (("openblas", "Haswell", "0.3"), "the reference"),
        (("openblas", "SkylakeX", "0.3"), "runs its SkylakeX kernel here"),
        (("mkl", "", "2024"), "is mkl 2024, not OpenBLAS"),
    ],
)
def test_the_notice_names_the_blas(monkeypatch, blas, expected):
    monkeypatch.setattr(reproducible, "blas_in_use", lambda: blas)
    notice = reproducible.blas_notice()
    assert expected in notice and "\n" not in notice


def test_the_fingerprint_ignores_timing_and_sees_any_other_change():
    runs = pd.DataFrame(
        {"seed": [0, 1], "final_loss": [0.5, 0.25], "fit_seconds": [1, 2]}
    )
    same = runs.assign(fit_seconds=[3.0, 4.0])
    other = runs.assign(final_loss=[0.5, 0.25 + 1e-16])
    assert reproducible.fingerprint(runs) == reproducible.fingerprint(same)
    assert reproducible.fingerprint(runs) != reproducible.fingerprint(other)
