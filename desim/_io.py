"""Safe outputs: atomic files and directories, readable modes, guarded overwrites.

- A file is written to a temporary file beside its target and renamed when
  complete (`atomic_write`); a directory likewise (`atomic_directory`). The
  temporary names ``tempfile`` makes are private (0600 / 0700); the finished
  outputs get the modes the user's umask gives a new file or folder (0644 and
  0755 under umask 022), as if created with ``open`` and ``mkdir``.
- Every output directory desim writes holds a marker file, `MARKER`, listing
  what it wrote. ``--overwrite`` replaces only such a directory, and only when
  it holds nothing else (`check_output_dir`); never the current directory, one
  of its parents, the home directory, the file system root or a folder holding
  the scenario file.
- Replacing a directory renames the old one aside, renames the new one in,
  then deletes the old one: a crash at any point leaves one complete copy.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from desim.errors import OutputError

__all__ = [
    "MARKER",
    "atomic_write",
    "atomic_directory",
    "check_output_dir",
    "safe_output_name",
    "note_output",
    "file_mode",
    "dir_mode",
]

MARKER = ".desim-output.json"
_NAME_MAX = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # fallback: briefly set, then restore
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a new file under the current umask (0644 under umask 022)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Mode of a new directory under the current umask (0755 under umask 022)."""
    return 0o777 & ~_umask()


