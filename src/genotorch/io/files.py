"""Output files written atomically: a temporary name beside the target, renamed into place when complete.

A failed or killed run leaves nothing under the output name. Temporary names are ``.<name>.tmp-<pid>[suffix]``;
:func:`remove_stale_temporaries` deletes those of dead processes, so a run killed with SIGKILL (which no cleanup
can catch) leaves nothing that a later run of the same output does not remove.
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from genotorch.errors import GenotorchError

logger = logging.getLogger(__name__)


def temporary_name(path: str | Path, suffix: str = "") -> Path:
    """``.<name>.tmp-<pid><suffix>`` beside ``path``."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}{suffix}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path: str | Path) -> int:
    """Delete ``.<name>.tmp-<pid>*`` files beside ``path`` whose process is gone; returns how many."""
    path = Path(path)
    if not path.parent.is_dir():
        return 0
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.tmp-(\d+)")
    n = 0
    for p in path.parent.iterdir():
        m = pattern.match(p.name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            p.unlink(missing_ok=True)
            n += 1
    if n:
        logger.info(f"removed {n} temporary file(s) of {path} left by a killed run")
    return n


def prepare_output(path: str | Path, flag: str, quiet: bool = False) -> Path:
    """Check that ``path`` can be written before any work: its folder is created when missing and must be
    writable, and ``path`` must not be a folder. Stale temporaries of ``path`` are removed, and replacing an
    existing file is logged (as bcftools and samtools do, it is replaced).

    Raises
    ------
    GenotorchError
        Naming ``path`` and ``flag``.
    """
    path = Path(path)
    if path.is_dir():
        raise GenotorchError(f"{flag} {path} is a folder: give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GenotorchError(f"{flag} {path}: its folder cannot be created ({e.strerror})") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise GenotorchError(f"{flag} {path}: the folder {path.parent} is not writable: choose another {flag}")
    remove_stale_temporaries(path)
    if path.exists() and not quiet:  # quiet: a file this run itself rewrites (training curves)
        logger.info(f"{path} exists and will be replaced")
    return path


@contextmanager
def atomic_output(path: str | Path, flag: str, suffix: str = "", quiet: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed to ``path``, on any error it is removed.

    Raises
    ------
    GenotorchError
        ``path`` cannot be written (see :func:`prepare_output`).
    """
    path = prepare_output(path, flag, quiet)
    tmp = temporary_name(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str, flag: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_output`)."""
    with atomic_output(path, flag) as tmp:
        tmp.write_text(text)
    return Path(path)


def atomic_write_json(path: str | Path, obj, flag: str) -> Path:
    """``obj`` as indented JSON at ``path``, atomically."""
    import json

    return atomic_write_text(path, json.dumps(obj, indent=2) + "\n", flag)


def atomic_savefig(fig, path: str | Path, flag: str, dpi: int = 100, quiet: bool = False) -> Path:
    """Save a matplotlib figure as PNG at ``path`` atomically, then close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_output(path, flag, suffix=".png", quiet=quiet) as tmp:
            fig.savefig(tmp, dpi=dpi)
    finally:
        plt.close(fig)
    return Path(path)
