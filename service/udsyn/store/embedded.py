"""The embedded store: a pyoxigraph database in memory or in a folder on disk."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from udsyn.formats import Format
from udsyn.namespaces import VOCABULARIES
from udsyn.sparql import QueryInfo, TooManyRows, write_answer
from udsyn.sparql.grammar import Term
from udsyn.store.base import (
    Counter,
    Dataset,
    QueryFailed,
    Store,
    StoreError,
    StoreUnavailable,
)


class EmbeddedStore(Store):
    """A pyoxigraph store: in memory (``path=None``) or a database folder on disk.

    A folder that a running ``udsyn serve`` holds cannot be opened for writing: the service's
    readers would never see what was written.
    """

    def __init__(self, base_iri: str, path: str | None = None, *, read_only: bool = False):
        super().__init__(base_iri)
        self.path = path
        self._journal: list[Change] | None = None
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                if not Path(path).is_dir():
                    raise StoreUnavailable(
                        f"there is no store at {path} yet: run `udsyn load` or `udsyn serve` first"
                    )
                self._store = _open_read_only(path)
            else:
                ServingLock(path).refuse_writes()
                Path(path).mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(path)
        except (OSError, RuntimeError) as error:
            raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None

    @classmethod
    def for_the_service(cls, base_iri: str, path: str) -> EmbeddedStore:
        """The read-write handle of the service that holds the store's serving lock: the
        service's one writer, which tells its readers about every write. It keeps a journal
        of its changes (:meth:`take_changes`) for the store's copy in memory."""
        store = cls.__new__(cls)
        Store.__init__(store, base_iri)
        store.path = path
        store._journal = []
        try:
            store._store = ox.Store(path)
        except OSError as error:
            raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None
        return store

    @property
    def description(self) -> str:
        return f"embedded store at {self.path}" if self.path else "embedded store in memory"

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store itself, for code that needs its full API."""
        return self._store

    def _run(
        self,
        text: str,
        info: QueryInfo,
        answer_format: Format,
        output: BinaryIO,
        dataset: Dataset,
        max_rows: int | None,
    ) -> None:
        result = self._native_query(text, info, dataset)
        try:
            write_answer(result, answer_format, output, max_rows)
        except TooManyRows as error:
            raise QueryFailed(str(error)) from None
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryFailed(f"the query failed: {error}") from None

    def select(
        self,
        text: str,
        dataset: Dataset | None = None,
        *,
        bindings: Mapping[str, Term] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        """The solutions straight from pyoxigraph, with no serialising in between."""
        bound, info, dataset = self._prepared(text, dataset, bindings)
        return self._native_query(bound, info, dataset)

    def _native_query(
        self, text: str, info: QueryInfo, dataset: Dataset
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """A checked, bound query run by pyoxigraph, its failures as :class:`QueryFailed`."""
        # only the vocabularies' prefixes the query uses: pyoxigraph reads each one it is given
        prefixes = {name: VOCABULARIES[name] for name in info.undeclared_prefixes}
        try:
            return self._store.query(
                text, base_iri=self.base_iri, prefixes=prefixes, **_dataset_options(dataset)
            )
        except SyntaxError as error:
            raise QueryFailed(f"malformed query: {error}") from None
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryFailed(f"the query failed: {error}") from None

    def graph_names(self) -> set[str]:
        graphs = self._store.named_graphs()
        return {graph.value for graph in graphs if isinstance(graph, ox.NamedNode)}

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, None))

    def add_all(self, quads: Iterable[ox.Quad]) -> int:
        if self._journal is not None:
            quads = list(quads)
        counter = Counter(quads)
        try:
            self._store.extend(counter)
            if self.path:  # out of the write-ahead log, so read-only opens need not replay it
                self._store.flush()
        except OSError as error:
            raise StoreError(f"the store could not save the data: {error}") from None
        if self._journal is not None:
            self._journal.append(Change(quads=ox.serialize(quads, format=ox.RdfFormat.N_QUADS)))
        return counter.count

    def update(self, text: str) -> None:
        try:
            self._store.update(text, base_iri=self.base_iri)
            if self.path:
                self._store.flush()
        except (OSError, SyntaxError) as error:
            raise StoreError(f"the store could not apply the change: {error}") from None
        if self._journal is not None:
            self._journal.append(Change(update=text))

    def take_changes(self) -> list[Change]:
        """The changes made since the last call, as the store took them (the writer's only)."""
        if self._journal is None:
            return []
        changes, self._journal = self._journal, []
        return changes

    def close(self) -> None:
        if self.path:
            del self._store


@dataclass(frozen=True)
class Change:
    """One write as a store took it (an update, or quads as N-Quads), to replay on a copy."""

    update: str | None = None
    quads: bytes = b""

    def apply_to(self, store: EmbeddedStore) -> None:
        if self.update is not None:
            store.update(self.update)
        else:
            store.add_all(ox.parse(self.quads, format=ox.RdfFormat.N_QUADS))


def _dataset_options(dataset: Dataset) -> dict:
    """No dataset: the union of all graphs. A dataset: exactly its graphs (none given, none
    there), as SPARQL defines it."""
    if not dataset:
        return {"use_default_graph_as_union": True}
    return {
        "default_graph": [ox.NamedNode(iri) for iri in dataset.default_graphs],
        "named_graphs": [ox.NamedNode(iri) for iri in dataset.named_graphs],
    }


class ServingLock:
    """The mark a running ``udsyn serve`` keeps on its store folder.

    An advisory lock (``flock``) on a file beside the folder, held for as long as the service
    runs and released by the system when it stops, however it stops.
    """

    def __init__(self, store_path: str) -> None:
        folder = Path(store_path)
        self.path = folder.with_name(folder.name + ".serving")
        self._handle: int | None = None

    def hold(self, url: str) -> None:
        """Take the lock for this process; refuses if another service holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            self.refuse_writes()  # names the service that holds it
            raise StoreError(f"another `udsyn serve` holds {self.path}") from None
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()} {url}\n".encode())
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            os.close(self._handle)
            self._handle = None

    def refuse_writes(self) -> None:
        """Raise :class:`StoreError` if a running service holds the store."""
        holder = self._holder()
        if holder is not None:
            raise StoreError(
                f"the store at {self.path.with_suffix('')} is being served by `udsyn serve` "
                f"({holder}); its readers would not see a write. Stop the service, write, and "
                "start it again"
            )

    def _holder(self) -> str | None:
        try:
            handle = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, _, url = os.read(handle, 4096).decode("utf-8", "replace").strip().partition(" ")
            return f"process {pid} at {url}" if url else f"process {pid}"
        finally:
            os.close(handle)
        return None


def _open_read_only(path: str, attempts: int = 20) -> ox.Store:
    """A read-only handle on a store that its writer may be changing.

    Opening reads the list of the store's files, then the files; while the writer's flush
    or compaction replaces one in between, the open fails, and a moment later it succeeds.
    """
    for _ in range(attempts - 1):
        try:
            return ox.Store.read_only(path)
        except (OSError, RuntimeError):
            time.sleep(0.05)
    return ox.Store.read_only(path)
