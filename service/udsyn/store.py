"""One store interface, two real implementations.

:class:`EmbeddedStore` is a pyoxigraph database, in memory or on disk. :class:`RemoteStore`
talks SPARQL 1.1 Protocol to an existing server (Oxigraph, Fuseki, Virtuoso, GraphDB, QLever)
through SPARQLWrapper. Both answer queries over the union of all graphs by default, refuse
queries that would reach out, and add data in one transaction.
"""

from __future__ import annotations

import csv
import io
import itertools
import socket
import urllib.error
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from SPARQLWrapper import INSERT, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from udsyn.config import RemoteEndpoint, Settings
from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from udsyn.sparql import QueryInfo, QueryRefused, cap_rows, inspect

JSON_RESULTS = RESULT_FORMATS[0]
_CHUNK = 1 << 16
N_TRIPLES = GRAPH_FORMATS[1]


class StoreError(Exception):
    """Something went wrong in the store; the message says what, for a person."""


class QueryFailed(StoreError):
    """The store could not run the query: it is malformed, refused or failed while running."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


@dataclass(frozen=True)
class Dataset:
    """The graphs a query runs on, as the SPARQL protocol's default- and named-graph-uri."""

    default_graphs: Sequence[str] = field(default_factory=tuple)
    named_graphs: Sequence[str] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


