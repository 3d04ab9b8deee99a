"""The forkserver that starts pipeline workers, in a module the command line can import at once.

`archiver run` starts it before importing the daemon: the forkserver loads the pipeline (archiver.warm,
about a second) on the other core while the daemon imports its own modules and opens the database,
instead of after them.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


def pool_context() -> Any:
    """Workers come from a forkserver (forking the threaded daemon itself is unsafe) that has loaded
    the pipeline once (archiver.warm)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["archiver.warm"])
    return context


def start_forkserver() -> None:
    """Start the forkserver now (it loads the pipeline while the daemon connects to its database),
    so that creating the pool later does not wait for it."""
    from multiprocessing import forkserver

    pool_context()
    forkserver.ensure_running()
