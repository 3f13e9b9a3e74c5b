"""The package is an ordinary installable one: it declares what it imports, with
lower bounds that are the oldest releases it was run on, and README's route for a
Jupyter of one's own installs it, not editable, into an environment that already
has the numerical and Jupyter stack, replacing nothing there; the notebook then
runs and exports (slow tier: each test builds an environment)."""

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from importlib.metadata import packages_distributions

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from hw04 import reproducible
from make_homework import NOTEBOOK, ROOT

# Environments a student may already have (tests/requirements-hosted.txt), and
# the oldest release of each dependency pyproject.toml declares.
HOSTED = ROOT / "tests" / "requirements-hosted.txt"
OLDEST = ROOT / "tests" / "requirements-oldest.txt"
# The course modules beside the notebook, whose imports the package declares too.
COURSE_MODULES = (
    "MLPClassifierWithSolverLBFGS.py",
    "viz_tools_for_binary_classifier.py",
)
# Where the versions are not the reference's, the notebook says so in this line.
NOTICE = "may differ from the reference fingerprint"

# Imported by the package only where present, each for a check of its own.
OPTIONAL = {"playwright": "the set-up asks whether webpdf's Chromium is there"}


def _pyproject_dependencies(optional=True):
    """``{name: Requirement}`` of pyproject.toml, its extras too if ``optional``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    if optional:
        listed += [r for e in project["optional-dependencies"].values() for r in e]
    return {canonicalize_name(r.name): r for r in map(Requirement, listed)}


def _pins(path=ROOT / "requirements.txt"):
    """``{name: version}`` of a requirements file of exact pins."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _lower_bound(requirement):
    (bound,) = [s.version for s in requirement.specifier if s.operator == ">="]
    return bound


def _imported_distributions(files, local=("hw04",)):
    """Distribution names of every third-party module imported in ``files``
    (modules named in ``local`` are the project's own)."""
    modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | set(local) | set(OPTIONAL)
    owners = packages_distributions()
    unknown = sorted(m for m in modules if m not in owners)
    assert not unknown, f"imported but not installed: {unknown}"
    return {canonicalize_name(owners[m][0]) for m in modules}


def test_pyproject_declares_every_module_the_package_imports():
    declared = set(_pyproject_dependencies())
    package = [*(ROOT / "src" / "hw04").rglob("*.py")]
    imported = _imported_distributions([*package, *map(ROOT.joinpath, COURSE_MODULES)])
    assert imported - declared == set(), "imported, not declared"
    assert declared - imported == set(), "declared, not imported"


def test_the_dev_requirements_declare_every_module_the_tests_import():
    local = {"hw04", "make_homework", "data_xor", *(p.stem for p in ROOT.glob("*.py"))}
    local |= {p.stem for p in (ROOT / "dev").glob("*.py")}  # the benchmarks' own
    files = [*(ROOT / "tests").glob("*.py"), *(ROOT / "dev").glob("*.py")]
    imported = _imported_distributions(files, local)
    dev = ROOT / "tests" / "requirements-dev.txt"
    lines = [line.split("#")[0].strip() for line in dev.read_text().splitlines()]
    declared = {canonicalize_name(Requirement(line).name) for line in lines
                if line and not line.startswith("-r")} | set(_pins())  # fmt: skip
    assert imported - declared == set(), "imported by the tests, not declared"


def test_every_declared_range_holds_the_pin_of_requirements_txt():
    pins = _pins()
    for name, requirement in _pyproject_dependencies().items():
        assert name in pins, f"{name} is declared but not pinned"
        assert requirement.specifier.contains(pins[name]), (requirement, pins[name])


def test_the_lower_bounds_are_the_releases_the_oldest_environment_runs():
    """Each required dependency's lower bound is its release in the oldest
    environment; each optional one's (numba, ipywidgets: absent there) its
    release in the hosted-like one, where the notebook runs with them."""
    oldest, hosted = _pins(OLDEST), _pins(HOSTED)
    required = _pyproject_dependencies(optional=False)
    for name, requirement in _pyproject_dependencies().items():
        where = oldest if name in required else hosted
        assert _lower_bound(requirement) == where.get(name), (requirement, name)


def test_the_reference_versions_are_the_pins_and_the_reference_run_has_no_notice():
    pins = _pins()
    assert all(pins[n] == v for n, v in reproducible.REFERENCE_VERSIONS.items())
    assert reproducible.versions_unlike_reference() == {}  # this is .venv
    assert NOTICE not in reproducible.blas_notice()
    assert NOTICE not in NOTEBOOK.read_text()  # the saved reference outputs


