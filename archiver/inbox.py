"""The inbox side of the file lifecycle: what is taken, claiming, safe reading, failed/, returning claims.

A file is claimed by renaming it into this daemon's hidden claim folder before it is read, so that
several daemons can share one inbox and a crash leaves every file either in the inbox or in a claim
folder, from where it goes back. Nothing here follows a symbolic link or opens a non-regular file.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import socket
import stat
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archiver.errors import FileRejected

log = logging.getLogger("archiver.inbox")

CLAIM_DIR_NAME = ".archiver-claims"  # in the inbox: each daemon's claim folder is below it
TAKEN_SUFFIXES = frozenset({".txt", ".text", ".md"})
TEMPORARY_SUFFIXES = (".tmp", ".part", ".crdownload", ".swp", ".partial", ".download")
SIDECAR_SUFFIX = ".meta.json"
NAME_MAX = 255
ERROR_SUFFIX = ".error.json"
HEARTBEAT_FILE = ".heartbeat"
LOCK_FILE = ".lock"


def is_hidden(name: str) -> bool:
    return name.startswith(".")


def is_temporary(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(TEMPORARY_SUFFIXES) or name.endswith("~") or name.startswith("~$")


def is_taken_name(name: str) -> bool:
    """Names archiver takes: *.txt, *.text, *.md in any case, not hidden, not a temporary download."""
    if is_hidden(name) or is_temporary(name):
        return False
    return os.path.splitext(name)[1].lower() in TAKEN_SUFFIXES


@dataclass(frozen=True)
class Claim:
    """A file taken out of the inbox into a claim folder, remembering where it came from."""

    path: Path  # where it is now, inside the claim folder
    relative: str  # its path relative to the inbox, with '/' separators
    # Its NAME.meta.json in the inbox when it was claimed: the one read with it and removed with it. One
    # written after the claim was not read: it stays in the inbox rather than vanish unapplied.
    sidecar: Path | None = None

    @property
    def file_name(self) -> str:
        return self.relative.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.relative.rsplit("/", 1)[0] if "/" in self.relative else ""

    @property
    def source(self) -> str | None:
        """The inbox's first-level sub-folder names the source: inbox/<source>/..."""
        return self.relative.split("/", 1)[0] if "/" in self.relative else None


@dataclass(frozen=True)
class FileBytes:
    data: bytes
    size: int
    mtime_ns: int


