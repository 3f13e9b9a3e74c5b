"""nbconvert exporters that make the homework's PDF, and the checks before upload.

Two exporters, registered under the ``nbconvert.exporters`` entry point of this
project (see ``pyproject.toml``), so that ``jupyter nbconvert --to ...`` and
JupyterLab's *File > Save and Export Notebook As* find them:

``PDF_for_Gradescope`` (also ``typstpdf``)
    nbconvert's Markdown (template ``hw04_typst``) -> pandoc, with the Lua filter
    ``hw04.lua`` -> Typst -> PDF. Needs nothing beyond pip: pandoc comes from
    pypandoc-binary, Typst from the ``typst`` package. JupyterLab labels a format
    by its name, so the menu entry reads *PDF_for_Gradescope*; ``typstpdf``, the
    same exporter for the command line, is left out of the menu by the set-up.
``latexpdf``
    nbconvert's own PDF exporter (XeLaTeX) with the template ``hw04_latex``, which
    wraps long code lines. Needs a TeX installation.

Both run the same preprocessors first: :class:`GradescopeChecks` warns about what a
grader would send back, :class:`EffectiveParameters` shows the parameters of a
papermill run once, and nbconvert's ``CoalesceStreamsPreprocessor`` joins the
printed lines of a cell into one block. What goes on a new page is chosen by the
``page-break`` cell tag; a cell tagged ``remove-cell`` is left out.

This module is also a Jupyter server extension (enabled by the set-up,
:mod:`hw04.install`): it puts pypandoc-binary's pandoc on the server's ``PATH``,
where nbconvert's own LaTeX, AsciiDoc and reST exporters look for it.
"""

import os
import shutil
import tempfile
from pathlib import Path

from nbconvert.exporters import (
    Exporter,
    MarkdownExporter,
    PDFExporter,
    TemplateExporter,
)
from nbconvert.preprocessors import Preprocessor
from traitlets import List, Unicode, default
from traitlets.config import Config

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LUA_FILTER = HERE / "hw04.lua"
TYPST_HEADER = HERE / "header.typ"
COLLABORATORS = "COLLABORATORS.txt"


# --------------------------------------------------------------- preprocessors


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _is_blank_template(text):
    """True when no line of COLLABORATORS.txt has been filled in.

    The template's lines are either labels ending in ``:``, an empty ``Name:``,
    bare ``-`` bullets, or fixed sentences; a student's entry adds text after
    ``Name:`` or after a ``-``.
    """
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Name:") and stripped[len("Name:") :].strip():
            return False
        if stripped.startswith("-") and stripped.strip("- "):
            return False
    return True


def gradescope_warnings(nb, folder):
    """What a grader would send back, one line each, for notebook ``nb``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook as it will be exported.
    folder : pathlib.Path
        The notebook's folder, where ``COLLABORATORS.txt`` belongs.

    Returns
    -------
    list of str
        Empty when the notebook is ready to upload.
    """
    warnings = []
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and "Your Name" in first.source:
        warnings.append(
            "The first cell still says 'Your Name': put your name on its Student line."
        )
    collaborators = Path(folder) / COLLABORATORS
    if not collaborators.exists():
        warnings.append(
            f"{collaborators} is missing: the course asks for it beside the notebook."
        )
    elif _is_blank_template(collaborators.read_text(errors="replace")):
        warnings.append(
            f"{collaborators} is still the blank template: fill in your name, "
            "hours and collaborators."
        )
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    if code and counts != list(range(1, len(code) + 1)):
        not_run = sum(count is None for count in counts)
        detail = (
            f"{not_run} of {len(code)} code cells never ran"
            if not_run
            else "execution counts are out of order"
        )
        warnings.append(
            f"The cells were not run top to bottom in one go ({detail}): use "
            "Kernel > Restart Kernel and Run All Cells, then save."
        )
    for index, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                warnings.append(
                    f"Code cell {index} shows an error: {output.get('ename')}: "
                    f"{output.get('evalue')}"
                )
    return warnings


