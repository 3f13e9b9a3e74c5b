"""A tqdm progress bar that leaves one summary line, in a terminal or a notebook.

In a kernel the bars of a cell draw into one output (:class:`CellOutput`), a widget
with ipywidgets 8 or text, replaced by the summary lines when done: a saved notebook
keeps no bar. :func:`relayed_to` copies those lines to a command-line route's stream.
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
# The file a kernel appends its summary lines to, set by relayed_to for its kernels.
LOG_VARIABLE = "HW04_PROGRESS_LOG"
RELAY_SECONDS = 0.2  # how often the relay looks for new lines


def _append_to_log(text):
    """Append ``text`` as a line to the relay's file, where a route set one."""
    path = os.environ.get(LOG_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(text + "\n")


def _copy_new_lines(path, stream, stop):
    """Copy whole lines appended to ``path`` to ``stream`` until ``stop`` is set."""
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
    """Copy the summary lines of the kernels started in the block to ``stream``, as
    each setting finishes (None: nothing)."""
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
    """The running IPython kernel's shell, or None outside a kernel (or without
    IPython, as in the engine's test environments)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


def _widgets():
    """ipywidgets 8 or newer, or None: JupyterLab 4 shows an error for 7's widgets."""
    try:
        import ipywidgets
    except ImportError:
        return None
    major = ipywidgets.__version__.split(".")[0]
    return ipywidgets if major.isdigit() and int(major) >= 8 else None


class CellOutput:
    """One output of the running cell: the summary lines so far, then a bar."""

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
    """One bar of ``total`` runs named ``label``, drawn while ``bar`` into the cell's
    ``output`` (None outside a kernel: on stderr, the summary printed)."""

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
