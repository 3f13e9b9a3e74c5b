#!/usr/bin/env python3
"""Build the executed notebook and its PDF, run the tests, or run the benchmark.

Usage, from a fresh clone, with nothing installed but Python 3.11+::

    python3 build.py setup                 # .venv with JupyterLab, and stop
    python3 build.py                       # build/hw04.ipynb and build/hw04.pdf
    python3 build.py pdf --seeds 16 17 18  # the same for other seeds
    python3 build.py pdf --latex           # the PDF through nbconvert + XeLaTeX
    python3 build.py test                  # the test suite
    python3 build.py bench                 # the speed benchmark
    python3 build.py upload                # PDF of the saved notebook, for Gradescope
    python3 build.py outputs               # refresh the outputs saved in hw04.ipynb

The first call makes a virtual environment in ``.venv`` from the pinned
requirements and runs itself again inside it; later calls reuse it (and
reinstall only when a requirements file changed). Set ``HW04_NO_VENV=1`` to use
the current Python environment as it is.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
NOTEBOOK = ROOT / "hw04.ipynb"
KERNEL_NAME = "hw04-build"
LATEX_INSTALL_HELP = """\
The LaTeX route needs {missing} on your PATH. Install it, or drop --latex to use
the default route, which needs nothing beyond pip:
  Debian/Ubuntu: sudo apt-get install --no-install-recommends texlive-xetex \\
                   texlive-fonts-recommended texlive-plain-generic
  macOS:         brew install --cask mactex-no-gui
  Windows:       install MiKTeX (miktex.org)"""


# --------------------------------------------------------------- environment


def _requirements(dev):
    return ROOT / ("requirements-dev.txt" if dev else "requirements.txt")


def _stamp(dev):
    files = [ROOT / "requirements.txt", ROOT / "pyproject.toml"]
    files += [ROOT / "requirements-dev.txt"] * dev
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    return f"{'dev' if dev else 'run'}:{digest}"


def _venv_python(folder=VENV):
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return folder / sub


def _fill_venv(folder, requirements, with_project=False):
    """Make the virtual environment ``folder`` if needed and pip-install the pins.

    ``with_project`` also installs this project (editable, without dependencies),
    which registers its PDF exporters with nbconvert and JupyterLab.
    """
    python = _venv_python(folder)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    if with_project:
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    return python


def ensure_environment(dev):
    """Re-run this script inside .venv, made and filled from the pins if needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (a guard for old interpreters)
        raise SystemExit(
            f"hw04 needs Python 3.11 or newer (its pinned NumPy does); this is "
            f"{sys.version.split()[0]}. Run build.py with a newer python3."
        )
    if os.environ.get("HW04_NO_VENV") == "1":
        return
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = _venv_python()
    stamp_file = VENV / "hw04-requirements.txt"
    stamps = stamp_file.read_text().split() if stamp_file.exists() else []
    wanted = _stamp(dev)
    if wanted not in stamps and not (not dev and _stamp(True) in stamps):
        print(
            f"Installing the pinned packages of {_requirements(dev).name} into "
            f"{VENV.name} (first run only, a minute or two) ...",
            flush=True,
        )
        _fill_venv(VENV, _requirements(dev), with_project=True)
        stamp_file.write_text(" ".join([*stamps, wanted]))
        print("Compiling the training kernels (first run only) ...", flush=True)
        code = "import batched_sgd; batched_sgd.compile_kernels()"
        if subprocess.run([str(python), "-c", code], cwd=ROOT).returncode != 0:
            print("(That failed; the notebook will try again when it first trains.)")
    result = subprocess.run([str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(result.returncode)


def oldest_environment():
    """``.venv-oldest``, made from requirements-oldest.txt; return its python."""
    folder = ROOT / ".venv-oldest"
    python = _venv_python(folder)
    stamp = folder / "hw04-requirements.txt"
    wanted = hashlib.sha256((ROOT / "requirements-oldest.txt").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        _fill_venv(folder, ROOT / "requirements-oldest.txt")
        stamp.write_text(wanted)
    return python


# ------------------------------------------------------------------ notebook


def kernel_name():
    """A kernelspec that runs this very Python, so the notebook sees these pins."""
    folder = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": "Python (hw04 build)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return KERNEL_NAME


# How nbclient stops the kernel after the last cell: at once, with its joblib
# workers and their resource trackers (every output is in by then). The graceful
# stop waits about 2.5 s per run: the kernel signals its children with SIGTERM,
# which the trackers ignore.
KERNEL_SHUTDOWN = "immediate"


def papermill_options():
    """The options of every papermill run of the notebook (build, benchmark, tests)."""
    return {
        "cwd": str(ROOT),
        "kernel_name": kernel_name(),
        "shutdown_kernel": KERNEL_SHUTDOWN,
    }


def execute_notebook(out_dir, parameters, notebook=NOTEBOOK, progress=None):
    """Run ``notebook`` from a fresh kernel with papermill; return the output path.

    ``progress`` shows papermill's bar of cells (default: when stderr is a
    terminal).
    """
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / notebook.name
    if output.resolve() == notebook.resolve():
        raise SystemExit(f"Refusing to overwrite {notebook}; choose another --out.")
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            progress_bar=sys.stderr.isatty() if progress is None else progress,
            request_save_on_cell_execute=False,
            **papermill_options(),
        )
    except papermill.PapermillExecutionError as err:
        raise SystemExit(
            f"{notebook.name} stopped in cell {err.exec_count}: {err.ename}: "
            f"{err.evalue}\n(the partly executed notebook is {output})"
        ) from None
    return output


# ----------------------------------------------------------------------- PDF


def check_latex_tools():
    """Stop with one clear message when xelatex is missing (before anything slow)."""
    if not shutil.which("xelatex"):
        raise SystemExit(LATEX_INSTALL_HELP.format(missing="xelatex"))


def export_pdf(notebook, out_dir, exporter_name="typstpdf"):
    """Export ``notebook`` to ``out_dir`` with one of this project's exporters.

    The exporters (package ``hw04_export``) are the ones ``jupyter nbconvert --to``
    and JupyterLab's export menu use; nbconvert's ``FilesWriter`` writes the PDF.
    Returns the PDF's path and the warnings a grader would raise.
    """
    from nbconvert.exporters import get_exporter
    from nbconvert.writers import FilesWriter

    exporter = get_exporter(exporter_name)()
    body, resources = exporter.from_filename(str(notebook))
    written = FilesWriter(build_directory=str(out_dir)).write(
        body, resources, notebook_name=Path(notebook).stem
    )
    return Path(written), resources.get("gradescope_warnings", [])


def gather_for_upload(files, folder):
    """Copy ``files`` (the notebook, COLLABORATORS.txt) into ``folder``, where the PDF
    goes, as the course asks for the code upload; return the copies' paths."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for source in map(Path, files):
        target = folder / source.name
        if source.exists() and source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        copies.append(target)
    return copies


# ------------------------------------------------------------------- commands


def notebook_parameters(args, out_dir):
    results = (out_dir / "results").resolve()
    # A path inside the repository is passed relative to it: shorter, and the same
    # on every machine (the notebook resolves it from its own folder).
    if results.is_relative_to(ROOT):
        results = results.relative_to(ROOT)
    params = {"results_dir": results.as_posix(), "appendix": not args.no_appendix}
    if args.seeds is not None:
        params["seeds"] = args.seeds
    if args.data_dir is not None:
        params["data_dir"] = str(Path(args.data_dir).resolve())
    if args.n_jobs is not None:
        params["n_jobs"] = args.n_jobs
    if args.engine is not None:
        params["engine"] = args.engine
    return params


def _exporter_name(args):
    return "latexpdf" if args.latex else "typstpdf"


def _report(pdf, warnings, seconds):
    print(f"  {pdf} ({seconds:.1f} s)")
    for message in warnings:
        print(f"  Before uploading: {message}")


def command_pdf(args):
    out_dir = Path(args.out).resolve()
    if args.latex:
        check_latex_tools()  # before anything slow
    start = time.perf_counter()
    print(f"Executing {NOTEBOOK.name} from a fresh kernel ...", flush=True)
    executed = execute_notebook(out_dir, notebook_parameters(args, out_dir))
    ran = time.perf_counter()
    print(f"  {executed} ({ran - start:.1f} s)")
    gather_for_upload([ROOT / "COLLABORATORS.txt"], out_dir)  # beside it, as uploaded
    pdf, warnings = export_pdf(executed, out_dir, _exporter_name(args))
    _report(pdf, warnings, time.perf_counter() - ran)
    print(f"Done in {time.perf_counter() - start:.1f} s.")


def command_upload(args):
    """Export the notebook as saved (no re-run) and gather the upload beside it."""
    notebook = Path(args.notebook).resolve()
    if not notebook.exists():
        raise SystemExit(f"No notebook at {notebook}.")
    if args.latex:
        check_latex_tools()
    out_dir = Path(args.out).resolve()
    if out_dir == notebook.parent:
        raise SystemExit(f"Choose an --out other than the notebook's folder {out_dir}.")
    start = time.perf_counter()
    copy, _ = gather_for_upload(
        [notebook, notebook.parent / "COLLABORATORS.txt"], out_dir
    )
    pdf, warnings = export_pdf(copy, out_dir, _exporter_name(args))
    _report(pdf, warnings, time.perf_counter() - start)
    names = ", ".join([pdf.name, notebook.name, "COLLABORATORS.txt"])
    print(f"Upload from {out_dir}: {names}.")


def command_outputs(args):
    """Re-execute hw04.ipynb in place with its own parameters; sources are kept."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    print(f"Re-executing {NOTEBOOK.name} in place (cell sources are kept) ...")
    start = time.perf_counter()
    NotebookClient(
        nb,
        kernel_name=kernel_name(),
        shutdown_kernel=KERNEL_SHUTDOWN,
        timeout=1800,
        resources={"metadata": {"path": str(ROOT)}},
    ).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, NOTEBOOK)
    print(f"  updated the outputs of {NOTEBOOK} ({time.perf_counter() - start:.1f} s)")


def command_setup(args):
    """Nothing to do beyond what ``ensure_environment`` did: say what comes next."""
    lab = VENV / ("Scripts/jupyter-lab.exe" if os.name == "nt" else "bin/jupyter-lab")
    print(
        f"{VENV.name} is ready: JupyterLab, the pinned packages and the PDF "
        f"exporters.\nOpen the homework with:  {lab.relative_to(ROOT)} hw04.ipynb"
    )


def _exit_with(*argv):
    """Run this Python with ``argv`` in the repository; exit with its code."""
    sys.exit(subprocess.call([sys.executable, *map(str, argv)], cwd=ROOT))


def command_test(args):
    _exit_with("-m", "pytest", *args.pytest_args)


def command_bench(args):
    _exit_with(ROOT / "benchmark.py", *args.bench_args)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Build, test or benchmark homework 4.",
        epilog="Run a command with --help for its options.",
    )
    sub = parser.add_subparsers(dest="command")
    pdf = sub.add_parser("pdf", help="execute the notebook and make hw04.pdf (default)")
    pdf.add_argument("--seeds", type=int, nargs="+", help="e.g. --seeds 16 17 18")
    pdf.add_argument("--data-dir", help="folder with the four CSV files")
    pdf.add_argument("--n-jobs", type=int, help="worker processes (-1: all cores)")
    pdf.add_argument("--engine", choices=["batched", "sklearn"])
    pdf.add_argument("--no-appendix", action="store_true", help="skip the appendix")
    pdf.add_argument("--latex", action="store_true", help="nbconvert + XeLaTeX route")
    pdf.add_argument("--out", default=str(ROOT / "build"), help="default: build/")
    sub.add_parser("setup", help="make .venv with JupyterLab and the pins, and stop")
    sub.add_parser(
        "outputs",
        help="re-execute hw04.ipynb in place so its saved outputs match the code",
    )
    upload = sub.add_parser(
        "upload",
        help="export the notebook as saved (no re-run) and copy it and "
        "COLLABORATORS.txt beside the PDF",
    )
    upload.add_argument("notebook", nargs="?", default=str(NOTEBOOK))
    upload.add_argument(
        "--latex", action="store_true", help="nbconvert + XeLaTeX route"
    )
    upload.add_argument("--out", default=str(ROOT / "upload"), help="default: upload/")
    sub.add_parser("test", help="run the test suite; more arguments go to pytest")
    sub.add_parser("bench", help="time the sweep against plain sklearn")
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["pdf", *argv]
    if argv[0] in ("test", "bench") and argv[1:2] not in (["-h"], ["--help"]):
        # Everything after the command goes to pytest or to the benchmark as is.
        return argparse.Namespace(
            command=argv[0], pytest_args=argv[1:], bench_args=argv[1:]
        )
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    ensure_environment(dev=args.command in ("test", "bench"))
    commands = {
        "pdf": command_pdf,
        "outputs": command_outputs,
        "upload": command_upload,
        "setup": command_setup,
        "test": command_test,
        "bench": command_bench,
    }
    commands[args.command](args)


if __name__ == "__main__":
    main()
