"""Register checks in a process of their own.

Checking a register is seconds of CPU (SHACL, name matching against every label in the
graph). Run in the service's process, it would hold up the event loop that answers every
other request; so the service's checks (``POST /validate`` and the check before
``POST /records`` stores a batch) run in one long-lived child process, ``udsyn-check``,
started on first use. It opens the store read-only for each check, so it sees every write
that has finished. On the embedded store it has no network, as the query workers have none:
the registers it reads come from outside.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import TypeVar

from udsyn.config import Settings
from udsyn.records import batches
from udsyn.records.batches import Checked, Upload
from udsyn.registers.findings import CheckReport
from udsyn.runtime import sandbox
from udsyn.store import Store, StoreUnavailable, open_store

PROCESS_NAME = "udsyn-check"  # what `ps -o comm` shows for the checking process

T = TypeVar("T")


class Checker:
    """The service's register checks, one at a time, in the ``udsyn-check`` process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._executor: ProcessPoolExecutor | None = None

    async def validate(
        self, uploads: Sequence[Upload], as_of: datetime.date | None = None
    ) -> CheckReport:
        """The findings of ``udsyn check`` for the uploads, against the store as it is."""
        return await self._run(_validate, uploads, as_of)

    async def check_batch(
        self, uploads: Sequence[Upload], as_of: datetime.date | None = None
    ) -> Checked:
        """The uploads checked and, if they conform, read into records to store
        (:func:`udsyn.records.batches.check_batch`)."""
        return await self._run(_check_batch, uploads, as_of)

    def close(self) -> None:
        """Stop the checking process, also in the middle of a check."""
        if self._executor is not None:
            self._retire(self._executor)

    async def _run(self, job: Callable[..., T], *args: object) -> T:
        """Run a check in the process. One found dead (it died idle, or during this check)
        is started again and the check tried once more; a check that stops it twice is
        refused."""
        for attempt in (1, 2):
            executor = self._process()
            try:
                return await asyncio.get_running_loop().run_in_executor(executor, job, *args)
            except BrokenProcessPool:
                # every check waiting on the dead process learns of it; only the first to
                # come back retires it, and none retires the one that replaced it
                if self._executor is executor:
                    self._retire(executor)
                if attempt == 2:
                    raise StoreUnavailable(
                        "the register check stopped its process twice (too large a register?)"
                    ) from None
        raise AssertionError("unreachable")

    def _process(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self.settings,),
            )
        return self._executor

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        # shutdown() leaves a running check to finish; its process is ended here instead
        processes = list((executor._processes or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        if self._executor is executor:
            self._executor = None


# -- in the checking process ---------------------------------------------------------------

_settings: Settings | None = None


def _start(settings: Settings) -> None:
    global _settings
    _settings = settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops this
    sandbox.name_process(PROCESS_NAME)
    refused = sandbox.isolate_network() if settings.remote is None else None
    sandbox.end_with_parent()  # after the network cut, which needs a single thread
    if refused:
        logging.getLogger("udsyn").warning(
            "the register checks could not be cut off from the network (%s)", refused
        )


def _store() -> Store:
    assert _settings is not None, "the checking process has not been started"
    return open_store(_settings, read_only=True)


def _validate(uploads: Sequence[Upload], as_of: datetime.date | None) -> CheckReport:
    with _store() as store:
        return _without_graph(batches.validate(store, uploads, as_of))


def _check_batch(uploads: Sequence[Upload], as_of: datetime.date | None) -> Checked:
    with _store() as store:
        checked = batches.check_batch(store, uploads, as_of)
    return replace(checked, report=_without_graph(checked.report))


def _without_graph(report: CheckReport) -> CheckReport:
    """The report without its SHACL graph: the service answers with the findings alone."""
    return replace(report, shacl=None)