def test_other_versions_give_one_line_that_says_so(monkeypatch):
    differ = {"numpy": ("2.0.2", "2.4.6"), "scikit-learn": ("1.6.1", "1.9.1")}
    monkeypatch.setattr(reproducible, "versions_unlike_reference", lambda: differ)
    notice = reproducible.blas_notice()
    assert NOTICE in notice and "\n" not in notice
    assert "numpy 2.0.2, scikit-learn 1.6.1" in notice and "2.4.6, 1.9.1" in notice


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


def _installed(python):
    """``{name: version}`` of every distribution in ``python``'s environment."""
    listed = _run([python, "-m", "pip", "list", "--format", "json"])
    return {canonicalize_name(d["name"]): d["version"] for d in json.loads(listed)}


def check_the_notebook_stops_at_once_without_the_package(python, folder, tmp_path):
    """Jupyter and the numerical stack but no hw04, as in a student's own Jupyter:
    the first code cell gives one error that says what to run, and nothing runs
    after it."""
    out = tmp_path / "without-package.ipynb"
    # nbclient, as a Jupyter runs it (papermill comes with the package), on the
    # notebook without its saved outputs: it stops at the first error.
    code = (
        "import sys, nbformat; from nbclient import NotebookClient; "
        "nb = nbformat.read(sys.argv[1], 4)\n"
        "for c in nb.cells:\n"
        "    if c.cell_type == 'code': c.outputs, c.execution_count = [], None\n"
        "client = NotebookClient(nb, kernel_name='python3', "
        "resources={'metadata': {'path': sys.argv[2]}})\n"
        "try: client.execute()\n"
        "finally: nbformat.write(nb, sys.argv[3])"
    )
    done = subprocess.run(
        [str(python), "-c", code, str(folder / "hw04.ipynb"), str(folder), str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    import nbformat

    cells = [c for c in nbformat.read(out, 4).cells if c.cell_type == "code"]
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ModuleNotFoundError", errors
    assert "python3 make_homework.py setup" in errors[0].evalue
    assert "%pip install" in errors[0].evalue
    ran = [c for c in cells if c.get("execution_count")]
    assert len(ran) == 1 and "from hw04 import" in ran[0].source


def _environment(tmp_path, requirements):
    """A copy of the folder, and a fresh virtual environment with the packages of
    ``requirements``; returns the copy's and the environment's folders."""
    folder = tmp_path / "hw04"
    shutil.copytree(ROOT, folder, ignore=_NOT_COPIED)
    env_dir = tmp_path / "env"
    _run([sys.executable, "-m", "venv", env_dir])
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    # pip's own cache (shared with .venv's set-up) keeps this from downloading much.
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "-r", requirements], timeout=900)  # fmt: skip
    return folder, env_dir


def _readme_route(python, folder, tmp_path):
    """README's route for a Jupyter of one's own, in ``folder``: ``pip install .``
    (not editable), then ``python -m hw04.install``. Returns pip's report of what
    it installed (``{name: version}``) and what was installed before it."""
    before = _installed(python)
    report = tmp_path / "pip-report.json"
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "--report", report, "."], cwd=folder, timeout=900)  # fmt: skip
    installed = {
        canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
        for i in json.loads(report.read_text())["install"]
    }
    _run([python, "-m", "hw04.install", "--notebook", folder / "hw04.ipynb"],
         cwd=tmp_path, timeout=600)  # fmt: skip
    return installed, before


