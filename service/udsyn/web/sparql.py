"""``/sparql``: the SPARQL 1.1 Protocol query operation.

Queries come by GET, by POST form-encoded, or by POST ``application/sparql-query``; the
dataset by ``default-graph-uri`` and ``named-graph-uri``. The answer's format is negotiated
from ``Accept`` (q-values honoured) unless a ``format`` parameter names one. SPARQL Update is
not accepted here. A GET without a query answers with the endpoint's SPARQL 1.1 Service
Description.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams

from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from udsyn.sparql import QueryRefused, inspect
from udsyn.web.errors import ProtocolError, answer_media_type, choose_format
from udsyn.workers import Job

router = APIRouter(tags=["SPARQL"])

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
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

_PARAMETERS = [
    {"name": "query", "in": "query", "schema": {"type": "string"},
     "description": "The SPARQL query (GET, or POST with a form body)."},
    {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {
        "type": "string"}}, "description": "Graphs that make up the default graph."},
    {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {
        "type": "string"}}, "description": "Graphs available to GRAPH patterns."},
    {"name": "format", "in": "query", "schema": {"type": "string"}, "description":
     "Answer format, overriding Accept: json, xml, csv, tsv (SELECT, ASK); turtle, "
     "ntriples, jsonld, rdfxml (CONSTRUCT, DESCRIBE)."},
]  # fmt: skip


@router.api_route(
    "/sparql",
    methods=["GET", "POST"],
    summary="SPARQL 1.1 query endpoint",
    openapi_extra={
        "parameters": _PARAMETERS,
        "requestBody": {
            "content": {
                DIRECT: {"schema": {"type": "string"}},
                FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
            }
        },
    },
    response_class=Response,
)
async def sparql_query(request: Request) -> Response:
    """Answer one SPARQL query over the store (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    parameters = await _protocol_parameters(request)
    if "update" in parameters:
        raise ProtocolError(403, "SPARQL Update is not accepted on the public endpoint")
    queries = parameters.get("query", [])
    if not queries and request.method == "GET":
        return service_description(request)
    if len(queries) != 1:
        raise ProtocolError(
            400, "send exactly one query" if queries else "no query: send a 'query' parameter"
        )
    settings = request.app.state.settings
    try:
        form = inspect(queries[0], settings.base_iri).form
    except QueryRefused as refusal:
        raise ProtocolError(400, str(refusal)) from None
    chosen = _answer_format(request, parameters, form)
    job = Job(
        queries[0],
        chosen.name,
        tuple(parameters.get("default-graph-uri", ())),
        tuple(parameters.get("named-graph-uri", ())),
        max_rows=settings.max_rows,
    )
    body = await request.app.state.pool.run(job)
    return Response(body, media_type=answer_media_type(chosen), headers={"Vary": "Accept"})


def service_description(request: Request) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in a negotiated RDF format."""
    chosen = choose_format(request.headers.get("accept"), None, GRAPH_FORMATS)
    endpoint = ox.NamedNode(str(request.url.replace(query="")))

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
    ]
    body = ox.serialize(triples, format=chosen.native, prefixes={"sd": SD})
    return Response(body, media_type=answer_media_type(chosen), headers={"Vary": "Accept"})


async def _protocol_parameters(request: Request) -> dict[str, list[str]]:
    """The protocol's parameters from the URL and, for POST, from the body."""
    parameters = _multi(request.query_params)
    if request.method != "POST":
        return parameters
    media_type, charset = _content_type(request.headers.get("content-type", ""))
    if charset not in ("", "utf-8"):
        raise ProtocolError(415, f"the body must be UTF-8, not {charset}")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the body is not valid UTF-8") from None
    if media_type == FORM:
        for name, values in parse_qs(text, keep_blank_values=True).items():
            parameters.setdefault(name, []).extend(values)
    elif media_type == DIRECT:
        parameters.setdefault("query", []).append(text)
    elif media_type == "application/sparql-update":
        raise ProtocolError(403, "SPARQL Update is not accepted on the public endpoint")
    else:
        raise ProtocolError(
            415, f"a POST body must be {FORM} or {DIRECT}, not {media_type or 'untyped'}"
        )
    return parameters


def _multi(params: QueryParams) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in params.multi_items():
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


def _answer_format(request: Request, parameters: dict[str, list[str]], form: str) -> Format:
    choices = GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_FORMATS
    named = parameters.get("format", [None])[0]
    return choose_format(request.headers.get("accept"), named, choices)
