#!/usr/bin/env python3
"""Set up, then make the executed notebook and its PDF; or run the tests.

Usage, from a fresh clone, with nothing installed but Python 3.11+::

    python3 make_homework.py                 # .venv if needed, then build/hw04.pdf
    python3 make_homework.py test            # the test suite
    python3 make_homework.py setup           # .venv with JupyterLab, and stop
    python3 make_homework.py pdf --seeds 16 17 18  # other seeds
    python3 make_homework.py pdf --latex     # the PDF through nbconvert + XeLaTeX
    python3 make_homework.py upload          # PDF of the saved notebook, for Gradescope
    python3 make_homework.py outputs         # refresh the outputs saved in hw04.ipynb
    python3 make_homework.py bench           # the speed benchmark

The first call makes a virtual environment in ``.venv`` from the pinned
requirements, installs the package ``hw04`` (``src/hw04``) into it, editable, and
runs itself again inside it; later calls reuse it (and reinstall only when a
requirements file changed). Set ``HW04_NO_VENV=1`` to use the current Python
environment as it is. This script needs only the standard library until it runs
inside ``.venv``; the work itself is done by the package.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
NOTEBOOK = ROOT / "hw04.ipynb"
REQUIREMENTS = ROOT / "requirements.txt"
DEV_REQUIREMENTS = ROOT / "tests" / "requirements-dev.txt"
OLDEST_REQUIREMENTS = ROOT / "tests" / "requirements-oldest.txt"
# What the set-up reads: a change to any of them fills .venv again.
SETUP_INPUTS = [
    REQUIREMENTS,
    ROOT / "pyproject.toml",
    *(ROOT / "src" / "hw04" / name for name in ("install.py", "reproducible.py")),
    ROOT / "src" / "hw04" / "export" / "__init__.py",
]


# --------------------------------------------------------------- environment


def _stamp(dev):
    files = SETUP_INPUTS + [DEV_REQUIREMENTS] * dev
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    return f"{'dev' if dev else 'run'}:{digest}"


def _venv_python(folder=VENV):
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return folder / sub


def _fill_venv(folder, requirements, with_project=False):
    """Make the virtual environment ``folder`` if needed and pip-install the pins.

    ``with_project`` also installs the package ``hw04`` (editable, without
    dependencies), which registers its PDF exporters with nbconvert and JupyterLab.
    """
    python = _venv_python(folder)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    if with_project:
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    return python


def _install_step(python):
    """The package's own set-up inside .venv: kernel, BLAS, exporters, kernels."""
    command = [str(python), "-m", "hw04.install", "--notebook", str(NOTEBOOK)]
    if subprocess.run(command, cwd=ROOT).returncode:
        raise SystemExit("The set-up inside .venv failed (see above).")


def _say_ready():
    lab = VENV / ("Scripts/jupyter-lab.exe" if os.name == "nt" else "bin/jupyter-lab")
    print(
        f"{VENV.name} is ready: JupyterLab, the pinned packages and the PDF "
        f"exporters.\nOpen the homework with:  {lab.relative_to(ROOT)} hw04.ipynb"
    )


