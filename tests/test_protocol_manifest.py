"""The W3C SPARQL 1.1 Protocol tests, read from the official manifest and run over HTTP.

Query tests run as the manifest says, on a service whose store holds the manifest's graphs.
The update tests expect the endpoint to change data; udsyn's public endpoint is read-only,
so for those the expected answer is a refusal (4xx) with a reason.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from .conftest import RunningService, start_service, stop_service

MANIFEST = (
    Path(__file__).resolve().parents[2]
    / "shared" / "reference" / "w3c-sparql11-protocol" / "manifest.ttl"
)  # fmt: skip
DATA = "http://kasei.us/2009/09/sparql/data/"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="the W3C manifest is not beside")


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    expected_format: str | None
    expected_boolean: bool | None


def read_manifest() -> list[tuple[str, list[ProtocolRequest]]]:
    graph = rdflib.Graph().parse(MANIFEST)
    entries = rdflib.collection.Collection(graph, next(graph.objects(None, MF.entries)))
    tests = []
    for test in entries:
        connection = graph.value(test, MF.action)
        requests = rdflib.collection.Collection(graph, graph.value(connection, HT.requests))
        tests.append((str(test).split("#")[-1], [read_request(graph, r) for r in requests]))
    return tests


def read_request(graph: rdflib.Graph, node: rdflib.term.Node) -> ProtocolRequest:
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in rdflib.collection.Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        chars = str(graph.value(body_node, CNT.chars))
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = chars.encode("utf-16" if "16" in encoding else "utf-8")
    response = graph.value(node, HT.resp)
    statuses = {str(s).split("#")[-1] for s in graph.objects(response, MF.expectedStatus)}
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return ProtocolRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(expected_format) if expected_format else None,
        expected_boolean=bool(expected_boolean.toPython()) if expected_boolean else None,
    )


TESTS = read_manifest() if MANIFEST.is_file() else []


@pytest.fixture(scope="module")
def protocol_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A service whose store holds the manifest's graphs data0.rdf to data3.rdf."""
    folder = tmp_path_factory.mktemp("protocol")
    store = folder / "store"
    for number in range(4):
        document = f"{DATA}data{number}.rdf"
        (folder / f"data{number}.ttl").write_text(
            f"<{document}> a <http://xmlns.com/foaf/0.1/Document> .\n", encoding="utf-8"
        )
        subprocess.run(
            [sys.executable, "-m", "udsyn", "--store", str(store), "load",
             str(folder / f"data{number}.ttl"), "--graph", document],
            check=True, capture_output=True,
        )  # fmt: skip
    service = start_service(store)
    yield service
    stop_service(service)


def status_class(code: int) -> str:
    return f"StatusCode{code // 100}xx"


@pytest.mark.parametrize("name, requests", TESTS, ids=[name for name, _ in TESTS])
def test_protocol_manifest(
    protocol_service: RunningService, name: str, requests: list[ProtocolRequest]
) -> None:
    is_update = name.startswith(("update_", "bad_update")) or any(
        "sparql-update" in r.headers.get("content-type", "") for r in requests
    )
    for request in requests:
        answer = httpx.request(
            request.method,
            protocol_service.url + request.path,
            headers=request.headers,
            content=request.body,
            timeout=30,
        )
        if is_update and _sends_update(request):
            assert 400 <= answer.status_code < 500, answer.text
            assert answer.text.strip()
            return
        assert status_class(answer.status_code) in request.statuses, answer.text
        check_format(answer, request)


def _sends_update(request: ProtocolRequest) -> bool:
    query = urllib.parse.urlparse(request.path).query
    body = (request.body or b"").decode("utf-8", "replace")
    return (
        "update=" in query
        or body.startswith("update=")
        or "sparql-update" in request.headers.get("content-type", "")
    )


def check_format(answer: httpx.Response, request: ProtocolRequest) -> None:
    media_type = answer.headers.get("content-type", "").split(";")[0]
    tabular = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/csv": ox.QueryResultsFormat.CSV,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }
    rdf = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }
    if request.expected_format in ("boolean", "tabular"):
        assert media_type in tabular
        accepted = request.headers.get("accept", "")
        if accepted:
            assert media_type in accepted or "*/*" in accepted
    if request.expected_format == "RDF":
        assert media_type in rdf
        list(ox.parse(answer.content, format=rdf[media_type]))
    if request.expected_boolean is not None:
        result = ox.parse_query_results(answer.content, format=tabular[media_type])
        assert bool(result) is request.expected_boolean
