"""The package's own exceptions, and how a notebook shows them: as their message.

A :class:`HomeworkError` is a mistake the student can fix, or a stop the student
asked for, and its message says what to do. After :func:`show_briefly`, IPython
shows such an exception as that message alone, without the frames of the package
that raised it.
"""

import sys


class HomeworkError(Exception):
    """A mistake that the message says how to fix."""


class HomeworkInputError(HomeworkError, ValueError):
    """A data file or a parameter is not what the homework needs."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by an interrupt (Kernel > Interrupt, Ctrl-C).

    A ``KeyboardInterrupt``, so that code catching ``Exception`` still lets it
    through; its message says what was kept and how to continue.
    """


BRIEF = (HomeworkError, TrainingInterrupted)


def brief_traceback(etype, value):
    """The lines shown for an exception of :data:`BRIEF`: its class and message."""
    return [f"{etype.__name__}: {value}"]


def _show_message(shell, etype, value, tb, tb_offset=None):
    lines = brief_traceback(etype, value)
    # Recorded as IPython records every error it shows (hw04.checks reads it).
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    # The shell's own route for an error: in a kernel it becomes the cell's error
    # output (ename, evalue and these lines), in a terminal it is printed.
    shell._showtraceback(etype, value, lines)
    return lines


def show_briefly(shell=None):
    """Show this package's exceptions in IPython as their message, one line.

    Call it once in the notebook's first code cell. It registers a handler for
    :data:`BRIEF` with IPython's ``set_custom_exc``; other exceptions keep
    IPython's full traceback. Outside IPython it does nothing.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        Default: the running one (``IPython.get_ipython()``).

    Returns
    -------
    bool
        Whether a shell was found and the handler registered.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc(BRIEF, _show_message)
    return True
