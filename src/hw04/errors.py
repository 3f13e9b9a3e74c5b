"""The package's own exceptions, which show themselves in IPython as their message.

A :class:`HomeworkError` is a mistake the student can fix, or a stop the student
asked for, and its message says what to do. IPython asks an exception for the
lines to show through its ``_render_traceback_`` method, the public hook for an
exception class (IPython 7 and later, in a kernel, under papermill and nbconvert);
these classes answer with their message alone, without the package's frames.
Outside IPython they are ordinary exceptions.
"""


class _Brief:
    """Mixin: IPython shows the exception as one line, ``Class: message``."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


class HomeworkError(_Brief, Exception):
    """A mistake that the message says how to fix."""


class HomeworkInputError(HomeworkError, ValueError):
    """A data file or a parameter is not what the homework needs."""


class TrainingInterrupted(_Brief, KeyboardInterrupt):
    """Training stopped by an interrupt (Kernel > Interrupt, Ctrl-C).

    A ``KeyboardInterrupt``, so that code catching ``Exception`` still lets it
    through; its message says what was kept and how to continue.
    """
