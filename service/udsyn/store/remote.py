"""A store on an existing SPARQL 1.1 server (Oxigraph, Fuseki, Virtuoso, GraphDB, QLever).

Queries and updates go over HTTP through SPARQLWrapper. The server should answer queries over
the union of its graphs by default, as the embedded store does.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import socket
import urllib.error
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, INSERT, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from udsyn.config import RemoteEndpoint
from udsyn.formats import Format
from udsyn.namespaces import VOCABULARIES
from udsyn.sparql import QueryInfo, TooManyRows, bind_inline, write_answer
from udsyn.sparql.grammar import Term, parse_tree
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
from udsyn.store.profiles import (
    CUT_SHORT_HEADERS,
    ServerProfile,
    profile_for_server,
    profile_named,
)

_CHUNK = 1 << 16


class RemoteStore(Store):
    """An existing SPARQL 1.1 server, queried and updated over HTTP.

    The server should answer queries over the union of its graphs by default (Oxigraph's
    ``--union-default-graph``, Fuseki's ``unionDefaultGraph``; GraphDB, Virtuoso and QLever
    do so already), as the embedded store does. What differs between engines is in its
    :class:`~udsyn.store.profiles.ServerProfile`, configured or detected at first use.
    """

    def __init__(self, base_iri: str, endpoint: RemoteEndpoint) -> None:
        super().__init__(base_iri)
        self.endpoint = endpoint
        self._profile = profile_named(endpoint.profile) if endpoint.profile else None
        self._system: list[str] | None = None  # the server's own graphs, once listed

    @property
    def description(self) -> str:
        return f"SPARQL server at {self.endpoint.query_url}"

    @property
    def profile(self) -> ServerProfile:
        """The server's profile: configured, else detected from its ``Server`` header."""
        if self._profile is None:
            client = self._client(self.endpoint.query_url)
            client.setQuery("ASK {}")
            client.addCustomHttpHeader("Accept", JSON_RESULTS.media_type)
            with self._talking("query"):
                response = client.query().response
                response.read()
            self._profile = profile_for_server(response.headers.get("Server"))
        return self._profile

    @property
    def batch(self) -> int:
        """The most quads one update request carries (the profile's, unless set here)."""
        return self.BATCH or self.profile.batch

    BATCH: int | None = None

    # -- queries ---------------------------------------------------------------------------

    def _bind(self, text: str, info: QueryInfo, bindings: Mapping[str, Term]) -> str:
        if self.profile.inline_bindings:
            return bind_inline(text, info, bindings)
        return super()._bind(text, info, bindings)

    def _run(
        self,
        text: str,
        info: QueryInfo,
        answer_format: Format,
        output: BinaryIO,
        dataset: Dataset,
        max_rows: int | None,
    ) -> None:
        profile = self.profile
        _refuse_unfaithful(text, profile)
        # Rows are counted, and answers checked, in a format udsyn reads; otherwise the
        # answer is passed on as is.
        read = (max_rows is not None and info.form != "ASK") or _rewrites_answers(profile)
        sent_format = (N_TRIPLES if info.returns_graph else JSON_RESULTS) if read else answer_format
        client = self._client(self.endpoint.query_url)
        client.setQuery(_prologue(self.base_iri) + text)  # one line first: error lines hold
        client.addCustomHttpHeader("Accept", sent_format.media_type)
        for iri in dataset.default_graphs:
            client.addDefaultGraph(iri)
        for iri in dataset.named_graphs:
            client.addNamedGraph(iri)
        with self._talking("query"):
            response = client.query().response
            _refuse_cut_answers(response.headers, self.endpoint.query_url)
            if not read:
                while chunk := response.read(_CHUNK):
                    output.write(chunk)
                return
            try:
                answer = _parse_answer(response, sent_format, profile, _is_distinct(text))
                write_answer(answer, answer_format, output, max_rows)
            except TooManyRows as error:
                raise QueryFailed(str(error)) from None
            except (SyntaxError, ValueError) as error:
                raise StoreError(f"the server at {self.endpoint.query_url} sent an answer "
                                 f"udsyn cannot read: {error}") from None  # fmt: skip

    # -- the data as a whole (the server's own graphs left out) -----------------------------

    def graph_names(self) -> set[str]:
        solutions = self.select(self.profile.list_graphs)
        names = {row["g"].value for row in solutions if isinstance(row["g"], ox.NamedNode)}
        return {iri for iri in names if not self.profile.is_system_graph(iri)}

    def quads(self) -> Iterator[ox.Quad]:
        left_out = [*self._system_graphs(), self.profile.default_graph]
        for row in self.select(f"SELECT ?s ?p ?o ?g WHERE {{ {_in_graphs(left_out)} }}"):
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])
        default = self.profile.default_graph
        if default is not None:  # the stand-in's triples are the default graph's
            solutions = self.select("SELECT * WHERE { ?s ?p ?o }", Dataset([default]))
            for row in solutions:
                yield ox.Quad(row["s"], row["p"], row["o"], ox.DefaultGraph())

    # Where the server has graphs of its own, udsyn's own questions about the data as a whole
    # read every other graph. (Queries that name no graph see its graphs in the default graph:
    # Virtuoso's input:default-graph-exclude pragma gives wrong answers with GRAPH ?g.)

    def is_empty(self) -> bool:
        if not self._system_graphs():
            return super().is_empty()
        return not self.ask(f"ASK {{ {_in_graphs(self._system_graphs())} }}")

    def triple_count(self) -> int:
        if not self._system_graphs():
            return super().triple_count()
        distinct = f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_in_graphs(self._system_graphs())} }}"
        solutions = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {distinct} }}")
        return int(next(iter(solutions))["n"].value)

    def triples(self) -> Iterator[ox.Triple]:
        if not self._system_graphs():
            yield from super().triples()
            return
        distinct = f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_in_graphs(self._system_graphs())} }}"
        answer = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {distinct} }}", N_TRIPLES)
        for quad in ox.parse(answer, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple

    def _system_graphs(self) -> list[str]:
        """The server's own graphs (its stand-in for the default graph not among them)."""
        profile = self.profile
        if not profile.system_graphs:
            return []
        if self._system is None:
            self._system = sorted(
                iri
                for iri in self._every_graph()
                if profile.is_system_graph(iri) and iri != profile.default_graph
            )
        return self._system

    def _every_graph(self) -> set[str]:
        """Every graph the server holds, its own included."""
        client = self._client(self.endpoint.query_url)
        client.setQuery(self.profile.list_graphs)
        client.addCustomHttpHeader("Accept", JSON_RESULTS.media_type)
        with self._talking("query"):
            answer = _parse_answer(client.query().response, JSON_RESULTS, self.profile)
        assert isinstance(answer, ox.QuerySolutions)
        return {row["g"].value for row in answer if isinstance(row["g"], ox.NamedNode)}

    # -- loading ---------------------------------------------------------------------------

    def add_all(self, quads: Iterable[ox.Quad]) -> int:
        """Add the quads in one update request; a large load goes through staging graphs.

        Servers cap request sizes (``oxigraph serve`` at 128 MiB, Virtuoso at about a
        thousand triples), so a load of more than one batch is written batch by batch into
        temporary graphs and then moved into place. Where the server applies a request of
        several operations as one transaction, one final update does that; elsewhere each
        graph is moved by its own request, and if one fails the graphs moved before it are
        taken out again. If anything fails, the temporary graphs are dropped and the store
        is as it was. Blank nodes are shared within a batch only.
        """
        if not self.endpoint.update_url:
            raise StoreError(
                f"{self.description} has no update URL (set UDSYN_UPDATE_ENDPOINT) to load data"
            )
        profile = self.profile
        counter = Counter(quads)
        batches = _batches(self._placed(counter), self.batch)
        first = next(batches, [])
        second = next(batches, None)
        if second is None:  # parsed whole before the server is contacted
            if first:
                self._create({_graph_of(quad) for quad in first})
                self._send(_insert(first, profile))
            return counter.count
        staging = f"urn:udsyn:staging:{uuid.uuid4()}:"
        staged: set[str] = set()
        try:
            for batch in itertools.chain([first, second], batches):
                graphs = {_graph_of(quad) for quad in batch}
                self._create({staging + graph for graph in graphs - staged})
                staged |= graphs
                self._send(_insert(batch, profile, staging))
            self._publish(staging, staged)
        except BaseException:
            if staged:
                self._drop(staging, staged)
            raise
        return counter.count

    def _placed(self, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """The quads, with the default graph's in the profile's stand-in graph if it has one."""
        default = self.profile.default_graph
        if default is None:
            yield from quads
            return
        stand_in = ox.NamedNode(default)
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, stand_in)
            else:
                yield quad

    def _create(self, graphs: Iterable[str]) -> None:
        """Create the graphs first, where the server needs that (never the default graph)."""
        named = sorted(graph for graph in graphs if graph != _DEFAULT)
        if self.profile.create_graphs and named:
            self._send(" ;\n".join(f"CREATE SILENT GRAPH <{graph}>" for graph in named))

    def _publish(self, staging: str, staged: set[str]) -> None:
        """Move every staging graph into its place, as one transaction or graph by graph."""
        if self.profile.atomic_requests:
            self._send(_publish(staging, staged))
            return
        self._create(staged)
        bulk = self.profile.bulk_prefix
        moved: list[str] = []
        try:
            for graph in sorted(staged):
                self._send(bulk + _only_new(staging, graph))
                moved.append(graph)  # from here on, staging holds only what is added
                self._send(f"{bulk}ADD <{staging}{graph}> TO {_target(graph)}")
        except BaseException:
            for graph in moved:  # what was added is exactly what staging holds
                self._send(bulk + _take_out(staging, graph))
            raise
        self._drop(staging, staged, loaded=True)

    def _drop(self, staging: str, staged: set[str], *, loaded: bool = False) -> None:
        """Drop the staging graphs (one request each where requests are not transactions)."""
        drops = [f"DROP SILENT GRAPH <{staging}{graph}>" for graph in sorted(staged)]
        try:
            if self.profile.atomic_requests:
                self._send(" ;\n".join(drops))
            else:
                for drop in drops:
                    self._send(self.profile.bulk_prefix + drop)
        except StoreError as error:
            if not loaded:
                raise
            raise StoreError(
                f"the data is loaded, but graphs named {staging}... are left behind; drop "
                f"them with DROP SILENT GRAPH: {error}"
            ) from None

    def update(self, update: str) -> None:
        """Apply one of udsyn's own updates.

        Where the server applies a request as one transaction, it is sent as it is. Elsewhere
        an update of data operations (``INSERT DATA``, ``DELETE DATA``, ``DROP``, ``CLEAR``
        and ``CREATE`` of a graph) is applied a step at a time within the server's limits, and
        if a step fails the steps before it are undone: what was inserted (and not held
        before) is deleted, what was deleted or dropped is put back.
        """
        steps = None if self.profile.atomic_requests else _data_steps(update)
        if steps is None:
            self._send(update)
            return
        undo: list[list[str]] = []
        try:
            for kind, graph, quads in steps:
                undo.append([])
                self._step(kind, graph, list(self._placed(quads)), undo[-1])
        except BaseException:
            for step in reversed(undo):
                for request in step:
                    self._send(request)
            raise

    def _step(self, kind: str, graph: str | None, quads: list[ox.Quad], undo: list[str]) -> None:
        """Apply one data operation in batches, adding to ``undo`` what undoes each batch."""
        if kind in ("drop", "clear"):
            assert graph is not None
            held = list(self._graph_quads(graph))
            self._send(f"{kind.upper()} SILENT GRAPH <{graph}>")
            undo += [f"CREATE SILENT GRAPH <{graph}>"] if kind == "drop" else []
            undo += [_insert(batch, self.profile) for batch in _batches(held, self.batch)]
            return
        if kind == "create":
            self._create([graph or _DEFAULT])
            return
        held = self._held(quads)
        changed = [quad for quad in quads if (quad in held) == (kind == "delete")]
        for batch in _batches(changed, self.batch):
            if kind == "insert":
                self._create({_graph_of(quad) for quad in batch})
                self._send(_insert(batch, self.profile))
                undo.append(_data("DELETE", [q for q in batch if not _blank(q)]))
            else:
                self._send(_data("DELETE", batch))
                undo.append(_insert(batch, self.profile))

    def _graph_quads(self, graph: str) -> Iterator[ox.Quad]:
        solutions = self.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        for row in solutions:
            yield ox.Quad(row["s"], row["p"], row["o"], ox.NamedNode(graph))

    def _held(self, quads: list[ox.Quad]) -> set[ox.Quad]:
        """Which of the quads the store holds already (blank nodes are never held)."""
        by_graph: dict[str, set[str]] = {}
        for quad in quads:
            if not _blank(quad) and not isinstance(quad.graph_name, ox.DefaultGraph):
                by_graph.setdefault(quad.graph_name.value, set()).add(str(quad.subject))
        held: set[ox.Quad] = set()
        for graph, subjects in by_graph.items():
            listed = sorted(subjects)
            for start in range(0, len(listed), self.batch):
                named = ", ".join(listed[start : start + self.batch])
                solutions = self.select(
                    f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} "
                    f"FILTER(?s IN ({named})) }}"
                )
                node = ox.NamedNode(graph)
                held |= {ox.Quad(row["s"], row["p"], row["o"], node) for row in solutions}
        return held

    def _send(self, update: str) -> None:
        """Send an update request as it is."""
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
            if self.endpoint.auth == "digest":
                client.setHTTPAuth(DIGEST)
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
        text = _bytes_text(text)
    return " ".join(text.split())[:500] or error.msg


