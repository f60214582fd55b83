"""Writing outputs safely: never over a user's file without ``--force``, never half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


class OutputError(Exception):
    """An output that may not or cannot be written (exit status 2)."""


def check_writable(path: str | Path, force: bool, *, elsewhere: str = "or -o to write elsewhere"
                   ) -> None:
    """Refuse an existing output without ``force`` before any work is done."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{p}: is a folder; name an output file")
    if p.exists() and not force:
        raise OutputError(f"{p}: already exists and may hold a reader's edits; it is kept. Use "
                          f"--force to replace it, {elsewhere}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{p}: cannot be written: the folder {parent} does not exist")


def write_atomically(path: str | Path, write: Callable[[Path], None], force: bool,
                     **hint: str) -> None:
    """Write through ``write(temporary_path)`` and rename into place; no partial file is left."""
    p = Path(path)
    check_writable(p, force, **hint)
    parent = p.parent if str(p.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"{p}: cannot be written ({exc.strerror})") from None
    try:
        write(Path(temp))
        os.chmod(temp, 0o644)
        os.replace(temp, p)
    except OSError as exc:
        raise OutputError(f"{p}: cannot be written ({exc.strerror})") from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_text(path: str | Path, text: str, force: bool, **hint: str) -> None:
    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    write_atomically(path, write, force, **hint)
