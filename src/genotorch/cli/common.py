"""Helpers shared by the CLI modules: user-error handling and progress bars."""

from __future__ import annotations

import functools
import logging
import signal
import sys
import time
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from genotorch.errors import GenotorchError

err_console = Console(stderr=True, soft_wrap=True)
console = Console(soft_wrap=True)


class _ConsoleHandler(logging.Handler):
    """Library log records (``logging.getLogger("genotorch...")``) printed on stderr as plain lines."""

    def emit(self, record: logging.LogRecord) -> None:
        """Print one log record on stderr."""
        err_console.print(self.format(record), highlight=False, soft_wrap=True, markup=False)


def setup_logging(level: int = logging.INFO) -> None:
    """Route genotorch's library logs to stderr once (library code logs; only the CLI prints). htslib's own
    stderr messages are silenced: genotorch turns its failures into one line that names the file and flag."""
    import pysam

    pysam.set_verbosity(0)
    log = logging.getLogger("genotorch")
    if not any(isinstance(h, _ConsoleHandler) for h in log.handlers):
        log.addHandler(_ConsoleHandler())
    log.setLevel(level)


def command_line() -> str:
    """This process's command line, shell-quoted (written into outputs as provenance)."""
    import shlex

    return " ".join(shlex.quote(a) for a in sys.argv)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks remove temporary files before exiting."""


def _on_sigterm(signum, frame):
    raise Terminated()


def user_errors(fn):
    """Print a :class:`GenotorchError` as one line and exit with status 2 (no traceback for user mistakes); on
    Ctrl-C (130) or SIGTERM (143) exit after the temporary outputs are removed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        setup_logging()
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (e.g. inside a test runner's worker thread)
            pass
        try:
            return fn(*args, **kwargs)
        except GenotorchError as e:
            err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted: nothing half-written was left behind")
            raise typer.Exit(130) from None
        except Terminated:
            err_console.print("terminated: nothing half-written was left behind")
            raise typer.Exit(143) from None

    return wrapper


PROGRESS_EVERY_S = 30.0


@contextmanager
def chunk_progress(description: str, unit: str):
    """A progress bar over chunks (batches) on a terminal, or a progress line every 30 s when stderr is a file
    (a cluster job's log); yields ``update(done, total, n)``; ``n`` counts ``unit``."""
    if not sys.stderr.isatty():
        t0 = last = time.monotonic()

        def update(done: int, total: int, n: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S or done == total:
                last = now
                err_console.print(f"{description}: {done}/{total} chunks, {n} {unit}, {now - t0:.0f} s",
                                  highlight=False)

        yield update
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("chunks, {task.fields[n]} " + unit), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err_console) as bar:
        task = bar.add_task(description, total=None, n=0)

        def update(done: int, total: int, n: int) -> None:
            bar.update(task, completed=done, total=total, n=n)

        yield update


def print_scores(true: list[str], probs, classes: list[str], title: str, threshold: float | None = None) -> dict:
    """Metrics of predictions whose true class names are known (a binary model's stored decision ``threshold``
    applied); printed and returned."""
    import numpy as np

    from genotorch.predict.images import classification_metrics, format_metrics

    m = classification_metrics(np.array([classes.index(t) for t in true]), probs, classes, threshold)
    console.print(format_metrics(m, title), highlight=False)
    return m