def _bytes_text(written: str) -> str:
    """The text of a ``b'...'`` representation, decoded as UTF-8 (not letter by letter)."""
    try:
        raw = ast.literal_eval(written)
    except (SyntaxError, ValueError):
        return written[2:-1]
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


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


def _in_graphs(left_out: Iterable[str | None]) -> str:
    """A pattern of every triple in a named graph other than those left out."""
    named = ", ".join(f"<{iri}>" for iri in left_out if iri)
    if not named:
        return "GRAPH ?g { ?s ?p ?o }"
    return f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g NOT IN ({named}))"


def _graph_of(quad: ox.Quad) -> str:
    return _DEFAULT if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value


def _target(graph: str) -> str:
    return "DEFAULT" if graph == _DEFAULT else f"<{graph}>"


def _insert(quads: list[ox.Quad], profile: ServerProfile, staging: str | None = None) -> str:
    """One insert request for the quads, into their graphs or into staging graphs.

    ``INSERT DATA``, or where the profile wants it and the batch has blank nodes (or literals
    of a datatype the server converts, which its ``INSERT DATA`` refuses), ``INSERT { ... }
    WHERE { }``, whose template mints one fresh node per label.
    """
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        line = f"{quad.subject} {quad.predicate} {quad.object} ."
        by_graph.setdefault(_graph_of(quad), []).append(line)
    blocks = []
    for graph, lines in by_graph.items():
        body = "\n".join(lines)
        if staging is not None:
            blocks.append(f"GRAPH <{staging}{graph}> {{\n{body}\n}}")
        else:
            blocks.append(body if graph == _DEFAULT else f"GRAPH <{graph}> {{\n{body}\n}}")
    data = "\n".join(blocks)
    if profile.blank_nodes == "template" and any(_needs_template(quad, profile) for quad in quads):
        return f"INSERT {{\n{data}\n}} WHERE {{ }}"
    return f"INSERT DATA {{\n{data}\n}}"