class Inbox:
    """One daemon's view of the inbox and of failed/."""

    def __init__(self, root: Path, failed_dir: Path, *, claim_timeout: float = 300.0) -> None:
        self.root = Path(os.path.abspath(root))
        self._root_prefix = str(self.root).rstrip(os.sep) + os.sep
        self.failed_dir = Path(os.path.abspath(failed_dir))
        if self.failed_dir == self.root or self.root in self.failed_dir.parents:
            from archiver.errors import ConfigError

            raise ConfigError(f"failed_dir {failed_dir} must not be inside the inbox {root}")
        self.claim_timeout = claim_timeout
        self.claims_root = self.root / CLAIM_DIR_NAME
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.claim_dir = self.claims_root / self.owner
        self._lock_fd: int | None = None
        self._warned_suffixes: set[str] = set()
        # Our claims not yet ended, per claim sub-folder: a folder is pruned when its last one ends. Trying
        # rmdir after every file (it fails while the folder holds others) was a tenth of the daemon's time.
        self._open_claims: Counter[Path] = Counter()
        self._open_claims_lock = threading.Lock()

    # ------------------------------------------------------------------ start and stop

    def open(self) -> None:
        """Create the folders and this daemon's claim folder, held by an flock for as long as we live."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        self.claim_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.claim_dir / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.heartbeat()

    def close(self) -> None:
        """Return whatever is still claimed and remove the claim folder."""
        self._return_claims_of(self.claim_dir)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        shutil.rmtree(self.claim_dir, ignore_errors=True)

    def heartbeat(self) -> None:
        (self.claim_dir / HEARTBEAT_FILE).touch()

    # ------------------------------------------------------------------ what to take

    def relative(self, path: Path) -> str | None:
        """`path` relative to the inbox, or None when it is outside, hidden, or in the claim folder."""
        # Plain string work: this runs several times per file, and pathlib's parsing showed in profiles.
        full = os.path.abspath(path)
        if not full.startswith(self._root_prefix):
            return None
        parts = full[len(self._root_prefix) :].split(os.sep)
        if not parts[0] or any(is_hidden(p) for p in parts):
            return None
        return "/".join(parts)

    def wants(self, path: Path) -> bool:
        """Whether an event's path may be a file to take (cheap: the name only; lstat comes later)."""
        rel = self.relative(path)
        if rel is None:
            return False
        name = rel.rsplit("/", 1)[-1]
        if is_taken_name(name):
            return True
        suffix = os.path.splitext(name)[1].lower()
        if (
            suffix
            and not is_temporary(name)
            and not name.endswith(SIDECAR_SUFFIX)
            and suffix not in self._warned_suffixes
        ):
            self._warned_suffixes.add(suffix)
            log.info("ignoring files named *%s (not a kind archiver takes), e.g. %s", suffix, rel)
        return False

    def scan(self, start: Path | None = None) -> Iterator[Path]:
        """Every candidate below the inbox: taken names, and links, FIFOs and devices (which go to failed/).

        Never descends into a symlinked folder, a hidden folder or the claim folder.
        """
        stack = [start or self.root]
        while stack:
            folder = stack.pop()
            try:
                # Read lazily: a folder of 100k files listed at once held ~20 MB for the whole walk. Files
                # claimed meanwhile may or may not be listed; every other entry is, exactly once (POSIX).
                with os.scandir(folder) as entries:
                    for entry in entries:
                        found = self._candidate(entry, stack)
                        if found is not None:
                            yield found
            except OSError as exc:
                log.warning("cannot list %s: %s", folder, exc.strerror)

    def _candidate(self, entry: os.DirEntry[str], folders: list[Path]) -> Path | None:
        """The entry if it is a file to take; a sub-folder goes on `folders` to be walked later."""
        if is_hidden(entry.name):
            return None
        try:
            if entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                path = Path(entry.path)
                if self.wants(path):
                    return path
            elif not is_temporary(entry.name):
                return Path(entry.path)  # a link, FIFO, socket or device: reported, moved to failed/
        except OSError:
            pass
        return None

    # ------------------------------------------------------------------ claiming and reading

    def claim(self, path: Path) -> Claim | None:
        """Rename `path` into our claim folder; None if another worker or daemon took it first."""
        rel = self.relative(path)
        if rel is None:
            return None
        target = self.claim_dir / rel
        try:
            os.rename(path, target)
        except FileNotFoundError:
            if not os.path.lexists(path):
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(path, target)
            except FileNotFoundError:
                return None
        except IsADirectoryError:
            return None  # a folder named x.txt is a folder: it is walked, never taken
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
                return None
            raise
        with self._open_claims_lock:
            self._open_claims[target.parent] += 1
        return Claim(target, rel, self._sidecar_of(rel))

    def _sidecar_of(self, relative: str) -> Path | None:
        """NAME.meta.json (or NAME-without-extension.meta.json) beside the file in the inbox, if regular."""
        base = self._root_prefix + relative
        stem, suffix = os.path.splitext(base)
        candidates = [base + SIDECAR_SUFFIX] + ([stem + SIDECAR_SUFFIX] if suffix else [])
        for candidate in candidates:
            try:
                if stat.S_ISREG(os.lstat(candidate).st_mode):
                    return Path(candidate)
            except OSError:
                continue
        return None

    # ------------------------------------------------------------------ endings

    def finish(self, claim: Claim) -> None:
        """The file is archived (its batch committed): remove it, and its sidecar."""
        try:
            os.unlink(claim.path)
        except FileNotFoundError:
            pass
        if claim.sidecar is not None:
            try:
                os.unlink(claim.sidecar)
            except OSError:
                pass
        self._ended(claim)

    def release(self, claim: Claim) -> None:
        """Put a claimed file back into the inbox (shutdown, database down); never overwrites a newer file."""
        _move_back(claim.path, self.root / claim.relative)
        self._ended(claim)

    def fail(self, claim: Claim, code: str, reason: str, *, traceback_id: str | None = None) -> Path:
        """Move a claimed file to failed/<relative path> beside <name>.error.json. Returns where it went."""
        target = self._free_failed_name(claim.relative)
        report_path = target.parent / (target.name + ERROR_SUFFIX)
        report = {
            "reason": reason,
            "code": code,
            "original_path": claim.relative,
            "failed_at": datetime.now(UTC).isoformat(),
            "traceback_id": traceback_id,
            "daemon": self.owner,
        }
        target.parent.mkdir(parents=True, exist_ok=True)
        renamed = True
        try:
            os.rename(claim.path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            renamed = False
            try:
                _copy(claim.path, target)
            except OSError:
                _remove(target)  # a full disk: no partial copy is left behind in failed/
                raise
        try:
            report_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        except OSError:
            # Never a file in failed/ without its reason: undo, the caller gives the file back to the inbox.
            _remove(report_path)
            if renamed:
                os.rename(target, claim.path)
            else:
                _remove(target)
            raise
        if not renamed:
            os.unlink(claim.path)
        self._ended(claim)
        return target

    def _free_failed_name(self, relative: str) -> Path:
        folder, _, name = relative.rpartition("/")
        parent = self.failed_dir / folder if folder else self.failed_dir
        stem, suffix = os.path.splitext(name)
        for n in range(0, 100_000):
            tag = f".{n}" if n else ""
            room = NAME_MAX - len(ERROR_SUFFIX.encode()) - len((tag + suffix).encode())
            short = _truncate_utf8(stem, room)
            candidate = parent / f"{short}{tag}{suffix}"
            if not os.path.lexists(candidate) and not os.path.lexists(str(candidate) + ERROR_SUFFIX):
                return candidate
        raise FileRejected("failed_dir_full", f"no free name in {parent} for {name}")

    def failed_count(self) -> int:
        count = 0
        for _folder, _dirs, files in os.walk(self.failed_dir):
            count += sum(1 for f in files if f.endswith(ERROR_SUFFIX))
        return count

    # ------------------------------------------------------------------ recovering claims

    def recover_claims(self) -> int:
        """Return the claims of daemons that are gone: flock free (same host) or heartbeat older than the timeout."""
        returned = 0
        try:
            folders = [p for p in self.claims_root.iterdir() if p.is_dir() and p != self.claim_dir]
        except FileNotFoundError:
            return 0
        for folder in folders:
            if self._owner_is_alive(folder):
                continue
            returned += self._return_claims_of(folder)
            shutil.rmtree(folder, ignore_errors=True)
        return returned

    def _owner_is_alive(self, folder: Path) -> bool:
        lock = folder / LOCK_FILE
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            fd = None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:  # held: alive, unless its heartbeat is stale (a hung daemon, or a lock on a network share)
                    age = time.time() - (folder / HEARTBEAT_FILE).stat().st_mtime
                except FileNotFoundError:
                    age = 0.0
                return age < self.claim_timeout
            finally:
                os.close(fd)
            return False
        return False

    def _return_claims_of(self, folder: Path) -> int:
        returned = 0
        for current, _dirs, files in os.walk(folder):
            for name in files:
                if current == str(folder) and name in (LOCK_FILE, HEARTBEAT_FILE):
                    continue
                source = Path(current) / name
                rel = source.relative_to(folder)
                _move_back(source, self.root / rel)
                returned += 1
        if returned:
            log.info("returned %d claimed file(s) from %s to the inbox", returned, folder.name)
        return returned

    def _ended(self, claim: Claim) -> None:
        """The claim has left its folder: prune the folder if no other claim of ours is left in it."""
        folder = claim.path.parent
        with self._open_claims_lock:
            left = self._open_claims[folder] - 1
            if left > 0:
                self._open_claims[folder] = left
                return
            self._open_claims.pop(folder, None)
        self._prune(folder)

    def _prune(self, folder: Path) -> None:
        """Remove emptied sub-folders of our claim folder (never the claim folder itself)."""
        while folder != self.claim_dir and self.claim_dir in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def read_file(path: Path, max_bytes: int) -> FileBytes:
    """Read a file once, refusing anything that is not a regular file, without following links or blocking."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise FileRejected("unreadable", "the file disappeared before it could be read") from None
    except OSError as exc:
        raise FileRejected("unreadable", f"cannot look at the file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileRejected("not_regular", f"not a regular file ({_kind(info.st_mode)}); never followed or read")
    if info.st_size > max_bytes:
        raise FileRejected("too_large", f"the file has {info.st_size} bytes, more than max_file_bytes={max_bytes}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        code = "not_regular" if exc.errno == errno.ELOOP else "unreadable"
        raise FileRejected(code, f"cannot open the file: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise FileRejected("not_regular", f"not a regular file ({_kind(opened.st_mode)})")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise FileRejected("unreadable", f"cannot read the file: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileRejected("too_large", f"the file has more than max_file_bytes={max_bytes} bytes")
    return FileBytes(data, len(data), opened.st_mtime_ns)


def _move_back(source: Path, target: Path) -> None:
    """Move without ever replacing a file: link then unlink; a taken name gets a numeric suffix."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = target, 0
    while True:
        try:
            if os.path.islink(source) or not os.path.isfile(source):
                if os.path.lexists(candidate):
                    raise FileExistsError
                os.rename(source, candidate)
            else:
                os.link(source, candidate, follow_symlinks=False)
                os.unlink(source)
            return
        except FileExistsError:
            n += 1
            candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
        except FileNotFoundError:
            return


def _copy(source: Path, target: Path) -> None:
    """Copy across file systems; a link is copied as a link, never followed."""
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
    else:
        shutil.copy2(source, target, follow_symlinks=False)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8", "surrogateescape")
    if len(encoded) <= limit:
        return text
    return encoded[: max(1, limit)].decode("utf-8", "ignore") or "file"


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"