@pytest.mark.slow
@pytest.mark.parametrize("requirements", [HOSTED, OLDEST], ids=["hosted", "oldest"])
def test_readme_route_replaces_nothing_and_the_notebook_runs_and_exports(
    tmp_path, requirements
):
    """An environment like a student's (a hosted notebook's of 2025; the oldest
    releases pyproject.toml allows) from a requirements file; README's route
    installs the package from a copy of the folder, and pip's report shows that
    it replaced none of the packages there. The copy's ``src`` is then removed,
    so nothing can be read from it; the notebook (2 seeds, no appendix) runs,
    says once that its numbers may differ from the reference fingerprint, and
    ``jupyter nbconvert --to typstpdf`` writes its PDF. In the hosted-like
    environment the notebook first stops at once without the package."""
    folder, env_dir = _environment(tmp_path, requirements)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    if requirements == HOSTED:
        check_the_notebook_stops_at_once_without_the_package(python, folder, tmp_path)
    installed, before = _readme_route(python, folder, tmp_path)
    replaced = {n: (before[n], v) for n, v in installed.items() if n in before}
    assert replaced == {}, "README's route replaced these (before, after)"
    assert "hw04" in installed
    after = _installed(python)
    assert {n: after.get(n) for n in _pins(requirements)} == _pins(requirements)
    shutil.rmtree(folder / "src")
    where = _run([python, "-c", "import hw04; print(hw04.__file__)"], cwd=tmp_path)
    assert str(env_dir) in where and str(folder) not in where
    out = tmp_path / "out"
    code = (
        "import sys; from hw04.notebook import execute_notebook; "
        "execute_notebook(sys.argv[1], {'seeds': [0, 1], 'appendix': False, "
        "'results_dir': sys.argv[2]}, notebook=sys.argv[3], progress=False)"
    )
    _run([python, "-c", code, out, tmp_path / "results", folder / "hw04.ipynb"],
         cwd=tmp_path, timeout=600)  # fmt: skip
    assert (tmp_path / "results" / "runs.csv").is_file()
    executed = (out / "hw04.ipynb").read_text()
    assert executed.count(NOTICE) == 1
    _run([bin_dir / "jupyter", "nbconvert", "--to", "typstpdf", out / "hw04.ipynb"],
         cwd=tmp_path, timeout=300)  # fmt: skip
    assert (out / "hw04.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (folder / "results").exists()


def _jupyter_files(prefix):
    """``{path: bytes}`` of the Jupyter config and kernelspecs of an environment."""
    folders = [prefix / "etc" / "jupyter", prefix / "share" / "jupyter" / "kernels"]
    files = [path for folder in folders for path in folder.rglob("*")]
    return {p.relative_to(prefix).as_posix(): p.read_bytes() for p in files
            if p.is_file()}  # fmt: skip


@pytest.mark.slow
def test_own_jupyter_route_adds_two_files_of_its_own_and_the_uninstall_removes_them(
    tmp_path, jupyter_server
):
    """A fresh environment with JupyterLab (requirements.txt) whose shared Jupyter
    config files hold settings of their own: README's route leaves every file of
    the environment's Jupyter byte for byte and adds the kernelspec ``hw04`` and
    one drop-in; a Jupyter server started there lists in its export menu none of
    the formats that cannot run there; README's uninstall removes both."""
    folder, env_dir = _environment(tmp_path, ROOT / "requirements.txt")
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    shared = env_dir / "etc" / "jupyter"
    (shared / "jupyter_server_config.json").write_text(
        '{"ServerApp": {"terminals_enabled": false}}'
    )
    (shared / "jupyter_nbconvert_config.json").write_text(
        '{"WebPDFExporter": {"paginate": false}}'
    )
    before = _jupyter_files(env_dir)
    assert "share/jupyter/kernels/python3/kernel.json" in before
    _readme_route(python, folder, tmp_path)
    after = _jupyter_files(env_dir)
    assert {name: after.get(name) for name in before} == before
    kernelspec = "share/jupyter/kernels/hw04/"
    added = sorted(set(after) - set(before))
    assert [a for a in added if not a.startswith(kernelspec)] == [
        "etc/jupyter/jupyter_server_config.d/hw04.json"
    ]
    assert kernelspec + "kernel.json" in added
    with jupyter_server("server", folder, "t", python.parent / "jupyter") as base:
        url = f"{base}/api/nbconvert?token=t"
        with urllib.request.urlopen(url, timeout=120) as response:
            formats = set(json.loads(response.read()))
    # No Qt, no Playwright here; the command line's second name of the upload PDF
    # and the template-less "custom" are left out everywhere.
    assert "PDF_for_Gradescope" in formats and "html" in formats
    assert not {"qtpdf", "qtpng", "webpdf", "typstpdf", "custom"} & formats
    has_tex = bool(shutil.which("xelatex") and shutil.which("bibtex"))
    assert ("latexpdf" in formats) == ("pdf" in formats) == has_tex
    _run([python, "-m", "hw04.install", "--uninstall"], cwd=tmp_path)
    assert _jupyter_files(env_dir) == before


def test_the_set_up_adds_its_own_kernelspec_and_the_uninstall_removes_it(
    tmp_path, monkeypatch
):
    """The kernelspec ``hw04`` carries the BLAS setting and the quiet log level,
    beside the environment's ``python3``, which stays byte for byte; the
    uninstall removes the kernelspec and the drop-in, and nothing else."""
    from hw04 import install

    monkeypatch.delenv(reproducible.SWITCH, raising=False)
    python3 = tmp_path / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    python3.parent.mkdir(parents=True)
    default = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    python3.write_text(json.dumps({"argv": default}))
    before = python3.read_bytes()
    chosen = reproducible.install_kernelspec(tmp_path)
    install.enable_server_extension(tmp_path)
    spec = json.loads(reproducible.kernelspec_file(tmp_path).read_text())
    assert spec["display_name"] == reproducible.DISPLAY_NAME
    assert spec.get("env", {}) == chosen
    assert spec["argv"][-1] == "--IPKernelApp.log_level=ERROR"
    assert python3.read_bytes() == before
    removed = install.uninstall(tmp_path)
    assert removed == [
        reproducible.kernelspec_file(tmp_path).parent,
        install.drop_in_file(tmp_path),
    ]
    assert not removed[0].exists() and not removed[1].exists()
    assert python3.read_bytes() == before
