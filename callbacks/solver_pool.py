"""Processes that run the route solver for one server process, so that OR-Tools' search does not stall its threads.

OR-Tools holds Python's interpreter lock for its whole search (until ``[route] patience_s``
passes without improvement, at most ``time_limit_s``). Run in a request thread, it froze
every other request of that server process meanwhile: in the load test, one plan every
few seconds pushed the drill-down's slowest percent past a second. Each server process starts its pool on its first plan
(after gunicorn has forked it), with the ``spawn`` start method: forking a process that
runs threads is unsafe.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor


class SolverPool:
    """A lazily started process pool of ``processes`` solvers (0: solve in the calling thread)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._pid = -1

    def executor(self) -> Executor | None:
        """The pool of the calling process, started on first use; None when solving in-process."""
        if self.processes <= 0:
            return None
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context)
                self._pid = os.getpid()
            return self._pool
