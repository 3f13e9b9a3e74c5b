"""The package's own exceptions, shown in IPython as their message alone (through
``_render_traceback_``, IPython's public hook); elsewhere ordinary exceptions."""


class _Brief:
    """Mixin: IPython shows the exception as one line, ``Class: message``."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


class HomeworkError(_Brief, Exception):
    """A mistake that the message says how to fix."""


class HomeworkInputError(HomeworkError, ValueError):
    """A data file or a parameter is not what the homework needs."""


class TrainingInterrupted(_Brief, KeyboardInterrupt):
    """Training stopped by an interrupt; a ``KeyboardInterrupt``, which code
    catching ``Exception`` lets through."""
