"""A tqdm progress bar that leaves one summary line, in a terminal or a notebook.

In a terminal the bar goes to stderr and vanishes when done. In Jupyter the bar
is drawn into an output that is replaced by the summary line at the end, so a
saved notebook (and its PDF) holds no progress-bar debris. All bars of one cell
share one output, so the summary lines of a loop read as one block.
"""

import re

from tqdm import tqdm

_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _shell():
    """The running IPython kernel's shell, or None outside a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


class _CellOutput:
    """One updatable output per cell execution: its summary lines, then a bar."""

    _current = None

    @classmethod
    def of_running_cell(cls, shell):
        # The execution count names the running cell; a new cell gets a new output.
        if cls._current is None or cls._current.cell != shell.execution_count:
            cls._current = cls(shell.execution_count)
        return cls._current

    def __init__(self, cell):
        from IPython.display import display

        self.cell, self.lines = cell, []
        self.handle = display({"text/plain": ""}, raw=True, display_id=True)

    def show(self, bar_text=""):
        text = "\n".join([*self.lines, bar_text]).strip("\n")
        self.handle.update({"text/plain": text}, raw=True)


class ProgressLine:
    """One bar of ``total`` runs named ``label``; see the module's docstring.

    Parameters
    ----------
    label : str
    total : int
    show : bool, default=True
        Show anything at all (the summary line included).
    bar : bool, default=True
        Show the bar while the work runs (off for work read from a cache).
    """

    def __init__(self, label, total, show=True, bar=True):
        self.show = show
        shell = _shell() if show else None
        self.output = _CellOutput.of_running_cell(shell) if shell else None
        self.bar = tqdm(
            total=total,
            desc=label,
            unit="run",
            leave=False,
            disable=not (show and bar),
            file=self if self.output else None,
            mininterval=0.25,
            ncols=80,
        )

    # tqdm writes its text here when drawing into a notebook output.
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
        """Stop the bar; in Jupyter its last frame goes, the summary lines stay."""
        self.bar.close()
        if self.output:
            self.output.show()

    def summary(self, text):
        """Replace the bar by ``text`` (printed, outside Jupyter)."""
        if self.output:
            self.output.lines.append(text)
            self.output.show()
        elif self.show:
            print(text)
