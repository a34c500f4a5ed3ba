"""Atomic file writes: a temporary file beside the target, renamed when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from desim.errors import OutputError

__all__ = ["atomic_write", "atomic_directory"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], object],
                 what: str = "the file") -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto `path`.

    An interrupted or failed write never leaves a half-written `path`.

    Raises
    ------
    OutputError
        If `path` is a directory or cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: expected a file path, got an existing directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{path}: could not write {what} ({exc.strerror or exc})") from exc
    return path


def atomic_directory(out: str | os.PathLike, write: Callable[[Path], object],
                     what: str = "outputs") -> Path:
    """Call ``write(tmp_dir)``, then put the finished directory in place of `out`.

    Everything is written into a temporary directory beside `out`; an interrupted
    or failed write leaves `out` as it was. An existing `out` is replaced only once
    the new one is complete (callers decide beforehand whether that is allowed).
    """
    import shutil

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except OSError as exc:
        raise OutputError(f"{out}: could not write {what} ({exc})") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