class Store(ABC):
    """A SPARQL 1.1 dataset udsyn can query and load."""

    def __init__(self, base_iri: str) -> None:
        self.base_iri = base_iri

    # -- queries ---------------------------------------------------------------------------

    def query(
        self,
        text: str,
        result_format: Format,
        dataset: Dataset | None = None,
        *,
        max_rows: int | None = None,
    ) -> bytes:
        """The answer to ``text``, serialised in ``result_format``.

        The query is checked first: updates, ``SERVICE`` and graphs the store does not hold
        are refused before the store sees the query. With ``max_rows``, an answer of more
        rows (or, for CONSTRUCT and DESCRIBE, triples) is refused instead of returned.
        """
        info = self.check(text, dataset)
        capped = cap_rows(text, max_rows + 1) if max_rows is not None else None
        dataset = dataset or Dataset()
        buffer = io.BytesIO()
        try:
            self._run(capped or text, info, result_format, dataset, buffer)
        except QueryFailed:
            if capped is not None:  # report the error as it stands in the query that was sent
                self._run(text, info, result_format, dataset, io.BytesIO())
            raise
        answer = buffer.getvalue()
        # Every row takes at least one byte, so only a long answer can hold too many rows.
        if (
            capped is not None
            and info.form != "ASK"
            and len(answer) > max_rows
            and _size(answer, result_format) > max_rows
        ):
            unit = "triples" if result_format.is_rdf else "rows"
            raise QueryFailed(
                f"the answer has more than {max_rows} {unit}, the most this service returns; "
                "add a LIMIT or narrow the query"
            )
        return answer

    def write_answer(
        self, text: str, result_format: Format, output: BinaryIO, dataset: Dataset | None = None
    ) -> None:
        """Write the answer to ``output`` as it is produced, with no row limit: for downloads."""
        info = self.check(text, dataset)
        self._run(text, info, result_format, dataset or Dataset(), output)

    def check(self, text: str, dataset: Dataset | None = None) -> QueryInfo:
        """What the query is, after refusing anything that would fetch or change data."""
        try:
            info = inspect(text, self.base_iri)
        except QueryRefused as refusal:
            raise QueryFailed(str(refusal)) from None
        asked = set(info.default_graphs) | set(info.named_graphs)
        if dataset:
            asked |= set(dataset.default_graphs) | set(dataset.named_graphs)
        if asked:
            unknown = sorted(asked - self.graph_names())
            if unknown:
                raise QueryFailed(
                    f"the store holds no graph {', '.join(unknown)}; udsyn does not fetch graphs"
                )
        return info

    def select(
        self, text: str, dataset: Dataset | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        """The solutions of a SELECT query as pyoxigraph terms (an ASK gives its boolean)."""
        answer = self.query(text, JSON_RESULTS, dataset)
        return ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)

    def ask(self, text: str) -> bool:
        answer = self.query(text, JSON_RESULTS)
        return bool(ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON))

    def is_empty(self) -> bool:
        return not self.ask("ASK { ?s ?p ?o }")

    def triple_count(self) -> int:
        """How many distinct triples the union of all graphs holds."""
        solutions = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )
        return int(next(iter(solutions))["n"].value)

    def triples(self) -> Iterator[ox.Triple]:
        """Every distinct triple of the union of all graphs."""
        answer = self.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
            N_TRIPLES,
        )
        for quad in ox.parse(answer, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple

    # -- what each backend provides ---------------------------------------------------------

    @abstractmethod
    def _run(
        self, text: str, info: QueryInfo, result_format: Format, dataset: Dataset, output: BinaryIO
    ) -> None:
        """Run a checked query and write its serialised answer to ``output``."""

    @abstractmethod
    def graph_names(self) -> set[str]:
        """The IRIs of the named graphs the store holds."""

    @abstractmethod
    def quads(self) -> Iterator[ox.Quad]:
        """Every quad, named graphs included."""

    @abstractmethod
    def add_all(self, quads: Iterable[ox.Quad]) -> int:
        """Add every quad in one transaction; if anything fails, nothing is added.

        Returns how many quads were read.
        """

    @property
    @abstractmethod
    def description(self) -> str:
        """Where the data lives, for people."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release the store (a no-op where there is nothing to release)."""


class EmbeddedStore(Store):
    """A pyoxigraph store: in memory (``path=None``) or a database folder on disk."""

    def __init__(self, base_iri: str, path: str | None = None, *, read_only: bool = False):
        super().__init__(base_iri)
        self.path = path
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                if not Path(path).is_dir():
                    raise StoreUnavailable(
                        f"there is no store at {path} yet: run `udsyn load` or `udsyn serve` first"
                    )
                self._store = ox.Store.read_only(path)
            else:
                Path(path).mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(path)
        except OSError as error:
            raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None

    @property
    def description(self) -> str:
        return f"embedded store at {self.path}" if self.path else "embedded store in memory"

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store itself, for code that needs its full API."""
        return self._store

    def _run(
        self, text: str, info: QueryInfo, result_format: Format, dataset: Dataset, output: BinaryIO
    ) -> None:
        try:
            result = self._store.query(text, base_iri=self.base_iri, **_dataset_options(dataset))
            if isinstance(result, ox.QueryTriples) != result_format.is_rdf:
                raise QueryFailed(f"a {info.form} query cannot be answered as {result_format.name}")
            result.serialize(output, format=result_format.native)
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
        counter = _Counter(quads)
        try:
            self._store.extend(counter)
        except OSError as error:
            raise StoreError(f"the store could not save the data: {error}") from None
        return counter.count

    def close(self) -> None:
        if self.path:
            del self._store


def _size(answer: bytes, answer_format: Format) -> int:
    """How many rows (or triples) a serialised answer holds."""
    if answer_format.is_rdf:
        return sum(1 for _ in ox.parse(answer, format=answer_format.native))
    if answer_format.native == ox.QueryResultsFormat.CSV:  # pyoxigraph does not read CSV back
        return sum(1 for _ in csv.reader(io.StringIO(answer.decode("utf-8")))) - 1
    return sum(1 for _ in ox.parse_query_results(answer, format=answer_format.native))


def _dataset_options(dataset: Dataset) -> dict:
    if not dataset:
        return {"use_default_graph_as_union": True}
    options: dict = {
        "default_graph": [ox.NamedNode(iri) for iri in dataset.default_graphs] or ox.DefaultGraph()
    }
    if dataset.named_graphs:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in dataset.named_graphs]
    return options


class RemoteStore(Store):
    """An existing SPARQL 1.1 server, queried and updated over HTTP.

    The server should answer queries over the union of its graphs by default (Oxigraph's
    ``--union-default-graph``, Fuseki's ``unionDefaultGraph``; GraphDB, Virtuoso and QLever
    do so already), as the embedded store does.
    """

    def __init__(self, base_iri: str, endpoint: RemoteEndpoint) -> None:
        super().__init__(base_iri)
        self.endpoint = endpoint

    @property
    def description(self) -> str:
        return f"SPARQL server at {self.endpoint.query_url}"

    def _run(
        self, text: str, info: QueryInfo, result_format: Format, dataset: Dataset, output: BinaryIO
    ) -> None:
        client = self._client(self.endpoint.query_url)
        client.setQuery(f"BASE <{self.base_iri}> {text}")  # one line: error positions hold
        client.addCustomHttpHeader("Accept", result_format.media_type)
        for iri in dataset.default_graphs:
            client.addDefaultGraph(iri)
        for iri in dataset.named_graphs:
            client.addNamedGraph(iri)
        with self._talking("query"):
            response = client.query().response
            while chunk := response.read(_CHUNK):
                output.write(chunk)

    def graph_names(self) -> set[str]:
        solutions = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return {row["g"].value for row in solutions if isinstance(row["g"], ox.NamedNode)}

    def quads(self) -> Iterator[ox.Quad]:
        solutions = self.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        for row in solutions:
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])

    def add_all(self, quads: Iterable[ox.Quad]) -> int:
        """Add the quads in one update request; a large load goes through staging graphs.

        Servers cap request sizes (``oxigraph serve`` at 128 MiB), so a load of more than
        one batch is written batch by batch into temporary graphs and then moved into place
        by one final update, which the server applies as one transaction. If anything fails
        before that, the temporary graphs are dropped and the store is as it was. Blank
        nodes are shared within a batch of ``BATCH`` quads only.
        """
        if not self.endpoint.update_url:
            raise StoreError(
                f"{self.description} has no update URL (set UDSYN_UPDATE_ENDPOINT) to load data"
            )
        counter = _Counter(quads)
        batches = _batches(counter, self.BATCH)
        first = next(batches, [])
        second = next(batches, None)
        if second is None:  # parsed whole before the server is contacted
            self._update(_insert_data(first))
            return counter.count
        staging = f"urn:udsyn:staging:{uuid.uuid4()}:"
        staged: set[str] = set()
        try:
            for batch in itertools.chain([first, second], batches):
                self._update(_insert_data(batch, staging, staged))
            self._update(_publish(staging, staged))
        except BaseException:
            if staged:
                self._update(" ;\n".join(f"DROP SILENT GRAPH <{staging}{g}>" for g in staged))
            raise
        return counter.count

    BATCH = 250_000

    def _update(self, update: str) -> None:
        client = self._client(self.endpoint.query_url)
        client.updateEndpoint = self.endpoint.update_url
        # setQuery() would scan the whole text with a regex to learn its type (seconds for a
        # large load); the type is known, and the body goes as application/sparql-update.
        client.queryString = update
        client.queryType = INSERT
        client.setRequestMethod(POSTDIRECTLY)
        with self._talking("update"):
            client.query().response.read()

    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url, agent="udsyn")
        client.setMethod(POST)
        client.setOnlyConneg(True)
        client.setTimeout(int(max(1, self.endpoint.timeout)))
        if self.endpoint.user is not None:
            client.setCredentials(self.endpoint.user, self.endpoint.password or "")
        if self.endpoint.token:
            client.addCustomHttpHeader("Authorization", f"Bearer {self.endpoint.token}")
        return client

    def _talking(self, action: str) -> _RemoteErrors:
        return _RemoteErrors(self.endpoint, action)


class _RemoteErrors:
    """Turns what SPARQLWrapper and urllib raise into udsyn's errors, with the server named."""

    def __init__(self, endpoint: RemoteEndpoint, action: str) -> None:
        self.endpoint = endpoint
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, _trace: object) -> bool:
        if error is None:
            return False
        url = self.endpoint.query_url
        if isinstance(error, SPARQLWrapperException):
            said = _server_said(error)
            if isinstance(error, QueryBadFormed):
                raise QueryFailed(f"malformed {self.action} (the server at {url} says): {said}")
            raise StoreError(
                f"the server at {url} answered the {self.action} with an error "
                f"({type(error).__name__}): {said}"
            )
        if isinstance(error, (socket.timeout, TimeoutError)) or "timed out" in str(error):
            raise StoreUnavailable(
                f"the server at {url} did not answer the {self.action} within "
                f"{self.endpoint.timeout:g} s"
            )
        if isinstance(error, urllib.error.HTTPError):
            detail = error.read().decode("utf-8", "replace").strip()[:500]
            raise StoreError(
                f"the server at {url} answered the {self.action} with HTTP {error.code}: {detail}"
            )
        if isinstance(error, (urllib.error.URLError, OSError)):
            reason = getattr(error, "reason", error)
            raise StoreUnavailable(f"cannot reach the SPARQL server at {url}: {reason}")
        return False