def ensure_environment(command):
    """Re-run this script inside .venv, made and filled from the pins if needed.

    The setup command stops here when it has just made .venv; every other command
    runs in .venv, and after a set-up a last line gives the time of both.
    """
    dev = command in ("test", "bench")
    if sys.version_info < (3, 11):  # noqa: UP036 (a guard for old interpreters)
        raise SystemExit(
            f"hw04 needs Python 3.11 or newer (its pinned NumPy does); this is "
            f"{sys.version.split()[0]}. Run make_homework.py with a newer python3."
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
            f"Installing the pinned packages of {REQUIREMENTS.name}"
            + (f" and {DEV_REQUIREMENTS.name}" if dev else "")
            + f" into {VENV.name} (first run only, a minute or two) ...",
            flush=True,
        )
        start = time.perf_counter()
        _fill_venv(VENV, DEV_REQUIREMENTS if dev else REQUIREMENTS, True)
        _install_step(python)
        stamp_file.write_text(" ".join([*stamps, wanted]))
        if command == "setup":
            _say_ready()
            sys.exit(0)
        result = subprocess.run(
            [str(python), str(Path(__file__).resolve()), *sys.argv[1:]]
        )
        seconds = time.perf_counter() - start
        print(f"With the set-up of {VENV.name}: {seconds:.1f} s in all.")
        sys.exit(result.returncode)
    result = subprocess.run([str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.exit(result.returncode)


def oldest_environment():
    """``.venv-oldest``, made from requirements-oldest.txt; return its python."""
    folder = ROOT / ".venv-oldest"
    python = _venv_python(folder)
    stamp = folder / "hw04-requirements.txt"
    wanted = hashlib.sha256(OLDEST_REQUIREMENTS.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == wanted):
        _fill_venv(folder, OLDEST_REQUIREMENTS, with_project=True)
        stamp.write_text(wanted)
    return python


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
    from hw04.export import COMMAND_LINE_PDF, LATEX_PDF

    return LATEX_PDF if args.latex else COMMAND_LINE_PDF


def _report(pdf, warnings, seconds):
    print(f"  {pdf} ({seconds:.1f} s)")
    for message in warnings:
        print(f"  Before uploading: {message}")


def remove_old_pdf(out_dir):
    """Remove the PDF of an earlier build from ``out_dir``; return its path or None.

    Removed before the notebook runs, so that a build that fails leaves no PDF of
    other runs that could be uploaded for this one."""
    pdf = out_dir / f"{NOTEBOOK.stem}.pdf"
    if not pdf.exists():
        return None
    pdf.unlink()
    print(f"Removed {pdf}, of an earlier build.")
    return pdf


def command_pdf(args):
    from hw04.checks import COLLABORATORS
    from hw04.export import upload
    from hw04.notebook import NotebookStopped, execute_notebook

    out_dir = Path(args.out).resolve()
    if args.latex:
        upload.check_latex_tools()  # before anything slow
    start = time.perf_counter()
    old_pdf = remove_old_pdf(out_dir)
    print(f"Executing {NOTEBOOK.name} from a fresh kernel ...", flush=True)
    try:
        executed = execute_notebook(
            out_dir, notebook_parameters(args, out_dir), notebook=NOTEBOOK
        )
        ran = time.perf_counter()
        print(f"  {executed} ({ran - start:.1f} s)")
        upload.gather_for_upload([ROOT / COLLABORATORS], out_dir)  # as uploaded
        pdf, warnings = upload.export_pdf(executed, out_dir, _exporter_name(args))
    except (NotebookStopped, upload.MissingTool) as err:
        if old_pdf is None:
            raise
        # The message of a failed build says that no PDF is left in out_dir.
        text = f"{err}\nNo PDF was made; {old_pdf}, of an earlier build, was removed."
        raise SystemExit(text) from None
    _report(pdf, warnings, time.perf_counter() - ran)
    print(f"Done in {time.perf_counter() - start:.1f} s.")


def command_upload(args):
    """Export the notebook as saved (no re-run) and gather the upload beside it."""
    from hw04.checks import COLLABORATORS
    from hw04.export import upload

    notebook = Path(args.notebook).resolve()
    if not notebook.exists():
        raise SystemExit(f"No notebook at {notebook}.")
    if args.latex:
        upload.check_latex_tools()
    out_dir = Path(args.out).resolve()
    if out_dir == notebook.parent:
        raise SystemExit(f"Choose an --out other than the notebook's folder {out_dir}.")
    start = time.perf_counter()
    copy, _ = upload.gather_for_upload(
        [notebook, notebook.parent / COLLABORATORS], out_dir
    )
    pdf, warnings = upload.export_pdf(copy, out_dir, _exporter_name(args))
    _report(pdf, warnings, time.perf_counter() - start)
    names = ", ".join([pdf.name, notebook.name, COLLABORATORS])
    print(f"Upload from {out_dir}: {names}.")


def command_outputs(args):
    """Re-execute hw04.ipynb in place with its own parameters; sources are kept."""
    from hw04.notebook import refresh_outputs

    print(f"Re-executing {NOTEBOOK.name} in place (cell sources are kept) ...")
    seconds = refresh_outputs(NOTEBOOK)
    print(f"  updated the outputs of {NOTEBOOK} ({seconds:.1f} s)")


def command_setup(args):
    """The package's set-up step once more (the BLAS choice, read again), and what
    comes next. In an environment of the user's own (``HW04_NO_VENV=1``) it
    changes nothing."""
    if os.environ.get("HW04_NO_VENV") != "1":
        _install_step(sys.executable)
    _say_ready()


def _exit_with(*argv):
    """Run this Python with ``argv`` in the repository; exit with its code."""
    sys.exit(subprocess.call([sys.executable, *map(str, argv)], cwd=ROOT))


def command_test(args):
    _exit_with("-m", "pytest", *args.pytest_args)


def command_bench(args):
    _exit_with("-m", "hw04.benchmark", "--homework-dir", ROOT, *args.bench_args)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Set up, make the notebook and its PDF, test or benchmark hw04.",
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
        help="export the notebook as saved (no re-run) and copy it and the "
        "collaboration statement beside the PDF",
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
    ensure_environment(args.command)
    # jsonschema, which nbformat loads, imports the IRI checker rfc3987_syntax when
    # it is installed, and that builds a grammar for 2-3 s; no notebook has an IRI.
    sys.modules.setdefault("rfc3987_syntax", None)
    from hw04 import reproducible
    from hw04.export.upload import MissingTool
    from hw04.notebook import NotebookStopped

    # One BLAS kernel for this process's children: pytest, papermill's kernel and
    # the joblib workers they start (set before any of them loads NumPy).
    os.environ.update(reproducible.chosen_environment())
    commands = {
        "pdf": command_pdf,
        "outputs": command_outputs,
        "upload": command_upload,
        "setup": command_setup,
        "test": command_test,
        "bench": command_bench,
    }
    try:
        commands[args.command](args)
    except (MissingTool, NotebookStopped) as err:
        raise SystemExit(str(err)) from None


if __name__ == "__main__":
    main()
