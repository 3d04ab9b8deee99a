"""Which inbox files are ready: watchdog events, a startup scan, periodic rescans, and settling.

A file is ready when it was closed after writing or moved in (inotify close-write / moved-to: at once),
or, where no such event exists (polling, a scan), when its size and mtime have been stable for
`settle_seconds`. A file whose creation we saw under inotify waits for its close event, with a long
settle as a fallback for writers that never close (or link() into the inbox).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver

from archiver.inbox import Inbox

log = logging.getLogger("archiver.watcher")

CREATED_FALLBACK_SETTLE = 10.0


class Readiness:
    """Files seen but not yet ready, checked for stability on every `tick`."""

    def __init__(self, inbox: Inbox, settle_seconds: float, on_ready: Callable[[Path], None]) -> None:
        self.inbox = inbox
        self.settle_seconds = settle_seconds
        self.on_ready = on_ready
        self._pending: dict[Path, tuple[int, int, float, float]] = {}  # size, mtime_ns, since, settle
        self._lock = threading.Lock()

    def ready_now(self, path: Path) -> None:
        with self._lock:
            self._pending.pop(path, None)
        self.on_ready(path)

    def watch(self, path: Path, settle: float | None = None) -> None:
        """Take `path` once it has been stable for `settle` seconds (default settle_seconds)."""
        settle = self.settle_seconds if settle is None else settle
        try:
            info = os.lstat(path)
        except OSError:
            return
        now = time.time()
        if settle <= 0 or (now - info.st_mtime >= settle and now - info.st_ctime >= settle):
            self.ready_now(path)
            return
        with self._lock:
            old = self._pending.get(path)
            if old is None or (old[0], old[1]) != (info.st_size, info.st_mtime_ns):
                self._pending[path] = (info.st_size, info.st_mtime_ns, time.monotonic(), settle)

    def retry(self, path: Path) -> None:
        """Take `path` again on the next tick (a file put back after its worker died). Never blocks, so
        the pool's own threads may call it."""
        try:
            info = os.lstat(path)
        except OSError:
            return
        with self._lock:
            self._pending[path] = (info.st_size, info.st_mtime_ns, time.monotonic(), 0.0)

    def tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            items = list(self._pending.items())
        for path, (size, mtime_ns, since, settle) in items:
            try:
                info = os.lstat(path)
            except OSError:
                with self._lock:
                    self._pending.pop(path, None)
                continue
            if (info.st_size, info.st_mtime_ns) != (size, mtime_ns):
                with self._lock:
                    self._pending[path] = (info.st_size, info.st_mtime_ns, now, settle)
            elif now - since >= settle:
                self.ready_now(path)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


class InboxEventHandler(FileSystemEventHandler):
    def __init__(self, inbox: Inbox, readiness: Readiness, *, polling: bool, rescan: Callable[[Path], None]) -> None:
        self.inbox = inbox
        self.readiness = readiness
        self.polling = polling
        self.rescan = rescan

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._dispatch(event)
        except Exception:
            log.exception("error handling %r", event)

    def _dispatch(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileMovedEvent):
            dest = Path(os.fsdecode(event.dest_path)) if event.dest_path else None
            if dest is not None and self.inbox.wants(dest):
                self.readiness.ready_now(dest)
        elif isinstance(event, DirMovedEvent | DirCreatedEvent):
            where = event.dest_path if isinstance(event, DirMovedEvent) and event.dest_path else event.src_path
            folder = Path(os.fsdecode(where))
            if self.inbox.relative(folder) is not None:
                self.rescan(folder)
        elif isinstance(event, FileClosedEvent):
            path = Path(os.fsdecode(event.src_path))
            if self.inbox.wants(path):
                self.readiness.ready_now(path)
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
            path = Path(os.fsdecode(event.src_path))
            if _is_special(path) and self.inbox.relative(path) is not None:
                self.readiness.ready_now(path)  # links, FIFOs, devices are never written to: report them now
            elif self.inbox.wants(path):
                settle = None if self.polling else max(self.readiness.settle_seconds, CREATED_FALLBACK_SETTLE)
                self.readiness.watch(path, settle)


def _is_special(path: Path) -> bool:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def make_observer(inbox: Inbox, handler: InboxEventHandler, *, polling: bool) -> BaseObserver:
    if polling:
        from watchdog.observers.polling import PollingObserver

        observer: BaseObserver = PollingObserver(timeout=1.0)
    else:
        from watchdog.observers.inotify import InotifyObserver

        observer = InotifyObserver(generate_full_events=True)
    observer.schedule(handler, str(inbox.root), recursive=True)
    return observer
