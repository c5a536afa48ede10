"""Errors raised for user mistakes.

A :class:`GenotorchError` carries a one-line message that names the file or flag at fault and the fix. The CLI
prints it without a traceback and exits with status 2; library callers can catch it like any ``ValueError``.
"""


class GenotorchError(ValueError):
    """A problem with the user's input (a file, a flag, a config key), stated with its fix."""
