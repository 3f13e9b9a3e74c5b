#!/usr/bin/env python3
"""Set up, then make the executed notebook and its PDF; or run the tests.

Usage, from a fresh clone, with nothing installed but Python 3.11+::

    python3 make_homework.py                 # .venv if needed, then build/hw04.pdf
    python3 make_homework.py test            # the test suite (-m slow: its slow tier)
    python3 make_homework.py setup           # .venv with JupyterLab, and stop
    python3 make_homework.py pdf --seeds 16 17 18  # other seeds
    python3 make_homework.py pdf --latex     # the PDF through nbconvert + XeLaTeX
    python3 make_homework.py upload          # PDF of the saved notebook, for Gradescope
    python3 make_homework.py outputs         # refresh the outputs saved in hw04.ipynb
    python3 make_homework.py bench           # the benchmarks (dev/bench.py)
    python3 make_homework.py verify PATH...  # re-execute submissions: which reproduce

The first call makes a virtual environment in ``.venv`` from the pinned
requirements, installs the package ``hw04`` (``src/hw04``) into it, editable, and
runs itself again inside it; later calls reuse it. Set ``HW04_NO_VENV=1`` to use
the current Python environment as it is. This script needs only the standard
library until it runs inside ``.venv``; the notebook runs through papermill's API,
the PDF through the package's nbconvert exporters.
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
# What the set-up reads: a change to any of them fills .venv again.
SETUP_INPUTS = [REQUIREMENTS, ROOT / "pyproject.toml"] + [
    ROOT / "src" / "hw04" / name
    for name in ("install.py", "reproducible.py", "export/__init__.py")
]


# --------------------------------------------------------------- environment


def _stamp(dev):
    files = SETUP_INPUTS + [DEV_REQUIREMENTS] * dev
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    return f"{'dev' if dev else 'run'}:{digest}"


def _venv_bin(name, folder=VENV):
    return folder / (f"Scripts/{name}.exe" if os.name == "nt" else f"bin/{name}")


def fill_environment(folder, requirements, with_project=False):
    """Make the virtual environment ``folder`` if needed and pip-install the pins;
    ``with_project`` also installs ``hw04`` (editable, without dependencies)."""
    python = _venv_bin("python", folder)
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
    lab = _venv_bin("jupyter-lab")
    print(
        f"{VENV.name} is ready: JupyterLab, the pinned packages and the PDF "
        f"exporters.\nOpen the homework with:  {lab.relative_to(ROOT)} hw04.ipynb"
    )


def ensure_environment(command):
    """Re-run this script inside .venv, filled first if needed; after a set-up,
    ``setup`` stops here and the others end with a line of the time of both."""
    dev = command in ("test", "bench")
    if sys.version_info < (3, 11):  # noqa: UP036 (a guard for old interpreters)
        raise SystemExit(
            f"hw04 needs Python 3.11 or newer (its pinned NumPy does); this is "
            f"{sys.version.split()[0]}. Run make_homework.py with a newer python3."
        )
    if os.environ.get("HW04_NO_VENV") == "1" or Path(sys.prefix).resolve() == VENV:
        return
    python, stamp_file = _venv_bin("python"), VENV / "hw04-requirements.txt"
    stamps = stamp_file.read_text().split() if stamp_file.exists() else []
    start = time.perf_counter()
    set_up = _stamp(dev) not in stamps and _stamp(True) not in stamps
    if set_up:
        extra = f" and {DEV_REQUIREMENTS.name}" if dev else ""
        print(
            f"Installing the pinned packages of {REQUIREMENTS.name}{extra} into "
            f"{VENV.name} (first run only, a minute or two) ...",
            flush=True,
        )
        fill_environment(VENV, DEV_REQUIREMENTS if dev else REQUIREMENTS, True)
        _install_step(python)
        stamp_file.write_text(" ".join([*stamps, _stamp(dev)]))
        if command == "setup":
            _say_ready()
            sys.exit(0)
    code = subprocess.call([str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    if set_up:
        seconds = time.perf_counter() - start
        print(f"With the set-up of {VENV.name}: {seconds:.1f} s in all.")
    sys.exit(code)


# ------------------------------------------------------------------- commands


def notebook_parameters(args, out_dir):
    """papermill's parameters for the options given (the others: the cell's)."""
    results = (out_dir / "results").resolve()
    # Inside the repository, relative to it: the same on every machine.
    if results.is_relative_to(ROOT):
        results = results.relative_to(ROOT)
    given = {
        "results_dir": results.as_posix(),
        "appendix": not args.no_appendix,
        "seeds": args.seeds,
        "data_dir": args.data_dir and str(Path(args.data_dir).resolve()),
        "n_jobs": args.n_jobs,
        "engine": args.engine,
    }
    return {name: value for name, value in given.items() if value is not None}


def _export(notebook, out_dir, args):
    from hw04.export import COMMAND_LINE_PDF, LATEX_PDF, upload

    start = time.perf_counter()
    name = LATEX_PDF if args.latex else COMMAND_LINE_PDF
    pdf, warnings = upload.export_pdf(notebook, out_dir, name)
    print(f"  {pdf} ({time.perf_counter() - start:.1f} s)")
    for message in warnings:
        print(f"  Before uploading: {message}")
    return pdf


def command_pdf(args):
    from hw04.checks import COLLABORATORS
    from hw04.export import upload
    from hw04.notebook import NotebookStopped, execute_notebook

    out_dir = Path(args.out).resolve()
    if args.latex:
        upload.check_latex_tools()  # before anything slow
    start = time.perf_counter()
    # Before the run, so that a build that fails leaves no PDF of other runs.
    old_pdf = out_dir / f"{NOTEBOOK.stem}.pdf"
    removed = old_pdf.exists()
    if removed:
        old_pdf.unlink()
        print(f"Removed {old_pdf}, of an earlier build.")
    print(f"Executing {NOTEBOOK.name} from a fresh kernel ...", flush=True)
    try:
        parameters = notebook_parameters(args, out_dir)
        executed = execute_notebook(out_dir, parameters, notebook=NOTEBOOK)
        print(f"  {executed} ({time.perf_counter() - start:.1f} s)")
        upload.gather_for_upload([ROOT / COLLABORATORS], out_dir)  # as uploaded
        _export(executed, out_dir, args)
    except (NotebookStopped, upload.MissingTool) as err:
        gone = f"\nNo PDF was made; {old_pdf}, of an earlier build, was removed."
        raise SystemExit(f"{err}{gone * removed}") from None
    print(f"Done in {time.perf_counter() - start:.1f} s.")


def command_upload(args):
    """Export the notebook as saved (no re-run) and gather the upload beside it."""
    from hw04.checks import COLLABORATORS
    from hw04.export import upload

    notebook, out_dir = Path(args.notebook).resolve(), Path(args.out).resolve()
    if not notebook.exists():
        raise SystemExit(f"No notebook at {notebook}.")
    if out_dir == notebook.parent:
        raise SystemExit(f"Choose an --out other than the notebook's folder {out_dir}.")
    if args.latex:
        upload.check_latex_tools()
    files = [notebook, notebook.parent / COLLABORATORS]
    copy, _ = upload.gather_for_upload(files, out_dir)
    pdf = _export(copy, out_dir, args)
    print(f"Upload from {out_dir}: {pdf.name}, {notebook.name}, {COLLABORATORS}.")


def command_outputs(args):
    """Re-execute hw04.ipynb in place with nbconvert (its sources are kept)."""
    from hw04.notebook import execution_options

    jupyter = Path(sys.executable).parent / "jupyter"
    # No timings: the saved outputs change only with the work.
    options = execution_options(NOTEBOOK) | {"timeout": 1800, "record_timing": False}
    del options["cwd"]  # nbconvert runs the kernel in the notebook's folder
    nbconvert = ["nbconvert", "--to", "notebook", "--execute", "--inplace"]
    options = [f"--ExecutePreprocessor.{k}={v}" for k, v in options.items()]
    _exit_with(jupyter, *nbconvert, *options, NOTEBOOK)


def command_setup(args):
    """The package's set-up step once more (the BLAS choice, read again); in an
    environment of the user's own (``HW04_NO_VENV=1``) it changes nothing."""
    if os.environ.get("HW04_NO_VENV") != "1":
        _install_step(sys.executable)
    _say_ready()


