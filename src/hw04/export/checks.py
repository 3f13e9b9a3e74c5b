"""Kept for older imports: the checks before upload are :mod:`hw04.checks`."""

from hw04.checks import COLLABORATORS, gradescope_warnings  # noqa: F401
