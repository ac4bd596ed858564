"""Files written so that nothing is ever half-written or lost: atomic replacement, names that
never overwrite an earlier file, the lock files Excel and LibreOffice keep beside a workbook they
have open, and the writer lock that makes two actionplan commands take turns on one master."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from workbook.errors import MasterError

if TYPE_CHECKING:
    from openpyxl import Workbook


def free_path(path: Path, taken: Collection[Path] = ()) -> Path:
    """`path`, or `name (2).ext`, `name (3).ext`... : the first that is neither on disk nor in
    `taken`, so a file written there never replaces an earlier one."""
    candidate, n = path, 2
    while candidate.exists() or candidate in taken:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def lock_files(name: str) -> tuple[str, str]:
    """The names of the lock files Excel (`~$name`) and LibreOffice (`.~lock.name#`) keep beside
    a workbook called `name` while it is open."""
    return f"~${name}", f".~lock.{name}#"


def is_lock_file(name: str) -> bool:
    """Whether `name` is such a lock file (of any workbook)."""
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def open_lock(path: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open, if there is one:
    their next save would overwrite anything written meanwhile."""
    real = through_links(path)
    for place in dict.fromkeys((Path(path), real)):  # beside the link and beside its target
        for name in lock_files(place.name):
            lock = place.with_name(name)
            if lock.exists():
                return lock
    return None


def save_atomically(wb: Workbook, path: Path) -> None:
    """Save `wb` to `path` so that readers see either the old file or the whole new one (see
    `write_atomically`)."""
    write_atomically(path, wb.save)


def write_atomically(
    path: Path,
    write: Callable[[BinaryIO], object],
    *,
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Replace `path` with what `write` writes to the file object it is given, so that readers see
    either the old file or the whole new one.

    The temporary file sits in the target's folder (os.replace cannot cross file systems), is
    flushed to disk before it replaces the target, and is removed if anything fails. It starts with
    '.' rather than '~$' because '~$' marks an Excel lock file. `before_replace` runs at the last
    moment before the target is replaced (a check that it has not changed); if it raises, the
    target is left as it is. A path that is a symbolic link is written through: the file it
    points to is replaced, and the link stays a link.
    """
    path = through_links(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    mode = _target_mode(path)
    # os.open with 0o666 lets the umask decide, as for any new file; mkstemp would force 0o600
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_new_files(jobs: Sequence[tuple[Path, Callable[[BinaryIO], object]]]) -> None:
    """Write several files, each as `write_atomically` would - a temporary file flushed to disk,
    then renamed into place, its folder flushed - with the waits for the disk taken together:
    every temporary file is written first, their flushes run at once, then each is renamed and
    each folder flushed once. A batch of copies waits for the disk once rather than twice a file.
    If anything fails, no temporary file is left and no file of the batch has been put in place."""
    temps: list[tuple[Path, Path, int | None]] = []
    try:
        for path, write in jobs:
            path = through_links(path)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            temps.append((path, tmp, _target_mode(path)))
            with os.fdopen(fd, "wb") as fh:
                write(fh)
        with ThreadPoolExecutor(max_workers=min(8, len(temps) or 1)) as pool:
            list(pool.map(_fsync_file, [tmp for _, tmp, _ in temps]))
        for _, tmp, mode in temps:
            if mode is not None:
                os.chmod(tmp, mode)
    except BaseException:
        for _, tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for path, tmp, _ in temps:
        os.replace(tmp, path)
    for folder in dict.fromkeys(path.parent for path, _, _ in temps):
        _fsync_dir(folder)


def _fsync_file(path: Path) -> None:
    """Flush a file (or, on POSIX, a folder) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def through_links(path: Path) -> Path:
    """`path`, or the file it points to when it is a symbolic link (a master kept behind a link
    on a shared drive is written, locked and backed up where it really is)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(path: Path, *, what: str = "the master") -> None:
    """Refuse, in one line, a file that is marked read-only or that this user may not change, or
    whose folder does not let it be replaced - before anything is written."""
    real = through_links(path)
    try:
        mode = real.stat().st_mode
    except OSError as e:
        raise MasterError(f"cannot read {path} ({e.strerror}); check the path") from e
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real, os.W_OK):
        raise MasterError(
            f"{path} is read-only, so {what} cannot be changed; clear its read-only mark (or ask "
            "for permission to change it) and run again - nothing was written"
        )
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise MasterError(
            f"the folder {real.parent} does not let {path.name} be replaced; ask for permission "
            "to change files there, or work on a copy elsewhere - nothing was written"
        )


def _target_mode(path: Path) -> int | None:
    """Keep the permissions of the file being replaced (a shared master stays shared)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not possible on Windows, where it is not needed."""
    if os.name == "posix":
        _fsync_file(folder)


#: How long a command waits for another actionplan command writing the same master.
WRITER_WAIT_SECONDS = 60.0


@contextlib.contextmanager
def writer_lock(
    master: Path,
    *,
    wait: float = WRITER_WAIT_SECONDS,
    on_locked: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the master for one writer from reading it to replacing it: a `watch` and a `merge`
    (or two owners on a shared drive) take turns instead of one refusing. The lock is an OS lock
    on a hidden file beside the master, released even if the process is killed; the file itself
    stays (deleting it would let two writers lock two different files). `on_locked` runs once the
    lock is held (the master's writers clear a killed writer's temp files then)."""
    real = through_links(master)
    lock_path = real.with_name(f".{real.name}.writer-lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        raise MasterError(
            f"cannot create {lock_path} ({e.strerror}); check you may write to {lock_path.parent}"
        ) from e
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise MasterError(
                    f"another actionplan command has been writing {master} for over {wait:g} s "
                    "(a watch or merge); try again when it has finished"
                )
            time.sleep(0.05)
        if on_locked is not None:
            on_locked()
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


_TEMP_FILE = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")


def remove_orphans(folder: Path, *, prefix: str = ".") -> None:
    """Remove `write_atomically`'s temp files (`.name.<8 hex>.tmp`) left in `folder` by a writer
    that was killed; call it only while holding the master's writer lock."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and _TEMP_FILE.match(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def check_not_open(
    path: Path, *, advice: str = "close it and run again - nothing was written"
) -> None:
    """Refuse to change a master that Excel or LibreOffice has open: their next save would
    overwrite the change (and Windows would not let us replace the file). `advice` is what the
    one-line error tells the owner to do."""
    if lock := open_lock(path):
        raise MasterError(f"{path} is open in Excel or LibreOffice ({lock.name} exists); {advice}")
