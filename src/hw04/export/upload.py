"""Writing the PDF with one of the exporters, and gathering what is uploaded."""

import shutil
from pathlib import Path

LATEX_INSTALL_HELP = """\
The LaTeX route needs {missing} on your PATH. Install TeX, or drop --latex to use
the default route, which needs nothing beyond pip:
  Debian/Ubuntu: sudo apt-get install --no-install-recommends texlive-xetex \\
                   texlive-fonts-recommended texlive-plain-generic
  macOS:         brew install --cask mactex-no-gui
  Windows:       install MiKTeX (miktex.org)"""


class MissingTool(RuntimeError):
    """A tool the chosen route needs is not installed; the message says how."""


LATEX_TOOLS = ("xelatex", "bibtex")  # what nbconvert's PDFExporter runs


def missing_latex_tools():
    """The tools of :data:`LATEX_TOOLS` that are not on PATH."""
    return [tool for tool in LATEX_TOOLS if not shutil.which(tool)]


def check_latex_tools():
    """Raise :class:`MissingTool` when a LaTeX tool is missing."""
    missing = missing_latex_tools()
    if missing:
        raise MissingTool(LATEX_INSTALL_HELP.format(missing=" and ".join(missing)))


def export_pdf(notebook, out_dir, exporter_name=None):
    """Export ``notebook`` to ``out_dir`` with one of the package's exporters
    (default: the upload PDF); return the PDF's path and the upload warnings."""
    from nbconvert.exporters import get_exporter
    from nbconvert.writers import FilesWriter

    from hw04.export import COMMAND_LINE_PDF

    exporter = get_exporter(exporter_name or COMMAND_LINE_PDF)()
    body, resources = exporter.from_filename(str(notebook))
    written = FilesWriter(build_directory=str(out_dir)).write(
        body, resources, notebook_name=Path(notebook).stem
    )
    return Path(written), resources.get("gradescope_warnings", [])


def gather_for_upload(files, folder):
    """Copy ``files`` into ``folder``, beside the PDF; return the copies' paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in map(Path, files):
        target = folder / source.name
        if source.exists() and source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        copies.append(target)
    return copies
