"""The one error type a user's mistake becomes: printed as one line, exit code 2."""

from __future__ import annotations


class DjgateError(Exception):
    """A usage, configuration or environment error: says what failed and what to do."""

    exit_code = 2