def _exit_with(*argv):
    """Run ``argv`` in the repository; exit with its code."""
    sys.exit(subprocess.call([*map(str, argv)], cwd=ROOT))


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
    sub.add_parser("outputs", help="re-execute hw04.ipynb in place (nbconvert)")
    upload = sub.add_parser(
        "upload", help="export the notebook as saved (no re-run), gather the upload"
    )
    upload.add_argument("notebook", nargs="?", default=str(NOTEBOOK))
    upload.add_argument("--latex", action="store_true", help="nbconvert + XeLaTeX")
    upload.add_argument("--out", default=str(ROOT / "upload"), help="default: upload/")
    sub.add_parser("test", help="run the tests; more arguments go to pytest")
    sub.add_parser("bench", help="time a rerun, the engine (engine) or verify")
    sub.add_parser("verify", help="re-execute submissions: which reproduce, and why")
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["pdf", *argv]
    if argv[0] in ("test", "bench", "verify") and argv[1:2] not in (["-h"], ["--help"]):
        # Everything after the command goes to pytest, the benchmark or hw04.verify.
        return argparse.Namespace(command=argv[0], rest=argv[1:])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    if args.command in ("test", "bench"):
        script = ["-m", "pytest"] if args.command == "test" else [ROOT / "dev/bench.py"]
        _exit_with(sys.executable, *script, *args.rest)
    if args.command == "verify":
        _exit_with(sys.executable, "-m", "hw04.verify", "--homework", ROOT, *args.rest)
    commands = {
        "pdf": command_pdf,
        "outputs": command_outputs,
        "upload": command_upload,
        "setup": command_setup,
    }
    try:
        commands[args.command](args)
    except (MissingTool, NotebookStopped) as err:
        raise SystemExit(str(err)) from None


if __name__ == "__main__":
    main()
