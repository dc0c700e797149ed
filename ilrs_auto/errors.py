"""Errors for bad input from outside (files, scenarios, arguments).

Every such error names what was wrong and where (a file, a line, a field) in one line. The
command line prints it and exits with status 2; nothing is half-written before it is raised.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from outside. ``str(error)`` is one line naming what and where."""
