"""The one writer: the service's only read-write handle on its store.

Writes come one at a time (a lock serialises them) and run in a thread, so the service
goes on answering. Each write that changed the store raises its *generation*: the store's copy in
memory takes the same changes, the query pool forgets its remembered answers, and each
worker renews its view before its next query, so every reader sees a write at once, and a
query that was running during it saw the state before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from udsyn.config import Settings
from udsyn.runtime.pool import WorkerPool
from udsyn.store import EmbeddedStore, Store, StoreError, open_store

T = TypeVar("T")


class WritesUnavailable(StoreError):
    """The store cannot take writes through the service (e.g. an in-memory store)."""


class Writer:
    """Serialised writes to the service's store, each followed by a new generation."""

    def __init__(self, settings: Settings, pool: WorkerPool) -> None:
        self.settings = settings
        self.pool = pool
        self._lock = asyncio.Lock()
        self._store: Store | None = None

    @property
    def sole_writer(self) -> bool:
        """Whether every change to the store comes through this writer (the embedded store;
        a SPARQL server may be written by others)."""
        return self.settings.remote is None

    @property
    def generation(self) -> int:
        """How many writes the store has had since the service started."""
        return self.pool.generation

    def store(self) -> Store:
        """The read-write handle (opened on first use); reads through it are fine too."""
        if self._store is None:
            if self.settings.in_memory:
                raise WritesUnavailable(
                    "this service keeps its store in memory only; records need an on-disk "
                    "store (UDSYN_STORE) or a SPARQL server"
                )
            if self.settings.remote is not None:
                self._store = open_store(self.settings)
            else:
                self._store = EmbeddedStore.for_the_service(
                    self.settings.base_iri, self.settings.store_path
                )
        return self._store

    async def read(self, job: Callable[[Store], T]) -> T:
        """Run a function that only reads the store, in a thread."""
        store = self.store()
        return await asyncio.to_thread(job, store)

    async def write(self, change: Callable[[Store], T]) -> T:
        """Run a change alone, in a thread; then every reader sees it (what a failed change
        wrote before it failed, too)."""
        async with self._lock:
            store = self.store()
            try:
                return await asyncio.to_thread(change, store)
            finally:
                if not isinstance(store, EmbeddedStore):
                    await self.pool.store_changed([])  # a server's changes are not journalled
                elif changes := store.take_changes():  # a change that wrote nothing keeps it
                    await self.pool.store_changed(changes)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
