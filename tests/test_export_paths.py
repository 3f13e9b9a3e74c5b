"""The LaTeX route finds pypandoc-binary's pandoc for its own export only."""

import os
import shutil

import pytest

from hw04 import export


@pytest.mark.skipif(export.pandoc_path() is None, reason="no pypandoc-binary")
def test_pandoc_is_on_path_within_the_export_only(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without pandoc
    with export._pandoc_on_path():
        found = shutil.which("pandoc")
    assert found is not None and os.path.samefile(found, export.pandoc_path())
    assert os.environ["PATH"] == str(tmp_path)
    assert shutil.which("pandoc") is None
