"""CPython's cyclic garbage collector, tuned for ncert's long-lived and bulk processes.

Requests, feed pulls and bursts of intake allocate many short-lived, acyclic objects (ORM rows,
dicts, parsed JSON), and with CPython's default thresholds (700, 10, 10) the collector's full
passes walk again and again the quarter of a million objects start-up built (the libraries, the
app, the models), for nothing: about a fifth of a burst through the playbooks and detection
(issue 13, bench/playbooks_throughput.py). After start-up, what exists is frozen out of its passes
(``gc.freeze``) and young objects are collected less often. A frozen object is never collected,
so this is for a process's start, not for every runtime a test builds."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 20)  # CPython's default is (700, 10, 10)


def settle() -> None:
    """For the rest of a long-lived process (``ncert serve``, ``ncert worker``), once it has started."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def bulk() -> Iterator[None]:
    """The same tuning for a bulk job's duration (``ncert import``), as it was after."""
    thresholds = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