def _blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _data(operation: str, quads: list[ox.Quad]) -> str:
    """``INSERT DATA`` or ``DELETE DATA`` of the quads, each in its graph."""
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        by_graph.setdefault(_graph_of(quad), []).append(
            f"{quad.subject} {quad.predicate} {quad.object} ."
        )
    blocks = [
        "\n".join(lines) if graph == _DEFAULT else f"GRAPH <{graph}> {{ " + "\n".join(lines) + " }"
        for graph, lines in by_graph.items()
    ]
    return f"{operation} DATA {{\n" + "\n".join(blocks) + "\n}"


_STEPS = {"insert_data": "insert", "delete_data": "delete", "drop": "drop", "clear": "clear",
          "create": "create"}  # fmt: skip


def _data_steps(update: str) -> list[tuple[str, str | None, list[ox.Quad]]] | None:
    """The update as data operations (kind, graph, quads), or None if it holds another kind
    of operation (or a ``DROP``/``CLEAR`` of more than one graph)."""
    source = update.encode("utf-8")
    tree = parse_tree(update)
    if tree.root_node.has_error:
        return None
    steps: list[tuple[str, str | None, list[ox.Quad]]] = []
    for node in tree.root_node.children:
        if node.type in (";", "comment"):
            continue
        kind = _STEPS.get(node.type)
        if kind is None:
            return None
        text = source[node.start_byte : node.end_byte].decode("utf-8")
        if kind in ("insert", "delete"):
            block = text[text.index("{") + 1 : text.rindex("}")]
            quads = list(ox.parse(block.encode("utf-8"), format=ox.RdfFormat.TRIG))
            steps.append((kind, None, quads))
            continue
        graph = re.search(r"\bGRAPH\s*<([^>]*)>", text)
        if graph is None:
            return None
        steps.append((kind, graph.group(1), []))
    return steps


