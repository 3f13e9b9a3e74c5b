"""A tqdm progress bar that leaves one summary line, in a terminal or a notebook.

In a terminal the bar goes to stderr and vanishes when done. In Jupyter the bar
is drawn into one output that is replaced by the summary line at the end, so a
saved notebook (and its PDF) holds no progress-bar debris.
"""

import re

from tqdm import tqdm

_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


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
        self.handle = None
        if show and _in_kernel():
            from IPython.display import display

            self.handle = display({"text/plain": ""}, raw=True, display_id=True)
        self.bar = tqdm(
            total=total,
            desc=label,
            unit="run",
            leave=False,
            disable=not (show and bar),
            file=self if self.handle else None,
            mininterval=0.25,
            ncols=80,
        )

    # tqdm writes its text here when drawing into a notebook output.
    def write(self, text):
        line = _ESCAPES.sub("", text).replace("\r", "").strip()
        if line:
            self.handle.update({"text/plain": line}, raw=True)

    def flush(self):
        pass

    def update(self, n):
        """Count ``n`` more runs done."""
        self.bar.update(n)

    def close(self):
        self.bar.close()

    def summary(self, text):
        """Replace the bar by ``text`` (printed, outside Jupyter)."""
        if self.handle:
            self.handle.update({"text/plain": text}, raw=True)
        elif self.show:
            print(text)
