"""Writing outputs safely: never over a user's file without ``--force``, never half a file, never
one output of a command without the others.

Each output is written to a temporary file beside it (created exclusively, with the mode the umask
gives) and then put in place in one step that cannot replace what appeared meanwhile: a new file is
*linked* to its name, which fails if the name exists, so two runs writing the same output cannot
silently replace one another (a check followed by a rename could). ``--force`` replaces a regular
file only; a folder, a device, a named pipe or a symbolic link at an output path is never replaced
(a link is not followed either). All outputs of a command are put in place together: if one fails,
those already placed are taken back (a replaced file is restored), so a command writes all of its
outputs or none. Temporary files are removed however the command ends, a signal included (the
command line turns SIGTERM and SIGHUP into an exception for this); only SIGKILL leaves one behind,
a hidden ``.labfinance-*.tmp`` beside the output.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class OutputError(Exception):
    """An output that may not or cannot be written (exit status 2)."""


_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the name is longer than the file system allows",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ELOOP: "too many symbolic links",
}


def reason(exc: BaseException) -> str:
    """Why an output failed, in a reader's words: the operating system's error found in ``exc`` or
    its causes (a library may wrap it), else the exception's own text."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return _REASONS.get(seen.errno, seen.strerror or str(seen))
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def _folder(p: Path) -> Path:
    return p.parent if str(p.parent) else Path(".")


def check_writable(path: str | Path, force: bool, *, elsewhere: str = "or -o to write elsewhere"
                   ) -> None:
    """Refuse, before any work is done, an output that exists (without ``force``), one that is not
    a regular file, or one whose folder is missing or whose name is too long."""
    p = Path(path)
    try:
        info = os.lstat(p)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"{p}: cannot be written: {reason(exc)}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        what = _kind(info.st_mode)
        hint = ("name an output file" if stat.S_ISDIR(info.st_mode) else
                "labfinance replaces regular files only, with --force; name another file"
                + (" (--json - writes to standard output)" if not stat.S_ISLNK(info.st_mode)
                   else ", or the file the link points to"))
        raise OutputError(f"{p}: is {what}; {hint}")
    if info is not None and not force:
        raise OutputError(f"{p}: already exists and may hold a reader's edits; it is kept. Use "
                          f"--force to replace it, {elsewhere}")
    folder = _folder(p)
    try:
        folder_info = os.stat(folder)
    except OSError as exc:
        raise OutputError(f"{p}: cannot be written: the folder {folder} "
                          f"{'does not exist' if exc.errno == errno.ENOENT else reason(exc)}"
                          ) from None
    if not stat.S_ISDIR(folder_info.st_mode):
        raise OutputError(f"{p}: cannot be written: {folder} is not a folder")
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    if len(os.fsencode(p.name)) > longest:
        raise OutputError(f"{p}: cannot be written: the name is longer than the file system "
                          f"allows ({longest} bytes)")


@dataclass
class _Pending:
    path: Path
    temp: Path


