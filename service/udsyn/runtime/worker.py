"""Inside a query worker: jobs in, answers out, over one socket.

A worker gets jobs as pickled tuples behind an 8-byte header (the store's generation and the
length) and sends frames back: a status byte and a 4-byte length, then the payload. It parses
each query itself, so the service's time limit covers the parse. Workers are started two ways
(see ``pool.py``): spawned, each opening the store read-only (a remote server, or
``UDSYN_SERVE_FROM=disk``), or forked by the store's host from its copy in memory
(``host.py``).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from udsyn.config import Settings
from udsyn.formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, by_name
from udsyn.runtime import sandbox
from udsyn.sparql import TooManyRows
from udsyn.sparql.grammar import Term
from udsyn.store import (
    Dataset,
    EmbeddedStore,
    QueryFailed,
    Store,
    StoreError,
    StoreUnavailable,
    open_store,
)
from udsyn.store.base import JSON_RESULTS

_ALL_FORMATS = RESULT_FORMATS + GRAPH_FORMATS + DATASET_FORMATS
PROCESS_NAME = "udsyn-query"  # what `ps -o comm` shows for a query worker


@dataclass(frozen=True)
class Job:
    """One query for a worker.

    ``format`` names the answer format for SELECT and ASK, ``graph_format`` the one for
    CONSTRUCT and DESCRIBE (the worker learns the form from its parse); a ``None`` format
    means none the client accepts fits that form, and ``refusal`` says so. ``bindings`` give
    variables their values.
    """

    text: str
    format: str | None
    graph_format: str | None = None
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()
    max_rows: int | None = None
    bindings: tuple[tuple[str, Term], ...] = ()
    refusal: str = ""
    stream: bool = False
    plain_head: str = ""  # a JSON object: answer as plain rows under it (see _plain_rows)

    @property
    def digest(self) -> bytes:
        """A fixed-size key for the job, whatever the length of its text."""
        return digest_of(self.pickled())

    def pickled(self) -> bytes:
        """The job's fields, pickled as a tuple (several times cheaper than the object)."""
        return pickle.dumps(tuple(self.__dict__.values()), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def unpickled(cls, data: bytes) -> Job:
        return cls(*pickle.loads(data))


def job_frame(pickled_job: bytes, generation: int) -> bytes:
    """A job as it travels to a worker: the store's generation the answer must reflect (see
    ``writer.py``), the job's length, then the job."""
    return JOB_HEADER.pack(generation, len(pickled_job)) + pickled_job


def digest_of(pickled_job: bytes) -> bytes:
    """The 16-byte key of a job (:meth:`Job.pickled`)."""
    return hashlib.blake2b(pickled_job, digest_size=16).digest()


CHUNK = 1 << 16

# Frames from a worker: a status byte and a 4-byte length, then the payload.
HEADER = struct.Struct("!BI")
JOB_HEADER = struct.Struct("!II")
STATUSES = ("ok", "failed", "unavailable", "error", "ready", "chunk", "unacceptable", "memory")


def write_frame(channel: socket.socket | Sink, status: str, payload: bytes) -> None:
    channel.sendall(HEADER.pack(STATUSES.index(status), len(payload)) + payload)


def read_exactly(channel: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = channel.recv(size - len(chunks))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


def spawned_worker_main(channel: socket.socket, settings: Settings) -> None:
    """A spawned worker's life: give up the network, open the store, answer jobs.

    The "ready" frame carries why the network could not be given up ("" when it was).
    """
    sandbox.name_process(PROCESS_NAME)
    refused = sandbox.isolate_network() if settings.remote is None else "it talks to a server"
    sandbox.limit_memory(settings.query_memory_mb)
    try:
        store = open_store(settings, read_only=True)
    except StoreError as error:
        write_frame(channel, "unavailable", str(error).encode())
        return
    write_frame(channel, "ready", (refused or "").encode())
    reopen = settings.remote is None  # a read-only handle is a snapshot; a server is not
    sandbox.run_with_large_stack(lambda: serve_jobs(channel, store, settings, reopen=reopen))


def serve_jobs(channel: socket.socket, store: Store, settings: Settings, *, reopen: bool) -> None:
    """Answer jobs until the service closes the socket.

    With ``reopen``, a job from a newer generation of the store (it was written since this
    handle was opened) makes the worker open a new read-only handle first.
    """
    seen = 0
    jobs = channel.makefile("rb")  # one read for a job's header and body
    while True:
        header = jobs.read(JOB_HEADER.size)
        if len(header) < JOB_HEADER.size:
            return
        generation, size = JOB_HEADER.unpack(header)
        job = Job.unpickled(jobs.read(size))
        if reopen and generation != seen:
            try:
                reopened = open_store(settings, read_only=True)
            except StoreError as error:
                write_frame(channel, "unavailable", str(error).encode())
                continue
            store.close()
            store, seen = reopened, generation
        write_frame(channel, *answer(store, job, channel))


class Sink(Protocol):
    """Where frames go: a worker's socket, or anything that takes bytes the same way."""

    def sendall(self, data: bytes, /) -> None: ...


class _ChunkWriter:
    """A file-like object that sends what is written as "chunk" frames of about 64 KiB."""

    def __init__(self, channel: socket.socket | Sink) -> None:
        self.channel = channel
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            write_frame(self.channel, "chunk", bytes(self.buffer))
            self.buffer.clear()


def answer(store: Store, job: Job, channel: socket.socket | Sink) -> tuple[str, bytes]:
    """Answer a job: whole ("ok": the format's name, a newline, the answer) or streamed
    ("chunk"s, then "ok"); a failure's status and its message."""
    status, payload = _answered(store, job, channel)
    return status, payload if isinstance(payload, bytes) else payload.encode()


def _answered(store: Store, job: Job, channel: socket.socket | Sink) -> tuple[str, bytes | str]:
    try:
        info = store.check(job.text)
        name = job.graph_format if info.returns_graph else job.format
        if name is None:
            return "unacceptable", job.refusal or f"no answer format fits a {info.form} query"
        answer_format = by_name(name, _ALL_FORMATS)
        dataset = Dataset(tuple(job.default_graphs), tuple(job.named_graphs))
        bindings = dict(job.bindings)
        if job.plain_head:
            return "ok", b"json\n" + _plain_rows(store, job, dataset, bindings)
        if job.stream:
            writer = _ChunkWriter(channel)
            store.write_answer(job.text, answer_format, writer, dataset, bindings=bindings)
            writer.flush()
            return "ok", b""
        body = store.query(
            job.text, answer_format, dataset, max_rows=job.max_rows, bindings=bindings
        )
        return "ok", name.encode() + b"\n" + body
    except QueryFailed as error:
        return "failed", str(error)
    except StoreUnavailable as error:
        return "unavailable", str(error)
    except StoreError as error:
        return "error", str(error)
    except MemoryError:
        return "memory", "the query needed more memory than a query may use"
    except Exception as error:  # a worker must answer, whatever happened
        return "error", f"the query failed: {type(error).__name__}: {error}"


def _plain_rows(store: Store, job: Job, dataset: Dataset, bindings: dict[str, Term]) -> bytes:
    """The answer as plain JSON: the job's head, then the columns and one object of values a
    row (unbound values left out), or the boolean of an ASK; written once, here."""
    if isinstance(store, EmbeddedStore):  # the engine's own solutions, counted below
        result = store.select(job.text, dataset, bindings=bindings)
    else:  # counted as the server streams them
        answer = store.query(
            job.text, JSON_RESULTS, dataset, max_rows=job.max_rows, bindings=bindings
        )
        result = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
    head = json.loads(job.plain_head)
    if isinstance(result, ox.QueryBoolean):
        return json.dumps({**head, "boolean": bool(result)}).encode()
    columns = [variable.value for variable in result.variables]
    rows = []
    for solution in result:
        if job.max_rows is not None and len(rows) == job.max_rows:
            raise QueryFailed(str(TooManyRows(job.max_rows, "rows")))
        values = ((name, solution[name]) for name in columns)
        rows.append({name: term.value for name, term in values if term is not None})
    document = {**head, "columns": columns, "rows": rows}
    return json.dumps(document, ensure_ascii=False).encode()
