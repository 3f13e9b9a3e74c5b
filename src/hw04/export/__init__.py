"""nbconvert exporters that make the homework's PDF, and a Jupyter server extension.

The Typst PDF needs nothing beyond pip, the LaTeX one XeLaTeX. Both read the
``page-break``, ``remove-cell`` and ``remove-input`` tags.
"""

import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from nbconvert.exporters import (
    Exporter,
    MarkdownExporter,
    PDFExporter,
    TemplateExporter,
)
from traitlets import List, Unicode, default
from traitlets.config import Config

# The nbconvert.exporters entry points of pyproject.toml (a test compares them).
MENU_PDF = "PDF_for_Gradescope"  # JupyterLab's export menu labels it by its name
COMMAND_LINE_PDF = "typstpdf"  # the same PDF for `jupyter nbconvert --to`
LATEX_PDF = "latexpdf"

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LUA_FILTER = HERE / "hw04.lua"
TYPST_HEADER = HERE / "header.typ"
PAGE_SETTINGS = HERE / "page.yaml"


# ------------------------------------------------------------------- exporters

_SHARED_PREPROCESSORS = [
    "hw04.export.preprocessors.GradescopeChecks",
    "hw04.export.preprocessors.EffectiveParameters",
    *Exporter.default_preprocessors.default(),
]
_SHARED_CONFIG = {
    "GradescopeChecks": {"enabled": True},
    "EffectiveParameters": {"enabled": True},
    "CoalesceStreamsPreprocessor": {"enabled": True},
    # Jupyter Book's tags: an answer's code shows only its output in the PDF.
    "TagRemovePreprocessor": {
        "enabled": True,
        "remove_cell_tags": {"remove-cell"},
        "remove_input_tags": {"remove-input"},
    },
}


class _HomeworkExporter(TemplateExporter):
    """What both exporters share: the preprocessors and this package's templates."""

    default_preprocessors = List(_SHARED_PREPROCESSORS).tag(config=True)

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES)]

    @property
    def default_config(self):
        config = Config(super().default_config)
        config.merge(Config(_SHARED_CONFIG))
        return config


def pandoc_path():
    """The pandoc of pypandoc-binary, or None when it is not installed."""
    try:
        import pypandoc

        found = Path(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return None
    return found if found.exists() else None


def _path_with_pandoc():
    """``PATH`` with pypandoc-binary's pandoc folder first, or None when ``PATH``
    has a pandoc already (or there is none to add): nbconvert calls it by name."""
    found = None if shutil.which("pandoc") else pandoc_path()
    if found is None:
        return None
    return f"{found.parent}{os.pathsep}{os.environ.get('PATH', '')}"


class TypstPDFExporter(_HomeworkExporter, MarkdownExporter):
    """Notebook -> Markdown (nbconvert) -> Typst (pandoc) -> PDF (Typst), as bytes."""

    export_from_notebook = "PDF for Gradescope (Typst, no TeX)"
    output_mimetype = "application/pdf"

    paper = Unicode("us-letter", help="Typst paper size").tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".md.j2"

    @default("template_name")
    def _template_name_default(self):
        return "hw04_typst"

    def from_notebook_node(self, nb, resources=None, **kw):
        import pypandoc
        import typst

        markdown, resources = super().from_notebook_node(nb, resources, **kw)
        with tempfile.TemporaryDirectory(prefix="hw04-typst-") as tmp:
            folder = Path(tmp)
            for name, data in resources.get("outputs", {}).items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            typ = folder / "notebook.typ"
            pypandoc.convert_text(
                markdown,
                "typst",
                format="markdown+raw_attribute+pipe_tables+tex_math_dollars",
                outputfile=str(typ),
                filters=[str(LUA_FILTER)],
                extra_args=[
                    "--standalone",
                    "--wrap=preserve",
                    "--columns=10000",  # tables sized by their content
                    f"--include-in-header={TYPST_HEADER}",
                    # Margins, page numbers and type size as pandoc's Typst
                    # template reads them (a margin is a map: metadata only).
                    f"--metadata-file={PAGE_SETTINGS}",
                    f"--variable=papersize:{self.paper}",
                ],
            )
            pdf = typst.compile(str(typ), root=str(folder))
        resources["outputs"] = {}  # the figures are inside the PDF
        resources["output_extension"] = ".pdf"
        return pdf, resources


class TypstPDFAlias(TypstPDFExporter):
    """``typstpdf``: a class of its own, which the menu leaves out (nbconvert
    disables exporters by class)."""


# pandas' tables as LaTeX (pandoc converts their HTML) before any other form.
_LATEX_FIRST = [
    "text/latex",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/html",
    "text/markdown",
    "text/plain",
]


class LatexPDFExporter(_HomeworkExporter, PDFExporter):
    """nbconvert's PDF exporter (XeLaTeX) with the ``hw04_latex`` template, which
    wraps long code lines and has pandoc turn pandas' HTML tables into LaTeX."""

    export_from_notebook = "PDF via LaTeX (wrapped code)"

    @default("template_name")
    def _template_name_default(self):
        return "hw04_latex"

    @property
    def default_config(self):
        config = super().default_config
        config.merge(Config({"NbConvertBase": {"display_data_priority": _LATEX_FIRST}}))
        return config

    def from_notebook_node(self, nb, resources=None, **kw):
        path = _path_with_pandoc()  # for this export only, then PATH as it was
        with mock.patch.dict(os.environ, {"PATH": path} if path else {}):
            return super().from_notebook_node(nb, resources, **kw)


# ------------------------------------------------------ Jupyter server extension


def _jupyter_server_extension_points():
    return [{"module": "hw04.export"}]


def _load_jupyter_server_extension(serverapp):
    """Set exporters' ``enabled`` in this server's config, where nbconvert reads it,
    and pandoc on its ``PATH`` (nbconvert's LaTeX, AsciiDoc and reST call it)."""
    from hw04.install import server_exporter_config  # it imports this module

    path = _path_with_pandoc()
    if path is not None:
        os.environ["PATH"] = path
    config = server_exporter_config()
    serverapp.update_config(Config(config))
    off = sorted(name for name, c in config.items() if not c["enabled"])
    serverapp.log.info("hw04.export: exporters left out: %s", ", ".join(off))