def _needs_template(quad: ox.Quad, profile: ServerProfile) -> bool:
    term = quad.object
    if isinstance(quad.subject, ox.BlankNode) or isinstance(term, ox.BlankNode):
        return True
    return isinstance(term, ox.Literal) and term.datatype.value in profile.lossy_datatypes


def _publish(staging: str, staged: set[str]) -> str:
    """One update that moves every staging graph into its place and drops the staging graphs."""
    operations = [f"ADD <{staging}{graph}> TO {_target(graph)}" for graph in sorted(staged)]
    operations += [f"DROP GRAPH <{staging}{graph}>" for graph in sorted(staged)]
    return " ;\n".join(operations)


def _only_new(staging: str, graph: str) -> str:
    """Take out of a staging graph the triples its target already holds."""
    target = "" if graph == _DEFAULT else f"GRAPH <{graph}> "
    return (
        f"DELETE {{ GRAPH <{staging}{graph}> {{ ?s ?p ?o }} }} WHERE {{ "
        f"GRAPH <{staging}{graph}> {{ ?s ?p ?o }} {target}{{ ?s ?p ?o }} }}"
    )


def _take_out(staging: str, graph: str) -> str:
    """Undo a move: take out of the target what its staging graph holds."""
    target = "" if graph == _DEFAULT else f"GRAPH <{graph}> "
    return (
        f"DELETE {{ {target}{{ ?s ?p ?o }} }} WHERE {{ GRAPH <{staging}{graph}> {{ ?s ?p ?o }} }}"
    )


