"""Imported once by the forkserver that starts pipeline workers: the pipeline's modules, rules and
language model are loaded there, so every worker forks with them ready (copy-on-write) instead of
spending most of a second loading them itself, and a daemon's first file or its exit waits for none.
"""

import gc

from archiver.worker import warm_up

warm_up()
gc.freeze()  # what is loaded now lives as long as the worker: out of the collector's sight (and its writes)
