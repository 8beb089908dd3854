"""The slow step of signing, for many credentials at once: the Data Integrity proof's RDF
canonicalization, in worker processes.

A group award signs hundreds of credentials in a row, and about 3 ms of each credential's
5–6 ms goes to canonicalizing it (pure Python, so threads would take turns on the GIL).
`HashingPool` hands that step to processes of their own: a credential's document and its proof
options go to a worker, which returns the 64 bytes to sign. The keys never leave this process:
the signature is made here (`dataintegrity.sign_hashed`). Decision 0014 ("Later").

The pool is started when a coach opens the group award form (`warm`), or else when the first
group award needs it (spawned, not forked: the web process runs threads), and stopped with
the job worker. Until its workers have started, batches are hashed in the caller's thread: a
chunk's transaction never waits for their start. If a worker fails or the pool cannot start,
the chunk is hashed here instead: the result is the same, only slower. A document that fails
canonicalization is hashed again here, so that its error is raised with its own type.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from app.config import Settings
from app.credentials.documents import context_loader, document_loader
from app.vc.dataintegrity import hash_data

log = logging.getLogger(__name__)

# (document, proof options) -> the bytes to sign, for each pair in order.
HashMany = Callable[[Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]], Iterable[bytes]]
# Hand-outs per worker and call: results come back in that many pieces.
TASKS_PER_PROCESS = 4

# Workers run at a lower priority than the web process and the database.
WORKER_NICENESS = 10
# Set in each worker process by _start_worker.
_worker_loader: Any = None
# How often a worker looks whether the process that started it is still there.
PARENT_CHECK_SECONDS = 1.0


def hash_here(
    loader: Any, items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
) -> list[bytes]:
    """The bytes to sign of each (document, proof options), computed in this thread."""
    return [hash_data(doc, proof, document_loader=loader).data_to_sign for doc, proof in items]


def _start_worker(contexts_dir: Path | None, cache_dir: Path, parent: int, niceness: int) -> None:
    global _worker_loader
    # Started niced already on Linux (_start_processes); elsewhere niced here.
    os.nice(max(0, niceness - os.nice(0)))
    _worker_loader = context_loader(contexts_dir, cache_dir)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker ends when the process that started it is gone: a web process killed without
    shutting its pool down (SIGKILL, the out-of-memory killer) would otherwise leave its
    workers waiting for work forever."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _hash_in_worker(item: tuple[Mapping[str, Any], Mapping[str, Any]]) -> bytes | None:
    """Runs in a worker: the bytes to sign, or None when the document does not canonicalize
    (its error is raised again where it is hashed in the caller's process)."""
    document, proof = item
    try:
        return hash_data(document, proof, document_loader=_worker_loader).data_to_sign
    except Exception:
        return None


def _start_processes(executor: ProcessPoolExecutor, processes: int) -> list[Future[bool]]:
    """Start the workers from a thread of their own niceness. On Linux a thread's nice value
    is its own and a process started from it inherits it, so a worker's start (its imports,
    about a second and a half here) already gives way to the web process; elsewhere the
    workers nice themselves once started. `submit` starts a process while none is idle.
    The executor's own threads in this process (the one that hands out work and collects
    results, and its queue's feeder) are started here too and inherit the niceness: they
    give way to the web requests and the job thread, as the workers do."""

    started: list[Future[bool]] = []

    def start() -> None:
        if sys.platform == "linux":
            os.nice(WORKER_NICENESS)  # this thread only
        try:
            for _ in range(processes):
                started.append(executor.submit(_ready))
        except Exception as exc:  # the next use finds the pool broken and hashes here
            log.warning("could not start hashing processes (%s)", type(exc).__name__)

    thread = threading.Thread(target=start, name="hashing-start")
    thread.start()
    thread.join()
    return started


def _ready() -> bool:
    """Runs in a worker: nothing (`HashingPool.warm` submits it to start the workers)."""
    return True


def default_processes() -> int:
    """One worker per CPU; none on a machine with one (it would only add the hand-off)."""
    cpus = os.cpu_count() or 1
    return cpus if cpus > 1 else 0


class HashingPool:
    """A `HashMany` that canonicalizes in worker processes: `processes` of them, by default
    JOB_HASHING_PROCESSES or one per CPU (default_processes)."""

    def __init__(self, settings: Settings, processes: int | None = None) -> None:
        self._settings = settings
        if processes is None:
            processes = settings.job_hashing_processes
        self._processes = default_processes() if processes is None else processes
        self._executor: ProcessPoolExecutor | None = None
        # Done when each worker has started (imported the program, made its loader).
        self._started: list[Future[bool]] = []
        self._lock = threading.Lock()
        self._closed = False
        # How many documents the workers hashed (a fallback hashes here and does not count).
        self.hashed_in_workers = 0

    def __call__(
        self, items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
    ) -> Iterator[bytes]:
        loader = document_loader(self._settings)
        executor = self._running()
        if executor is None or len(items) < 2 or not self.ready():
            # While the workers start, the batch is hashed here: a group award's chunk
            # holds its transaction (on SQLite the write lock) and must not wait for the
            # workers' imports, which take seconds on a busy machine.
            return iter(hash_here(loader, items))
        return self._hashed(executor, loader, items)

    def ready(self) -> bool:
        """Whether the workers have started (a failed start counts: the next use finds the
        pool broken and hashes here)."""
        with self._lock:
            if self._executor is None:
                return False
            started = list(self._started)
        return all(f.done() for f in started)

    def wait_ready(self, timeout: float) -> bool:
        """Start the workers and wait until they have started, at most `timeout` seconds."""
        self.warm()
        with self._lock:
            started = list(self._started)
        wait(started, timeout=timeout)
        return self.ready()

    def warm(self) -> None:
        """Start the workers now, without waiting for them: a spawned worker imports the
        program and the contexts before it can hash (about a second and a half here, more on
        a busy machine); until then the chunks are hashed in the job's own thread. Called
        when a coach opens the group award form."""
        self._running()

    def _hashed(
        self,
        executor: ProcessPoolExecutor,
        loader: Any,
        items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    ) -> Iterator[bytes]:
        """The results in order, each as soon as it is ready: the workers start at once (the
        caller can do other work meanwhile), and the caller signs the first credentials
        while they still canonicalize the rest (hence small hand-outs)."""
        per_task = math.ceil(len(items) / (self._processes * TASKS_PER_PROCESS))
        try:
            results = executor.map(_hash_in_worker, items, chunksize=per_task)
        except Exception as exc:  # the pool broke or was shut down meanwhile
            log.warning("hashing processes failed (%s); hashing here", type(exc).__name__)
            self._discard(executor)
            return iter(hash_here(loader, items))
        return self._collected(executor, loader, items, results)

    def _collected(
        self,
        executor: ProcessPoolExecutor,
        loader: Any,
        items: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
        results: Iterator[bytes | None],
    ) -> Iterator[bytes]:
        for done, item in enumerate(items):
            try:
                hashed = next(results)
            except Exception as exc:  # a worker died, or the pool was shut down meanwhile
                log.warning("hashing processes failed (%s); hashing here", type(exc).__name__)
                self._discard(executor)
                yield from hash_here(loader, items[done:])
                return
            if hashed is None:
                yield hash_here(loader, [item])[0]
            else:
                self.hashed_in_workers += 1
                yield hashed

    def _running(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._closed or self._processes < 1:
                return None
            if self._executor is None:
                try:
                    self._executor = ProcessPoolExecutor(
                        max_workers=self._processes,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_start_worker,
                        initargs=(
                            self._settings.contexts_dir,
                            self._settings.context_cache_dir,
                            os.getpid(),
                            min(os.nice(0) + WORKER_NICENESS, 19),
                        ),
                    )
                except OSError as exc:
                    log.warning("could not start hashing processes (%s)", exc)
                    return None
                self._started = _start_processes(self._executor, self._processes)
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (waiting for the current hand-out to finish)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