def _prologue(base_iri: str) -> str:
    """One line with the base and the project's prefixes, so that queries need not declare
    them; the query's own declarations come after it and take precedence."""
    prefixes = " ".join(f"PREFIX {name}: <{iri}>" for name, iri in VOCABULARIES.items())
    return f"BASE <{base_iri}> {prefixes} "


def _refuse_unfaithful(text: str, profile: ServerProfile) -> None:
    """A named question the server is known to answer wrongly is refused, never answered."""
    title = re.match(r"\s*# title: *(.+)", text)
    if title is None or title.group(1).strip() not in profile.unfaithful_questions:
        return
    name = title.group(1).strip()
    raise QueryFailed(
        f"a {profile.name} server does not answer the question {name!r} as SPARQL 1.1 "
        f"says ({profile.unfaithful_questions[name]}); ask it of the embedded store or of "
        "a server with another profile"
    )


def _is_distinct(text: str) -> bool:
    """Whether the query is ``SELECT DISTINCT`` (or ``REDUCED``) at its top level."""
    for query in parse_tree(text).root_node.children:
        for clause in query.children:
            if clause.type == "select_clause":
                return any(child.type in ("DISTINCT", "REDUCED") for child in clause.children)
    return False


def _rewrites_answers(profile: ServerProfile) -> bool:
    """Whether the server's answers are read and checked before they are passed on."""
    return bool(profile.blank_node_prefix or profile.lossy_datatypes)


