"""The LaTeX route finds pypandoc-binary's pandoc for its own export only."""

import os
import shutil

import nbformat
import pytest
from nbconvert.exporters import PDFExporter

from hw04 import export


@pytest.mark.skipif(export.pandoc_path() is None, reason="no pypandoc-binary")
def test_pandoc_is_on_path_within_the_export_only(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without pandoc
    seen = []

    def exporting(self, nb, resources=None, **kw):  # nbconvert's LaTeX, then XeLaTeX
        seen.append(shutil.which("pandoc"))
        return b"%PDF", resources

    monkeypatch.setattr(PDFExporter, "from_notebook_node", exporting)
    export.LatexPDFExporter().from_notebook_node(nbformat.v4.new_notebook())
    assert seen[0] is not None and os.path.samefile(seen[0], export.pandoc_path())
    assert os.environ["PATH"] == str(tmp_path)
    assert shutil.which("pandoc") is None
