"""``/sparql``: the SPARQL 1.1 Protocol query operation.

Queries come by GET, by POST form-encoded, or by POST ``application/sparql-query``; the
dataset by ``default-graph-uri`` and ``named-graph-uri`` (a graph the store does not hold is
an empty graph). The answer's format is negotiated from ``Accept`` (q-values honoured) unless
a ``format`` parameter names one. SPARQL Update is not accepted here. A GET without a query
answers with the endpoint's SPARQL 1.1 Service Description, which lists the prefixes every
query may use without declaring them (``sh:declare``, as SHACL declares prefixes).

This is the service's hot path, so it is a plain ASGI application (Starlette's request and
response, CORS the only middleware) beside the FastAPI application that serves the rest; its
OpenAPI description is :data:`OPENAPI_PATH`. The web process never parses a query: the
worker that runs it does, within the time limit. A request larger than the configured size
is refused before it is read whole.
"""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from udsyn.config import Settings
from udsyn.formats import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    NotAcceptable,
    by_name,
    choose_format,
)
from udsyn.namespaces import VOCABULARIES
from udsyn.runtime.pool import Queries
from udsyn.runtime.worker import Job
from udsyn.web.cors import CrossOrigin
from udsyn.web.errors import ProtocolError, answer_lean, answer_media_type

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SH = "http://www.w3.org/ns/shacl#"
XSD_ANY_URI = "http://www.w3.org/2001/XMLSchema#anyURI"
_FORMAT_IRIS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"

_QUERY_PARAMETERS = [
    {"name": "query", "in": "query", "schema": {"type": "string"},
     "description": "The SPARQL query; without it, the service description."},
    {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {
        "type": "string"}}, "description": "Graphs that make up the default graph."},
    {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {
        "type": "string"}}, "description": "Graphs available to GRAPH patterns."},
    {"name": "format", "in": "query", "schema": {"type": "string"}, "description":
     "Answer format, overriding Accept: json, xml, csv, tsv (SELECT, ASK); turtle, "
     "ntriples, jsonld, rdfxml (CONSTRUCT, DESCRIBE)."},
]  # fmt: skip
_ANSWERS = {
    "200": {"description": "The answer, in the negotiated format.",
            "content": {f.media_type: {"schema": {"type": "string"}}
                        for f in RESULT_FORMATS + GRAPH_FORMATS}},
    "400": {"description": "A malformed or refused query, with the reason."},
    "406": {"description": "No format the client accepts fits the answer."},
    "413": {"description": "The request is larger than the service accepts."},
    "503": {"description": "The query ran too long or needed too much memory."},
}  # fmt: skip


_BODY = {
    "required": True,
    "content": {
        DIRECT: {"schema": {"type": "string"}},
        FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}},
                          "required": ["query"]}},
    },
}  # fmt: skip

# The endpoint's operations in the service's OpenAPI document (see app.py).
OPENAPI_PATH = {
    "get": {
        "tags": ["SPARQL"],
        "summary": "SPARQL 1.1 query by GET",
        "description": "Answer one SPARQL query over the store (SELECT, ASK, CONSTRUCT, "
        "DESCRIBE); without a query, the endpoint's SPARQL 1.1 Service Description.",
        "operationId": "sparql_query_get",
        "parameters": _QUERY_PARAMETERS,
        "responses": _ANSWERS,
    },
    "post": {
        "tags": ["SPARQL"],
        "summary": "SPARQL 1.1 query by POST",
        "description": "Answer one SPARQL query sent in the body (form-encoded or "
        "`application/sparql-query`).",
        "operationId": "sparql_query_post",
        "parameters": _QUERY_PARAMETERS[1:],
        "requestBody": _BODY,
        "responses": _ANSWERS,
    },
}


def sparql_endpoint(settings: Settings, pool: Queries) -> ASGIApp:
    """The ``/sparql`` application, with CORS for browsers on other origins."""
    return CrossOrigin(SparqlEndpoint(settings, pool))


