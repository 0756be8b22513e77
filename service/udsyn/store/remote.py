"""A store on an existing SPARQL 1.1 server (Oxigraph, Fuseki, Virtuoso, GraphDB, QLever).

Queries and updates go over HTTP through SPARQLWrapper. The server should answer queries over
the union of its graphs by default, as the embedded store does.
"""

from __future__ import annotations

import itertools
import socket
import urllib.error
import uuid
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import pyoxigraph as ox
from SPARQLWrapper import INSERT, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from udsyn.config import RemoteEndpoint
from udsyn.formats import Format
from udsyn.namespaces import VOCABULARIES
from udsyn.sparql import QueryInfo, TooManyRows, write_answer
from udsyn.store.base import (
    JSON_RESULTS,
    N_TRIPLES,
    Counter,
    Dataset,
    QueryFailed,
    Store,
    StoreError,
    StoreUnavailable,
)

_CHUNK = 1 << 16


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
        self,
        text: str,
        info: QueryInfo,
        answer_format: Format,
        output: BinaryIO,
        dataset: Dataset,
        max_rows: int | None,
    ) -> None:
        counted = max_rows is not None and info.form != "ASK"
        # Rows are counted in a format udsyn reads; otherwise the answer is passed on as is.
        sent_format = (
            (N_TRIPLES if info.returns_graph else JSON_RESULTS) if counted else (answer_format)
        )
        client = self._client(self.endpoint.query_url)
        client.setQuery(_prologue(self.base_iri) + text)  # one line first: error lines hold
        client.addCustomHttpHeader("Accept", sent_format.media_type)
        for iri in dataset.default_graphs:
            client.addDefaultGraph(iri)
        for iri in dataset.named_graphs:
            client.addNamedGraph(iri)
        with self._talking("query"):
            response = client.query().response
            if not counted:
                while chunk := response.read(_CHUNK):
                    output.write(chunk)
                return
            try:
                write_answer(_parse_answer(response, sent_format), answer_format, output,
                             max_rows)  # fmt: skip
            except TooManyRows as error:
                raise QueryFailed(str(error)) from None
            except SyntaxError as error:
                raise StoreError(f"the server at {self.endpoint.query_url} sent an answer "
                                 f"udsyn cannot read: {error}") from None  # fmt: skip

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
        counter = Counter(quads)
        batches = _batches(counter, self.BATCH)
        first = next(batches, [])
        second = next(batches, None)
        if second is None:  # parsed whole before the server is contacted
            self.update(_insert_data(first))
            return counter.count
        staging = f"urn:udsyn:staging:{uuid.uuid4()}:"
        staged: set[str] = set()
        try:
            for batch in itertools.chain([first, second], batches):
                self.update(_insert_data(batch, staging, staged))
            self.update(_publish(staging, staged))
        except BaseException:
            if staged:
                self.update(" ;\n".join(f"DROP SILENT GRAPH <{staging}{g}>" for g in staged))
            raise
        return counter.count

    BATCH = 250_000

    def update(self, update: str) -> None:
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


def _prologue(base_iri: str) -> str:
    """One line with the base and the project's prefixes, so that queries need not declare
    them; the query's own declarations come after it and take precedence."""
    prefixes = " ".join(f"PREFIX {name}: <{iri}>" for name, iri in VOCABULARIES.items())
    return f"BASE <{base_iri}> {prefixes} "


def _parse_answer(
    response: BinaryIO, sent_format: Format
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterator[ox.Triple]:
    if sent_format.is_rdf:
        return (quad.triple for quad in ox.parse(response, format=sent_format.native))
    return ox.parse_query_results(response, format=sent_format.native)
