"""The package is an ordinary installable one: it declares what it imports, and it
works installed from a copy of the folder, not editable, in a fresh environment."""

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

# Imported by the package only where present, each for a check of its own.
OPTIONAL = {"playwright": "the set-up asks whether webpdf's Chromium is there"}


def _pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])
    }


def _pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _imported_distributions():
    """Distribution names of every third-party module imported in src/hw04."""
    modules = set()
    for path in (ROOT / "src" / "hw04").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"hw04"} | set(OPTIONAL)
    owners = packages_distributions()
    unknown = sorted(m for m in modules if m not in owners)
    assert not unknown, f"imported but not installed: {unknown}"
    return {canonicalize_name(owners[m][0]) for m in modules}


def test_pyproject_declares_every_module_the_package_imports():
    declared = set(_pyproject_dependencies())
    imported = _imported_distributions()
    assert imported - declared == set(), "imported, not declared"
    assert declared - imported == set(), "declared, not imported"


def test_every_declared_range_holds_the_pin_of_requirements_txt():
    pins = _pins()
    for name, requirement in _pyproject_dependencies().items():
        assert name in pins, f"{name} is declared but not pinned"
        assert requirement.specifier.contains(pins[name]), (requirement, pins[name])


def test_the_exporters_names_in_pyproject_are_the_packages():
    from hw04 import export

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    registered = project["entry-points"]["nbconvert.exporters"]
    assert registered == {
        export.MENU_PDF: "hw04.export:TypstPDFExporter",
        export.COMMAND_LINE_PDF: "hw04.export:TypstPDFAlias",
        export.LATEX_PDF: "hw04.export:LatexPDFExporter",
    }


# What a copy of the folder leaves out: environments, outputs, caches.
_NOT_COPIED = shutil.ignore_patterns(
    ".venv*", ".git", "build", "results", "upload", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache",
)  # fmt: skip


def _run(command, **kwargs):
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, **kwargs
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def check_the_notebook_stops_at_once_without_the_package(python, folder, tmp_path):
    """Jupyter and the pins but no hw04, as in a student's own Jupyter: the first
    code cell gives one error that says what to run, and nothing runs after it."""
    out = tmp_path / "without-package.ipynb"
    done = subprocess.run(
        [str(python), "-m", "papermill", str(folder / "hw04.ipynb"), str(out),
         "--cwd", str(folder), "-k", "python3", "--no-progress-bar"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    import nbformat

    cells = [c for c in nbformat.read(out, 4).cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ModuleNotFoundError", errors
    assert "python3 make_homework.py setup" in errors[0].evalue
    assert "%pip install -r requirements.txt -e ." in errors[0].evalue
    ran = [c for c in cells if c.get("execution_count")]
    assert len(ran) == 1 and "from hw04 import" in ran[0].source


def test_installed_from_a_copy_not_editable_it_runs_the_notebook_and_the_pdf(
    tmp_path,
):
    """README's route for a Jupyter of one's own, with ``pip install .``: the pins
    (where the notebook first stops at once without the package), the package,
    its set-up; then the notebook (2 seeds, no appendix) and
    ``jupyter nbconvert --to typstpdf``. The copy's ``src`` is removed once
    installed, so nothing can be read from it."""
    folder = tmp_path / "hw04"
    shutil.copytree(ROOT, folder, ignore=_NOT_COPIED)
    env_dir = tmp_path / "env"
    _run([sys.executable, "-m", "venv", env_dir])
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # pip's own cache (shared with .venv's set-up) keeps this from downloading much.
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, "-r", folder / "requirements.txt"], timeout=900)
    check_the_notebook_stops_at_once_without_the_package(python, folder, tmp_path)
    _run([*pip, folder], timeout=600)
    shutil.rmtree(folder / "src")
    where = _run([python, "-c", "import hw04; print(hw04.__file__)"], cwd=tmp_path)
    assert str(env_dir) in where and str(folder) not in where
    notebook = folder / "hw04.ipynb"
    _run([python, "-m", "hw04.install", "--notebook", notebook], cwd=tmp_path)
    out = tmp_path / "out"
    code = (
        "import sys; from hw04.notebook import execute_notebook; "
        "execute_notebook(sys.argv[1], {'seeds': [0, 1], 'appendix': False, "
        "'results_dir': sys.argv[2]}, notebook=sys.argv[3], progress=False)"
    )
    _run([python, "-c", code, out, tmp_path / "results", notebook], cwd=tmp_path,
         timeout=600)  # fmt: skip
    assert (tmp_path / "results" / "runs.csv").is_file()
    _run([bin_dir / "jupyter", "nbconvert", "--to", "typstpdf", out / "hw04.ipynb"],
         cwd=tmp_path, timeout=300)  # fmt: skip
    assert (out / "hw04.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (folder / "results").exists()
