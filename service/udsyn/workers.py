"""Query workers: separate processes that run queries and can be stopped.

A query that runs past its time limit cannot be interrupted inside a thread, so the service
runs every query in a worker process with its own store handle (the embedded store opened
read-only, or the remote server). When a query overruns, its worker is killed and replaced;
the other workers go on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from udsyn.config import Settings
from udsyn.formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, by_name
from udsyn.store import Dataset, QueryFailed, StoreError, StoreUnavailable, open_store

_ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS + DATASET_FORMATS
_ERRORS: dict[str, type[StoreError]] = {
    "failed": QueryFailed,
    "unavailable": StoreUnavailable,
    "error": StoreError,
}


class QueryTimeout(StoreError):
    """A query ran longer than the service allows and was stopped."""


class ServiceBusy(StoreError):
    """Every worker stayed busy for longer than a request may wait."""


@dataclass(frozen=True)
class Job:
    """One query for a worker: its text, the answer format's name, and the dataset."""

    text: str
    format: str
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()
    max_rows: int | None = None


def _worker_main(connection: Connection, settings: Settings) -> None:
    """A worker's life: open the store once, then answer jobs until told to stop."""
    try:
        store = open_store(settings, read_only=True)
    except StoreError as error:
        connection.send(("unavailable", str(error)))
        return
    connection.send(("ready", b""))
    while True:
        try:
            job: Job | None = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        connection.send(_answer(store, job))


def _answer(store, job: Job) -> tuple[str, bytes | str]:
    try:
        dataset = Dataset(tuple(job.default_graphs), tuple(job.named_graphs))
        return "ok", store.query(job.text, by_name(job.format, _ALL_FORMATS), dataset,
                                 max_rows=job.max_rows)  # fmt: skip
    except QueryFailed as error:
        return "failed", str(error)
    except StoreUnavailable as error:
        return "unavailable", str(error)
    except StoreError as error:
        return "error", str(error)
    except Exception as error:  # a worker must answer, whatever happened
        return "error", f"the query failed: {type(error).__name__}: {error}"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: multiprocessing.context.BaseContext, settings: Settings):
        self.connection, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child_end, settings), daemon=True, name="udsyn-query"
        )
        self.process.start()
        child_end.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.connection.poll(timeout):
            self.stop()
            raise StoreUnavailable(f"a query worker did not start within {timeout:g} s")
        status, message = self.connection.recv()
        if status != "ready":
            self.stop()
            raise StoreUnavailable(str(message))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class WorkerPool:
    """A fixed number of query workers shared by the service's requests."""

    def __init__(self, settings: Settings, size: int | None = None) -> None:
        self.settings = settings
        self.size = max(1, size or settings.query_workers)
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[_Worker] = set()

    async def start(self) -> None:
        """Start every worker and wait until each has opened its store."""
        self._idle = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        workers = [_Worker(self._context, self.settings) for _ in range(self.size)]
        for worker in workers:
            await asyncio.to_thread(worker.wait_ready, 60)
            self._all.add(worker)
            self._idle.put_nowait(worker)

    def stop(self) -> None:
        for worker in list(self._all):
            with contextlib.suppress(OSError, ValueError):
                worker.connection.send(None)
            worker.stop()
        self._all.clear()

    async def run(self, job: Job, timeout: float | None = None) -> bytes:
        """The serialised answer to a job; raises the store's errors or :class:`QueryTimeout`."""
        assert self._idle is not None, "the pool has not been started"
        limit = self.settings.query_timeout if timeout is None else timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=limit)
        except TimeoutError:
            raise ServiceBusy(
                f"all {self.size} query workers stayed busy for {limit:g} s; try again later"
            ) from None
        try:
            status, payload = await asyncio.wait_for(self._exchange(worker, job), timeout=limit)
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped; "
                "narrow it down or add a LIMIT"
            ) from None
        except (EOFError, OSError, pickle.PickleError):
            self._replace(worker)
            raise StoreError(
                "the query worker stopped unexpectedly; the query was not answered"
            ) from None
        self._idle.put_nowait(worker)
        if status == "ok":
            return payload  # type: ignore[return-value]
        raise _ERRORS.get(status, StoreError)(str(payload))

    async def _exchange(self, worker: _Worker, job: Job) -> tuple[str, bytes | str]:
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()
        descriptor = worker.connection.fileno()

        def readable() -> None:
            if not answered.done():
                answered.set_result(None)

        worker.connection.send(job)
        loop.add_reader(descriptor, readable)
        try:
            await answered
        finally:
            loop.remove_reader(descriptor)
        return worker.connection.recv()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker (it may be deep inside a query) and start a fresh one in its place."""
        self._all.discard(worker)
        worker.stop()
        replacement = _Worker(self._context, self.settings)
        self._all.add(replacement)
        assert self._loop is not None
        self._loop.run_in_executor(None, self._when_ready, replacement)

    def _when_ready(self, worker: _Worker) -> None:
        try:
            worker.wait_ready(timeout=60)
        except StoreError:
            self._all.discard(worker)
            return
        assert self._idle is not None and self._loop is not None
        self._loop.call_soon_threadsafe(self._idle.put_nowait, worker)
