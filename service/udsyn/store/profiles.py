"""What differs between SPARQL servers, in one small record per engine.

A :class:`ServerProfile` tells the remote store how to load into a server (batch size, blank
nodes, graph creation, whether one request of several operations is one transaction), how to
read it (how graphs are listed, which graphs are the server's own, how parameters are bound)
and how it marks an answer it cut short. The profile is named in the configuration
(``UDSYN_ENDPOINT_PROFILE``, ``profile`` under ``[udsyn.remote]``) or detected from the
``Server`` header of the server's first answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class ServerProfile:
    """How udsyn talks to one kind of SPARQL server."""

    name: str
    batch: int
    """The most quads one update request carries."""
    blank_nodes: str
    """``data``: blank nodes go in ``INSERT DATA`` as labels. ``template``: a batch with blank
    nodes goes as ``INSERT { ... } WHERE { }``, which mints a fresh node per label."""
    atomic_requests: bool
    """A request of several update operations is applied as one transaction."""
    create_graphs: bool
    """Graphs are created (``CREATE SILENT GRAPH``) before data goes into them."""
    bulk_prefix: str
    """Written before the updates that move, take out or drop a whole graph, where the
    server needs it for large ones (Virtuoso: ``define sql:log-enable 3``, row-by-row
    commits, so that millions of triples do not pass its transaction-log limit; a move
    that fails part way is taken out again like any failed move)."""
    default_graph: str | None
    """The named graph that stands for the default graph on servers that have none."""
    list_graphs: str
    """The query whose ``?g`` solutions are the server's graphs."""
    system_graphs: tuple[str, ...] = ()
    """Patterns (regular expressions, matched whole) of the server's own graphs, which are
    left out of graph lists, counts, exports and the test for an empty store."""
    inline_bindings: bool = False
    """Parameters are written into the query text as terms (besides a ``VALUES`` block), for
    servers that do not see a ``VALUES`` binding inside ``OPTIONAL`` and ``FILTER``."""
    lossy_datatypes: frozenset[str] = frozenset()
    """Datatypes whose literals the server does not give back as written: an answer that
    holds one is refused, never passed on changed."""
    blank_node_prefix: str = ""
    """What the server writes before a blank node's label in JSON results."""
    distinct_in_client: bool = False
    """The rows of a ``SELECT DISTINCT`` are made distinct again as they are read, for
    servers that let repeated rows through (Virtuoso does, after ``OPTIONAL``s)."""
    unfaithful_questions: Mapping[str, str] = field(default_factory=dict)
    """Named questions (by the title in their header) the server answers differently from
    SPARQL 1.1, with what goes wrong: asked of this server, they are refused."""

    def is_system_graph(self, iri: str) -> bool:
        """Whether the graph is the server's own (or stands for the default graph)."""
        if iri == self.default_graph:
            return True
        return any(re.fullmatch(pattern, iri) for pattern in self.system_graphs)


# SPARQL 1.1 as written: Oxigraph (``oxigraph serve --union-default-graph``), Fuseki.
OXIGRAPH = ServerProfile(
    name="oxigraph",
    batch=250_000,
    blank_nodes="data",
    atomic_requests=True,
    create_graphs=False,
    bulk_prefix="",
    default_graph=None,
    list_graphs="SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
)

# OpenLink Virtuoso 7: ``INSERT DATA`` refuses blank nodes and more than about a thousand
# triples; there is no default graph to write to; ``GRAPH ?g { }`` matches nothing; a request
# of several operations commits each one; its own graphs hold thousands of triples; it gives
# xsd:duration literals back as a number; blank nodes come back as ``nodeID://`` IRIs.
VIRTUOSO = ServerProfile(
    name="virtuoso",
    batch=500,
    blank_nodes="template",
    atomic_requests=False,
    create_graphs=True,
    bulk_prefix="define sql:log-enable 3 ",
    default_graph="urn:udsyn:default-graph",
    list_graphs="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
    system_graphs=(
        re.escape("http://www.openlinksw.com/schemas/virtrdf#"),
        re.escape("http://www.w3.org/ns/ldp#"),
        re.escape("http://www.w3.org/2002/07/owl#"),
        r"http://[^/]+/sparql",
        r"http://[^/]+/DAV/",
        r"http://www\.openlinksw\.com/schemas/.*",
    ),
    inline_bindings=True,
    lossy_datatypes=frozenset(
        {XSD + "duration", XSD + "yearMonthDuration", XSD + "dayTimeDuration"}
    ),
    blank_node_prefix="nodeID://",
    distinct_in_client=True,
    # Compared with the embedded store on the shipped graph (tests/test_virtuoso.py).
    unfaithful_questions={
        # its label lookups join literal values as subjects; written to spare Virtuoso that,
        # the question ran 150 to 400 times slower on the embedded store
        "Everything about one resource": "literal values joined as subjects are lost",
    },
)

PROFILES = {profile.name: profile for profile in (OXIGRAPH, VIRTUOSO)}

# Headers with which a server says that the answer it sent is not the whole answer.
CUT_SHORT_HEADERS = {
    "x-sparql-maxrows": "the server cut the answer at {value} rows (its ResultSetMaxRows); "
    "raise that limit on the server or narrow the query",
    "x-sql-state": "the server stopped the query before it finished (state {value}: its "
    "MaxQueryExecutionTime) and sent a partial answer; narrow the query or raise the limit",
}


def profile_named(name: str) -> ServerProfile:
    """The profile of that name; a clear error names the known ones."""
    try:
        return PROFILES[name.lower()]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown SPARQL server profile {name!r}; known: {known}") from None


def profile_for_server(server_header: str | None) -> ServerProfile:
    """The profile for the engine a ``Server`` header names (SPARQL 1.1 as written if none)."""
    if server_header and server_header.lower().startswith("virtuoso"):
        return VIRTUOSO
    return OXIGRAPH