def _server_said(error: SPARQLWrapperException) -> str:
    """The server's own words from a SPARQLWrapper exception, without its framing."""
    response = getattr(error, "args", ("",))[0]
    _, _, tail = str(response).partition("Response:")
    text = tail.strip()
    if text.startswith(("b'", 'b"')):
        text = text[2:-1].encode().decode("unicode_escape", "replace")
    return " ".join(text.split())[:500] or error.msg


class _Counter:
    """Passes quads through and counts them."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._quads = quads
        self.count = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self._quads:
            self.count += 1
            yield quad


def _batches(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    batch: list[ox.Quad] = []
    for quad in quads:
        batch.append(quad)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_DEFAULT = "default"  # the staging name of the default graph; named graphs use their IRI


def _insert_data(
    quads: Iterable[ox.Quad], staging: str | None = None, staged: set[str] | None = None
) -> str:
    """One ``INSERT DATA`` request for the quads, into their graphs or into staging graphs."""
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        default = isinstance(quad.graph_name, ox.DefaultGraph)
        graph = _DEFAULT if default else quad.graph_name.value
        by_graph.setdefault(graph, []).append(f"{quad.subject} {quad.predicate} {quad.object} .")
    blocks = []
    for graph, lines in by_graph.items():
        body = "\n".join(lines)
        if staging is not None and staged is not None:
            staged.add(graph)
            blocks.append(f"GRAPH <{staging}{graph}> {{\n{body}\n}}")
        else:
            blocks.append(body if graph == _DEFAULT else f"GRAPH <{graph}> {{\n{body}\n}}")
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _publish(staging: str, staged: set[str]) -> str:
    """One update that moves every staging graph into its place and drops the staging graphs."""
    operations = [
        f"ADD <{staging}{graph}> TO {'DEFAULT' if graph == _DEFAULT else f'<{graph}>'}"
        for graph in sorted(staged)
    ]
    operations += [f"DROP GRAPH <{staging}{graph}>" for graph in sorted(staged)]
    return " ;\n".join(operations)


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The store the settings describe: a remote server if one is configured, else embedded."""
    if settings.remote is not None:
        return RemoteStore(settings.base_iri, settings.remote)
    path = None if settings.in_memory else settings.store_path
    return EmbeddedStore(settings.base_iri, path, read_only=read_only)