class Outputs:
    """The output files of one command, put in place all together or not at all.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with Outputs(force=False) as outputs:
    ...     outputs.add(folder / "a.txt", lambda temp: temp.write_text("a"))
    ...     outputs.add(folder / "b.txt", lambda temp: temp.write_text("b"))
    ...     outputs.commit()
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self, force: bool):
        self.force = force
        self.pending: list[_Pending] = []

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove every temporary file not yet put in place."""
        for item in self.pending:
            _remove(item.temp)
        self.pending.clear()

    @staticmethod
    def same(a: Path, b: Path) -> bool:
        """Whether two output paths name one file."""
        return _same(a, b)

    def add(self, path: str | Path, write: Callable[[Path], None], **hint: str) -> None:
        """Write one output through ``write(temporary_path)``; it is put in place by
        :meth:`commit`."""
        p = Path(path)
        if any(_same(p, item.path) for item in self.pending):
            raise OutputError(f"{p}: is named for two outputs of this command; give each its own "
                              "file")
        check_writable(p, self.force, **hint)
        with _signals_held():  # a signal between creating the file and noting it would leave it
            temp = _temporary(p)
            self.pending.append(_Pending(p, temp))
        try:
            write(temp)
        except (OutputError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if not _is_os_error(exc):
                raise
            raise OutputError(f"{p}: cannot be written: {reason(exc)}") from None

    def commit(self) -> None:
        """Put every output in place; if one cannot be, take back those already placed."""
        placed: list[tuple[Path, Path | None]] = []  # (output, backup of what it replaced)
        try:
            for item in self.pending:
                with _signals_held():  # placed and noted as one step, so it can be taken back
                    placed.append((item.path, _place(item.temp, item.path, self.force)))
        except BaseException:
            for path, backup in reversed(placed):
                if backup is None:
                    _remove(path)
                else:
                    os.replace(backup, path)
            raise
        finally:
            self.discard()
        for _, backup in placed:
            if backup is not None:
                _remove(backup)


_HELD = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
              if hasattr(signal, name))


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP for a few system calls that must not be parted (a
    file made and noted for removal); a signal that came meanwhile is acted on right after."""
    if not hasattr(signal, "pthread_sigmask"):  # not on Windows: nothing to hold
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _same(a: Path, b: Path) -> bool:
    """Whether two output paths name one file (``out.json`` and ``./out.json``, or two links)."""
    def where(p: Path) -> str:
        return os.path.join(os.path.realpath(_folder(p)), p.name)

    return where(a) == where(b)


def _is_os_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _temporary(p: Path) -> Path:
    """A new, empty file beside ``p``; its mode is what the umask makes of 0666."""
    folder = _folder(p)
    for _ in range(100):
        temp = folder / f".labfinance-{secrets.token_hex(6)}.tmp"
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{p}: cannot be written: {reason(exc)}") from None
        os.close(handle)
        return temp
    raise OutputError(f"{p}: cannot be written: no free temporary name in {folder}")


def _place(temp: Path, target: Path, force: bool) -> Path | None:
    """Move ``temp`` to ``target``; returns a backup of what it replaced (``--force``), else None.

    A new name is taken with a hard link, which fails where the name exists: nothing that appeared
    since the check is replaced. Where the file system has no hard links, the name is first
    created exclusively and then replaced by the output.
    """
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is None:
        try:
            os.link(temp, target, follow_symlinks=False)
        except FileExistsError:
            raise OutputError(f"{target}: appeared while labfinance was working (another run?); "
                              "it is kept. Use --force to replace it") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK,
                                 errno.ENOSYS):
                raise OutputError(f"{target}: cannot be written: {reason(exc)}") from None
            _claim(target)
            os.replace(temp, target)
            return None
        _remove(temp)
        return None
    check_writable(target, force)  # what is there now: a regular file, and --force given
    backup = _temporary(target)
    try:
        os.replace(target, backup)  # kept until every output is in place, to take back on failure
        if not stat.S_ISREG(os.lstat(backup).st_mode):  # swapped for a device meanwhile
            os.replace(backup, target)
            check_writable(target, force)
        os.replace(temp, target)
    except OSError as exc:
        if not os.path.lexists(target) and os.path.lexists(backup):
            os.replace(backup, target)
        _remove(backup)
        raise OutputError(f"{target}: cannot be written: {reason(exc)}") from None
    return backup


def _claim(target: Path) -> None:
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666))
    except FileExistsError:
        raise OutputError(f"{target}: appeared while labfinance was working (another run?); it "
                          "is kept. Use --force to replace it") from None
    except OSError as exc:
        raise OutputError(f"{target}: cannot be written: {reason(exc)}") from None


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:  # nothing more can be done; the file is hidden and named as labfinance's
        pass


def write_atomically(path: str | Path, write: Callable[[Path], None], force: bool,
                     **hint: str) -> None:
    """Write one output through ``write(temporary_path)`` and put it in place."""
    with Outputs(force) as outputs:
        outputs.add(path, write, **hint)
        outputs.commit()


def write_text(path: str | Path, text: str, force: bool, **hint: str) -> None:
    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    write_atomically(path, write, force, **hint)