def _refuse_cut_answers(headers: Mapping[str, str], url: str) -> None:
    """An answer the server says it cut short (a 200 all the same) is an error."""
    for name, message in CUT_SHORT_HEADERS.items():
        value = headers.get(name)
        if value is not None:
            raise QueryFailed(f"{message.format(value=value.strip())} (the server at {url})")


def _parse_answer(
    response: BinaryIO, sent_format: Format, profile: ServerProfile, distinct: bool = False
) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
    """The answer as pyoxigraph reads it, mended and checked as the profile says; with
    ``distinct`` (a ``SELECT DISTINCT`` or ``REDUCED``), repeated rows left out."""
    if sent_format.is_rdf:
        triples = (quad.triple for quad in ox.parse(response, format=sent_format.native))
        return _checked_triples(triples, profile) if _rewrites_answers(profile) else triples
    if not _rewrites_answers(profile):
        return ox.parse_query_results(response, format=sent_format.native)
    document = json.loads(response.read().decode("utf-8"))
    rows = document.get("results", {}).get("bindings", [])
    for row in rows:
        for value in row.values():
            _mend_term(value, profile)
    if distinct and profile.distinct_in_client:
        seen: set[str] = set()
        unique = []
        for row in rows:
            key = json.dumps(row, sort_keys=True)
            if key not in seen:
                seen.add(key)
                unique.append(row)
        document["results"]["bindings"] = unique
    data = json.dumps(document).encode("utf-8")
    return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)


def _mend_term(value: dict[str, Any], profile: ServerProfile) -> None:
    """A JSON result term as SPARQL writes it: blank node labels without the server's
    prefix; a literal of a datatype the server changes is refused."""
    prefix = profile.blank_node_prefix
    if value.get("type") == "bnode" and prefix and value.get("value", "").startswith(prefix):
        value["value"] = value["value"][len(prefix) :]
    if value.get("datatype") in profile.lossy_datatypes:
        raise QueryFailed(_lossy(value["datatype"], profile))


def _checked_triples(triples: Iterable[ox.Triple], profile: ServerProfile) -> Iterator[ox.Triple]:
    """The triples once each (a graph is a set), a literal the server changed refused."""
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple in seen:
            continue
        seen.add(triple)
        term = triple.object
        if isinstance(term, ox.Literal) and term.datatype.value in profile.lossy_datatypes:
            raise QueryFailed(_lossy(term.datatype.value, profile))
        yield triple


def _lossy(datatype: str, profile: ServerProfile) -> str:
    return (
        f"the answer holds a literal of type <{datatype}>, which a {profile.name} server "
        "does not give back as it was written (xsd:duration comes back as a number); "
        "leave it out of the answer, or use the embedded store or a server with another profile"
    )