class GradescopeChecks(Preprocessor):
    """Log :func:`gradescope_warnings` of the notebook; change nothing."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path") or os.getcwd()
        found = gradescope_warnings(nb, folder)
        for message in found:
            self.log.warning("Before uploading: %s", message)
        resources["gradescope_warnings"] = found
        return nb, resources


class EffectiveParameters(Preprocessor):
    """Show the parameters of a papermill run once, in the ``parameters`` cell.

    papermill adds a cell tagged ``injected-parameters`` after the ``parameters``
    cell and records the values it injected in ``nb.metadata.papermill.parameters``.
    This preprocessor writes those values into the ``parameters`` cell's lines
    (keeping each line's comment) and drops the injected cell, so the PDF shows
    each parameter once, with the value that took effect.
    """

    def preprocess(self, nb, resources):
        from papermill.translators import PythonTranslator

        injected = any("injected-parameters" in _tags(c) for c in nb.cells)
        original = next((c for c in nb.cells if "parameters" in _tags(c)), None)
        values = nb.metadata.get("papermill", {}).get("parameters")
        if not injected or original is None or values is None:
            return nb, resources
        values = dict(values)
        lines = []
        for param in PythonTranslator.inspect(original):
            value = param.default
            if param.name in values:
                value = PythonTranslator.translate(values.pop(param.name))
            comment = f"  # {param.help}" if param.help else ""
            lines.append(f"{param.name} = {value}{comment}")
        lines += [f"{k} = {PythonTranslator.translate(v)}" for k, v in values.items()]
        original.source = "\n".join(lines)
        nb.cells = [c for c in nb.cells if "injected-parameters" not in _tags(c)]
        return nb, resources


# ------------------------------------------------------------------- exporters

_SHARED_PREPROCESSORS = [
    "hw04.export.GradescopeChecks",
    "hw04.export.EffectiveParameters",
    *Exporter.default_preprocessors.default(),
]
_SHARED_CONFIG = {
    "GradescopeChecks": {"enabled": True},
    "EffectiveParameters": {"enabled": True},
    "CoalesceStreamsPreprocessor": {"enabled": True},
    "TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": {"remove-cell"}},
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


def _pandoc_on_path():
    """Make pypandoc-binary's pandoc the one on PATH when PATH has none.

    nbconvert's LaTeX route calls ``pandoc`` by name; pypandoc-binary ships one.
    """
    found = None if shutil.which("pandoc") else pandoc_path()
    if found is None:
        return  # one is on PATH already, or nbconvert says that pandoc is missing
    os.environ["PATH"] = f"{found.parent}{os.pathsep}{os.environ.get('PATH', '')}"


class TypstPDFExporter(_HomeworkExporter, MarkdownExporter):
    """Notebook -> Markdown (nbconvert) -> Typst (pandoc) -> PDF (Typst).

    Needs only pip packages: pandoc comes with pypandoc-binary, the Typst compiler
    with ``typst``. Figures are written to a temporary folder, which is removed
    afterwards; the PDF is returned as bytes, as nbconvert's other PDF exporters do.
    """

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
                    f"--variable=papersize:{self.paper}",
                    "--variable=margin.x:0.9in",
                    "--variable=margin.y:0.8in",
                    "--variable=fontsize:10pt",
                ],
            )
            pdf = typst.compile(str(typ), root=str(folder))
        resources["outputs"] = {}  # the figures are inside the PDF
        resources["output_extension"] = ".pdf"
        return pdf, resources


class TypstPDFAlias(TypstPDFExporter):
    """:class:`TypstPDFExporter` under its command-line name ``typstpdf``.

    A class of its own so that the set-up can leave this name out of
    JupyterLab's menu (nbconvert disables exporters by class), where the same
    PDF is listed once, as *PDF_for_Gradescope*.
    """


class LatexPDFExporter(_HomeworkExporter, PDFExporter):
    """nbconvert's PDF exporter (XeLaTeX) with the ``hw04_latex`` template.

    The template wraps long code lines, breaks pages at ``page-break`` tags and
    has pandoc turn pandas' HTML tables into LaTeX tables. Needs XeLaTeX and
    pandoc on PATH.
    """

    export_from_notebook = "PDF via LaTeX (wrapped code)"

    @default("template_name")
    def _template_name_default(self):
        return "hw04_latex"

    @property
    def default_config(self):
        config = super().default_config
        config.merge(
            Config(
                {
                    "NbConvertBase": {
                        "display_data_priority": [
                            "text/latex",
                            "application/pdf",
                            "image/png",
                            "image/jpeg",
                            "text/html",
                            "text/markdown",
                            "text/plain",
                        ]
                    }
                }
            )
        )
        return config

    def from_notebook_node(self, nb, resources=None, **kw):
        _pandoc_on_path()
        return super().from_notebook_node(nb, resources, **kw)


# ------------------------------------------------------ Jupyter server extension


def _jupyter_server_extension_points():
    return [{"module": "hw04.export"}]


def _load_jupyter_server_extension(serverapp):
    """Put pypandoc-binary's pandoc on the server's ``PATH`` (see module doc).

    The server's own ``PATH`` holds ``.venv``'s scripts folder only when the
    environment is activated, however ``jupyter lab`` is started.
    """
    _pandoc_on_path()
    serverapp.log.info("hw04.export: pandoc for nbconvert's exporters: %s",
                       shutil.which("pandoc"))  # fmt: skip