class SparqlEndpoint:
    """``/sparql`` as a plain ASGI application: the protocol's checks, then the worker pool."""

    def __init__(self, settings: Settings, pool: Queries) -> None:
        self.settings = settings
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_lean(scope, receive, send, {"GET": self.get, "POST": self.post})

    async def get(self, request: Request) -> Response:
        """Answer one SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE), or describe the
        endpoint when no query is given."""
        limit = self.settings.max_request_bytes
        if len(request.scope["query_string"]) > limit:
            raise ProtocolError(414, f"the query string is longer than {limit} bytes; send the "
                                "query by POST")  # fmt: skip
        parameters = _multi(request)
        if "update" in parameters:
            raise ProtocolError(403, "SPARQL Update is not accepted on the public endpoint")
        if not parameters.get("query"):
            return service_description(request, self.settings)
        return await self._answer(request, parameters)

    async def post(self, request: Request) -> Response:
        """Answer one SPARQL query sent in the body (form-encoded or
        ``application/sparql-query``)."""
        parameters = _multi(request)
        media_type, charset = _content_type(request.headers.get("content-type", ""))
        if media_type == "application/sparql-update" or "update" in parameters:
            raise ProtocolError(403, "SPARQL Update is not accepted on the public endpoint")
        if media_type not in (FORM, DIRECT):
            raise ProtocolError(
                415, f"a POST body must be {FORM} or {DIRECT}, not {media_type or 'untyped'}"
            )
        if charset not in ("", "utf-8"):
            raise ProtocolError(415, f"the body must be UTF-8, not {charset}")
        text = await _read_body(request, self.settings.max_request_bytes)
        if media_type == FORM:
            for name, values in parse_qs(text, keep_blank_values=True).items():
                parameters.setdefault(name, []).extend(values)
            if "update" in parameters:
                raise ProtocolError(403, "SPARQL Update is not accepted on the public endpoint")
        else:
            parameters.setdefault("query", []).append(text)
        return await self._answer(request, parameters)

    async def _answer(self, request: Request, parameters: dict[str, list[str]]) -> Response:
        queries = parameters.get("query", [])
        if len(queries) != 1:
            raise ProtocolError(
                400, "send exactly one query" if queries else "no query: send a 'query' parameter"
            )
        table, graph, refusal = _answer_formats(request, parameters)
        job = Job(
            queries[0],
            table.name if table else None,
            graph.name if graph else None,
            tuple(parameters.get("default-graph-uri", ())),
            tuple(parameters.get("named-graph-uri", ())),
            max_rows=self.settings.max_rows,
            refusal=refusal,
        )
        answer = await self.pool.run(job)
        chosen = by_name(answer.format, RESULT_FORMATS + GRAPH_FORMATS)
        return Response(
            answer.body, media_type=answer_media_type(chosen), headers={"Vary": "Accept"}
        )


def service_description(request: Request, settings: Settings) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in a negotiated RDF format.

    The endpoint's IRI is the configured public address, never the request's Host header.
    """
    chosen = choose_format(request.headers.get("accept"), None, GRAPH_FORMATS)
    endpoint = ox.NamedNode(settings.service_url + "sparql")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(endpoint, ox.NamedNode(RDF_TYPE), sd("Service")),
        ox.Triple(endpoint, sd("endpoint"), endpoint),
        ox.Triple(endpoint, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(endpoint, sd("feature"), sd("UnionDefaultGraph")),
        *(
            ox.Triple(endpoint, sd("resultFormat"), ox.NamedNode(_FORMAT_IRIS[choice.name]))
            for choice in RESULT_FORMATS + GRAPH_FORMATS
        ),
        *_prefix_declarations(endpoint),
    ]
    body = ox.serialize(triples, format=chosen.native, prefixes={"sd": SD, **VOCABULARIES})
    return Response(body, media_type=answer_media_type(chosen), headers={"Vary": "Accept"})


def _prefix_declarations(endpoint: ox.NamedNode) -> list[ox.Triple]:
    """The prefixes every query may use undeclared, as SHACL prefix declarations."""
    triples = []
    for name, namespace in VOCABULARIES.items():
        declaration = ox.BlankNode()
        triples += [
            ox.Triple(endpoint, ox.NamedNode(SH + "declare"), declaration),
            ox.Triple(declaration, ox.NamedNode(SH + "prefix"), ox.Literal(name)),
            ox.Triple(declaration, ox.NamedNode(SH + "namespace"),
                      ox.Literal(namespace, datatype=ox.NamedNode(XSD_ANY_URI))),
        ]  # fmt: skip
    return triples


async def _read_body(request: Request, limit: int) -> str:
    """The body as text, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProtocolError(413, f"the request body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ProtocolError(413, f"the request body is larger than {limit} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the body is not valid UTF-8") from None


def _multi(request: Request) -> dict[str, list[str]]:
    """The query string's parameters, each with its values in order (read as Starlette does)."""
    grouped: dict[str, list[str]] = {}
    query_string = request.scope["query_string"].decode("latin-1")
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    return grouped


def _content_type(header: str) -> tuple[str, str]:
    media_type, *options = (part.strip() for part in header.split(";"))
    charset = ""
    for option in options:
        key, _, value = option.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.lower(), charset


def _answer_formats(
    request: Request, parameters: dict[str, list[str]]
) -> tuple[Format | None, Format | None, str]:
    """The answer format for solutions and for graphs; the worker picks by the query's form.

    A kind no acceptable format fits gets ``None`` and the reason, told to the client only
    if the query is of that kind; if neither kind fits, the request is refused here.
    """
    accept = request.headers.get("accept")
    named = parameters.get("format", [None])[0]
    chosen: list[Format | None] = []
    refusals: list[NotAcceptable] = []
    for choices in (RESULT_FORMATS, GRAPH_FORMATS):
        try:
            chosen.append(choose_format(accept, named, choices))
        except NotAcceptable as refusal:
            chosen.append(None)
            refusals.append(refusal)
    if len(refusals) == 2:
        raise refusals[0]
    return chosen[0], chosen[1], str(refusals[0]) if refusals else ""