def atomic_write(path: str | os.PathLike, write: Callable[[str], object],
                 what: str = "the file") -> Path:
    """Call ``write(tmp_path)``, then rename the temporary file onto `path`.

    An interrupted or failed write never leaves a half-written `path`. The
    file gets the mode a new file gets under the user's umask.

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
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:_NAME_MAX]}.", suffix=".tmp",
                                   dir=path.parent)
        os.close(fd)
        try:
            write(tmp)
            os.chmod(tmp, file_mode())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"{path}: could not write {what} ({exc.strerror or exc})") from exc
    return path


def safe_output_name(name: str) -> str:
    """`name` as a single, harmless folder name (for ``out/<scenario name>``).

    Letters, digits, ``.``, ``_`` and ``-`` are kept, any other run of
    characters becomes ``_``; leading dots and dashes go (no ``..``, no hidden
    or option-like names); at most 80 characters; ``"scenario"`` if nothing is
    left.
    """
    safe = _UNSAFE.sub("_", name).lstrip(".-")[:_NAME_MAX].rstrip(".")
    return safe or "scenario"


# --- guarding an existing directory

def _marker(directory: Path) -> dict | None:
    try:
        doc = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("written_by") != "desim" \
            or not isinstance(doc.get("files"), list):
        return None
    return doc


def _write_marker(directory: Path, what: str) -> None:
    names = sorted(p.name for p in directory.iterdir() if p.name != MARKER)
    doc = {"written_by": "desim", "what": what, "files": names}
    (directory / MARKER).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def note_output(directory: str | os.PathLike, name: str) -> None:
    """Add `name` to the marker of a desim output `directory` (if it has one).

    For files written into a run directory later (``desim report``), so that
    ``--overwrite`` still recognises the directory as desim's own.
    """
    directory = Path(directory)
    doc = _marker(directory)
    if doc is None or name in doc["files"]:
        return
    doc["files"] = sorted([*doc["files"], name])
    try:
        atomic_write(directory / MARKER,
                     lambda tmp: Path(tmp).write_text(json.dumps(doc, indent=1) + "\n",
                                                      encoding="utf-8"), "the output marker")
    except OutputError:
        pass  # the report itself was written; only a later --overwrite will refuse


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _protected(real: Path, protect: Iterable[str | os.PathLike]) -> str | None:
    """Why `real` (a resolved path) must never be replaced, or None."""
    cwd = Path.cwd().resolve()
    if _is_within(cwd, real):
        return "the current directory" if real == cwd else "a parent of the current directory"
    home = Path.home().resolve()
    if _is_within(home, real):
        return "the home directory" if real == home else "a parent of the home directory"
    for p in protect:
        if _is_within(Path(p).resolve(), real):
            return f"the folder holding {Path(p).name}"
    return None


def _check_writable(out: Path, flag: str) -> None:
    """Fail now, not after the run, if `out` cannot be created where it is asked for."""
    parent = out.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link
            break
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{flag} {out}: expected a directory that can be created, got a "
                          f"path under {parent}, which is not a directory")
    try:
        probe = tempfile.mkdtemp(prefix=".desim-probe-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(f"{flag} {out}: expected a writable location, got {parent} "
                          f"({exc.strerror or exc})") from exc


def check_output_dir(out_dir: str | os.PathLike, overwrite: bool, *,
                     protect: Iterable[str | os.PathLike] = (), flag: str = "-o") -> Path:
    """Check, before any work, that `out_dir` may be written (see the module docstring).

    Parameters
    ----------
    out_dir : path
        The output directory asked for.
    overwrite : bool
        Whether an existing, non-empty desim output directory may be replaced.
    protect : paths
        Files whose folders must never be replaced (the scenario file).
    flag : str
        The option named in messages.

    Returns
    -------
    Path
        `out_dir` as given.

    Raises
    ------
    OutputError
        If `out_dir` is a file, a protected folder, a non-empty folder without
        `overwrite`, a folder desim did not write (or holding files it did not
        write), or in a place that cannot be written.
    """
    out = Path(out_dir)
    if str(out_dir) == "":
        raise OutputError(f"{flag}: expected a directory path, got an empty string")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{flag} {out}: expected a directory, got an existing file")
    real = out.resolve()
    if real == Path(real.anchor):
        raise OutputError(f"{flag} {out}: expected a directory to write outputs into, got the "
                          "file system root")
    why = _protected(real, protect)
    if why is not None and out.exists():
        raise OutputError(f"{flag} {out}: expected a new directory or one a previous desim run "
                          f"wrote, got {why}; choose a subdirectory such as -o out/run1")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise OutputError(f"{flag} {out}: directory exists and is not empty; pass "
                              "--overwrite to replace it")
        if out.is_symlink():
            raise OutputError(f"{flag} {out}: expected a directory a previous desim run wrote, "
                              "got a symbolic link; give the real directory")
        doc = _marker(out)
        if doc is None:
            raise OutputError(f"{flag} {out}: expected a directory a previous desim run wrote "
                              f"(with its {MARKER} marker), got one without it; --overwrite "
                              "replaces only desim's own outputs, so move it or choose "
                              "another directory")
        extra = sorted(p.name for p in out.iterdir()
                       if p.name != MARKER and p.name not in doc["files"])
        if extra:
            shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5
                                            else "")
            raise OutputError(f"{flag} {out}: expected only the files a previous desim run "
                              f"wrote, got also {shown}; --overwrite will not delete them, so "
                              "move them or choose another directory")
    _check_writable(Path(os.path.abspath(out)), flag)
    return out


# --- writing a directory

def _swap_in(tmp: Path, out: Path) -> None:
    """Put `tmp` at `out`: the old `out` is renamed aside, then deleted."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    aside = out.with_name(f".{out.name[:_NAME_MAX]}.old-{secrets.token_hex(4)}")
    os.rename(out, aside)
    try:
        os.rename(tmp, out)
    except OSError:
        os.rename(aside, out)  # put the old outputs back
        raise
    shutil.rmtree(aside, ignore_errors=True)


def atomic_directory(out: str | os.PathLike, write: Callable[[Path], object],
                     what: str = "outputs") -> Path:
    """Call ``write(tmp_dir)``, then put the finished directory in place of `out`.

    Everything is written into a temporary directory beside `out`, with the
    marker file listing what was written; an interrupted or failed write
    leaves `out` as it was. An existing `out` is renamed aside, the new one
    renamed in, and only then is the old one deleted (callers decide
    beforehand, with `check_output_dir`, whether replacing it is allowed).
    """
    out = Path(os.path.abspath(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name[:_NAME_MAX]}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"{out}: could not write {what} ({exc.strerror or exc})") from exc
    try:
        write(tmp)
        _write_marker(tmp, what)
        _set_modes(tmp)
        _swap_in(tmp, out)
    except OSError as exc:
        raise OutputError(f"{out}: could not write {what} ({exc.strerror or exc})") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _set_modes(root: Path) -> None:
    """Modes a new file or folder gets under the umask, for everything under `root`."""
    fmode, dmode = file_mode(), dir_mode()
    for here, dirs, files in os.walk(root):
        os.chmod(here, dmode)
        for name in files:
            os.chmod(os.path.join(here, name), fmode)
        for name in dirs:
            os.chmod(os.path.join(here, name), dmode)
