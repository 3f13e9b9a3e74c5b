"""The course's modules stand alone: they import no part of the package ``hw04``.

An instructor reuses the plot helpers in the next homework and a student copies the
classifier into another project, where ``hw04`` is not installed.
"""

import ast
import subprocess
import sys
import textwrap

import pytest

from make_homework import ROOT

COURSE_MODULES = ["MLPClassifierWithSolverLBFGS", "viz_tools_for_binary_classifier"]
# What a course module may import (STYLE.md, "Boundaries"), besides the standard
# library.
ALLOWED = {"numpy", "scipy", "sklearn", "matplotlib", "seaborn"}

# Run in a child Python started with -I (no user site, no PYTHONPATH, no current
# folder on sys.path); a finder in front of all others answers every import of
# hw04 as a missing module, as in an environment where it was never installed.
WITHOUT_THE_PACKAGE = """
import importlib.abc
import sys


class NoPackage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "hw04":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoPackage())
sys.path.insert(0, ROOT)
import MODULE

print(sorted(name for name in sys.modules if name.split(".")[0] == "hw04"))
"""


@pytest.mark.parametrize("module", COURSE_MODULES)
def test_imports_in_an_environment_without_the_package(module, tmp_path):
    code = WITHOUT_THE_PACKAGE.replace("ROOT", repr(str(ROOT)))
    code = code.replace("MODULE", module)
    result = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("module", COURSE_MODULES)
def test_imports_only_the_course_libraries(module):
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names)
    assert third_party <= ALLOWED, sorted(third_party - ALLOWED)
