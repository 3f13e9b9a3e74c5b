"""A tqdm progress bar that leaves one summary line, in a terminal or a notebook.

In a terminal the bar goes to stderr and vanishes when done. In a Jupyter kernel
the bar is drawn into one output of the cell (a :class:`CellOutput`): tqdm's
notebook widget where ipywidgets 8 or newer is installed (JupyterLab draws it),
else tqdm's text; when the bar closes, that output is replaced by the summary lines
alone. So a saved notebook (and its PDF) holds no progress-bar debris and no widget,
whether JupyterLab or papermill ran it (the routes of :mod:`hw04.notebook` also keep
nbclient from recording the closed widgets' state in the notebook).

The bars of one cell share one :class:`CellOutput`, so that their summary lines
read as one block (:class:`hw04.training.SeedTrainer` makes one per cell).

A kernel's outputs reach only the notebook, so a route that executes it from the
command line, with its output in a file or a pipe, would show nothing for minutes:
inside :func:`relayed_to`, a kernel started there writes a line as each bar of
training closes, which is copied to that route's stream as it comes: one line per
setting trained.
"""

import contextlib
import html
import os
import re
import shutil
import tempfile
import threading
import time

from tqdm import tqdm

_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The file a kernel appends its summary lines to, set by :func:`relayed_to` in the
# environment that the kernels it starts inherit.
LOG_VARIABLE = "HW04_PROGRESS_LOG"
RELAY_SECONDS = 0.2  # how often the relay looks for new lines


def _append_to_log(text):
    """Append ``text`` as a line to the relay's file, where a route set one."""
    path = os.environ.get(LOG_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(text + "\n")


def _copy_new_lines(path, stream, stop):
    """Copy what is appended to ``path`` to ``stream`` until ``stop`` is set, and
    what came before it; whole lines only, each flushed as it comes."""
    with open(path, encoding="utf-8") as log:
        pending = ""
        while True:
            stopping = stop.is_set()  # read once more after the stop
            pending += log.read()
            lines, _, pending = pending.rpartition("\n")
            if lines:
                stream.write(lines + "\n")
                stream.flush()
            if stopping:
                return
            stop.wait(RELAY_SECONDS)


@contextlib.contextmanager
def relayed_to(stream):
    """Copy the summary lines of the kernels started in the block to ``stream``.

    For a route that executes the notebook (papermill) with its output in a file
    or a pipe, where neither the kernel's outputs nor a bar reach: each line is
    written and flushed as its setting finishes. With ``stream`` None, nothing is
    relayed (a terminal shows papermill's bar instead).
    """
    if stream is None:
        yield
        return
    folder = tempfile.mkdtemp(prefix="hw04-progress-")
    path = os.path.join(folder, "lines.txt")
    open(path, "w").close()
    before = os.environ.get(LOG_VARIABLE)
    os.environ[LOG_VARIABLE] = path
    stop = threading.Event()
    relay = threading.Thread(
        target=_copy_new_lines, args=(path, stream, stop), daemon=True
    )
    relay.start()
    try:
        yield
    finally:
        stop.set()
        relay.join()
        if before is None:
            os.environ.pop(LOG_VARIABLE, None)
        else:
            os.environ[LOG_VARIABLE] = before
        shutil.rmtree(folder, ignore_errors=True)


def kernel_shell():
    """The running IPython kernel's shell, or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


def _widgets():
    """ipywidgets 8 or newer, or None (then the bar is text).

    ipywidgets 7 speaks an older protocol than JupyterLab 4's widget manager, which
    then shows an error where the bar should be; text works in every frontend.
    """
    try:
        import ipywidgets
    except ImportError:
        return None
    major = ipywidgets.__version__.split(".")[0]
    return ipywidgets if major.isdigit() and int(major) >= 8 else None


class CellOutput:
    """One output of the running cell: the summary lines so far, then a bar.

    Every progress bar of the cell draws into it; outside a kernel there is none,
    and the summary lines are printed.
    """

    def __init__(self):
        from IPython.display import display

        self.lines = []
        self.runs_done = 0  # runs of the calls that finished (the interrupt says it)
        self.handle = display({"text/plain": ""}, raw=True, display_id=True)

    def show(self, bar=None):
        """Show the lines, then ``bar``: a line of text, a widget, or None."""
        text = "\n".join(self.lines)
        if bar is None or isinstance(bar, str):
            text = "\n".join([text, bar or ""]).strip("\n")
            self.handle.update({"text/plain": text}, raw=True)
            return
        if self.lines:
            lines = _widgets().HTML(f"<pre>{html.escape(text)}</pre>")
            bar = _widgets().VBox([lines, bar])
        self.handle.update(bar)


class ProgressLine:
    """One bar of ``total`` runs named ``label``; see the module's docstring.

    Parameters
    ----------
    label : str
    total : int
    bar : bool, default=True
        Show the bar while the work runs (off for work read from a cache).
    output : CellOutput, optional
        The running cell's output to draw into; None outside a kernel (the bar
        on stderr, the summary printed).
    """

    def __init__(self, label, total, bar=True, output=None):
        self.label, self.total = label, total
        self.started = time.perf_counter()
        self.output = output
        options = dict(
            total=total,
            desc=label,
            unit="run",
            leave=False,
            disable=not bar,
            mininterval=0.25,
        )
        self.widget = output is not None and _widgets() is not None
        if self.widget:
            from tqdm.notebook import tqdm as notebook_tqdm

            self.bar = notebook_tqdm(display=False, **options)
            if not self.bar.disable:
                self.output.show(self.bar.container)
        else:
            self.bar = tqdm(file=self if self.output else None, ncols=80, **options)

    # tqdm's text bar writes here when drawing into a notebook output.
    def write(self, text):
        line = _ESCAPES.sub("", text).replace("\r", "").strip()
        if line:
            self.output.show(line)

    def flush(self):
        pass

    def update(self, n):
        """Count ``n`` more runs done."""
        self.bar.update(n)

    @property
    def done(self):
        """How many runs were counted done."""
        return self.bar.n

    def close(self):
        """Stop the bar; in Jupyter the bar goes, the summary lines stay."""
        self.bar.close()
        if self.output:
            self.output.show()
            seconds = time.perf_counter() - self.started
            _append_to_log(
                f"  {self.label}: {self.done} of {self.total} runs in {seconds:.1f} s."
            )

    def summary(self, text):
        """Replace the bar by ``text`` (printed, outside Jupyter)."""
        if self.output:
            self.output.lines.append(text)
            self.output.show()
        else:
            print(text)
