"""The SPARQL endpoint of a running service: protocol, formats, limits and safety.

Every test talks HTTP to a real uvicorn server started by ``udsyn serve``; the endpoint is
checked on the embedded store and on a remote ``oxigraph serve``.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from udsyn.namespaces import VOCABULARIES

from .conftest import (
    Listener,
    OxigraphServer,
    RunningService,
    start_oxigraph,
    start_service,
    stop_service,
)

UDS = "https://w3id.org/udsyn/ontology#"
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def remote_backed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The service in front of its own ``oxigraph serve``, the strategy loaded through it."""
    server: OxigraphServer = start_oxigraph(tmp_path_factory.mktemp("remote-oxigraph"))
    service = start_service(
        tmp_path_factory.mktemp("unused") / "store",
        UDSYN_ENDPOINT=server.endpoint.query_url,
        UDSYN_UPDATE_ENDPOINT=server.endpoint.update_url or "",
        UDSYN_QUERY_TIMEOUT="2",
        UDSYN_MAX_ROWS="50",
    )
    yield service
    stop_service(service)
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The embedded service with a short time limit and a small row limit."""
    service = start_service(
        tmp_path_factory.mktemp("limited") / "store",
        UDSYN_QUERY_TIMEOUT="2",
        UDSYN_MAX_ROWS="50",
    )
    yield service
    stop_service(service)


@pytest.fixture(params=["embedded", "remote"])
def either(request: pytest.FixtureRequest) -> RunningService:
    """A limited service on each store: time limit 2 s, row limit 50."""
    return request.getfixturevalue("limited" if request.param == "embedded" else "remote_backed")


def sparql(service: RunningService, query: str, **options) -> httpx.Response:
    return httpx.get(f"{service.url}/sparql", params={"query": query}, timeout=30, **options)


# -- the protocol's three ways to send a query ----------------------------------------------


def test_the_readme_check_answers_true(service: RunningService) -> None:
    answer = httpx.get(f"{service.url}/sparql", params={"query": "ASK{?s ?p ?o}"})
    assert answer.status_code == 200
    assert answer.json() == {"head": {}, "boolean": True}


def test_get_post_form_and_post_direct_agree(service: RunningService) -> None:
    query = f"SELECT ?r WHERE {{ ?r a <{UDS}Region> }} ORDER BY ?r"
    by_get = httpx.get(f"{service.url}/sparql", params={"query": query})
    by_form = httpx.post(f"{service.url}/sparql", data={"query": query})
    by_body = httpx.post(
        f"{service.url}/sparql",
        content=query.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.json() == by_form.json() == by_body.json()
    regions = [row["r"]["value"] for row in by_get.json()["results"]["bindings"]]
    assert "https://w3id.org/udsyn/id/region/brasov" in regions


@pytest.mark.parametrize(
    "request_options, status",
    [
        ({"method": "PUT", "params": {"query": "ASK {}"}}, 405),
        ({"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
        ({"method": "POST", "data": {"default-graph-uri": "http://example.org/g"}}, 400),
        ({"method": "GET", "params": {"query": "ASK {"}}, 400),
        ({"method": "POST", "content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"method": "POST", "content": b"query=ASK%20%7B%7D"}, 415),
        ({"method": "POST", "content": "ASK {}".encode("utf-16"),
          "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 415),
        ({"method": "POST", "content": b"ASK {\xff}",
          "headers": {"Content-Type": "application/sparql-query"}}, 400),
        ({"method": "GET", "params": {"update": "CLEAR ALL"}}, 403),
        ({"method": "POST", "content": b"CLEAR ALL",
          "headers": {"Content-Type": "application/sparql-update"}}, 403),
        ({"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 403),
        ({"method": "GET", "params": {"query": "ASK {}", "format": "yaml"}}, 400),
        ({"method": "GET", "params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}},
         406),
    ],
)  # fmt: skip
def test_requests_the_protocol_refuses(
    service: RunningService, request_options: dict, status: int
) -> None:
    method = request_options.pop("method")
    answer = httpx.request(method, f"{service.url}/sparql", **request_options)
    assert answer.status_code == status
    assert answer.text.strip(), "every refusal says why"


def test_a_get_without_a_query_describes_the_service(service: RunningService) -> None:
    answer = httpx.get(f"{service.url}/sparql", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    triples = {str(t) for t in ox.parse(answer.content, format=ox.RdfFormat.TURTLE)}
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = f"<{service.url}/sparql>"
    assert f"{endpoint} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{sd}Service>" in triples
    assert f"{endpoint} <{sd}feature> <{sd}UnionDefaultGraph>" in triples
    assert sum(f"<{sd}resultFormat>" in triple for triple in triples) == 8


def test_a_malformed_query_gets_the_parser_message(service: RunningService) -> None:
    answer = sparql(service, "SELECT * WHERE { ?s ?p }")
    assert answer.status_code == 400
    assert answer.text.startswith("malformed query: error at 1:")


# -- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("application/sparql-results+xml;q=0.2, */*;q=0.1", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_formats_follow_accept_with_q_values(
    service: RunningService, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    answer = sparql(service, f"SELECT ?r WHERE {{ ?r a <{UDS}Region> }}", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    assert "brasov" in answer.text


@pytest.mark.parametrize(
    "accept, media_type, rdf_format",
    [
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/rdf+xml;q=0.3, text/turtle;q=0.8", "text/turtle", ox.RdfFormat.TURTLE),
    ],
)
def test_construct_and_describe_formats(
    service: RunningService, accept: str, media_type: str, rdf_format: ox.RdfFormat
) -> None:
    region = "<https://w3id.org/udsyn/id/region/brasov>"
    for query in (f"DESCRIBE {region}", f"CONSTRUCT WHERE {{ {region} ?p ?o }}"):
        answer = sparql(service, query, headers={"Accept": accept})
        assert answer.status_code == 200
        assert answer.headers["content-type"].split(";")[0] == media_type
        triples = list(ox.parse(answer.content, format=rdf_format))
        assert any(t.object == ox.NamedNode(UDS + "Region") for t in triples)


def test_the_format_parameter_overrides_accept(service: RunningService) -> None:
    answer = sparql(service, "SELECT (1 AS ?one) {}", headers={"Accept": "text/csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    overridden = httpx.get(
        f"{service.url}/sparql",
        params={"query": "SELECT (1 AS ?one) {}", "format": "tsv"},
        headers={"Accept": "text/csv"},
    )
    assert overridden.headers["content-type"].startswith("text/tab-separated-values")
    assert overridden.text.splitlines() == ["?one", "1"]


def test_cors_lets_browser_clients_in(service: RunningService) -> None:
    preflight = httpx.options(
        f"{service.url}/sparql",
        headers={
            "Origin": "http://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    simple = sparql(service, "ASK {}", headers={"Origin": "http://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert simple.headers["vary"] == "Accept, Origin"
    same_origin = sparql(service, "ASK {}")  # no Origin: no CORS headers, but the same Vary
    assert "access-control-allow-origin" not in same_origin.headers
    assert same_origin.headers.get_list("vary") == ["Accept, Origin"]


def test_an_answer_leaves_in_one_tcp_segment(service: RunningService) -> None:
    """A response's head and body are written together: the client wakes once for them."""
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: udsyn\r\n\r\n")
        time.sleep(0.3)  # the whole answer has arrived
        answer = client.recv(65536)
        info = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'"boolean":true}')
    data_segments_in = struct.unpack_from("I", info, 152)[0]  # Linux's tcp_info.tcpi_data_segs_in
    assert data_segments_in == 1


# -- limits, on both stores ------------------------------------------------------------------


def test_a_runaway_query_is_stopped_and_the_service_goes_on(either: RunningService) -> None:
    started = time.monotonic()
    answer = sparql(either, RUNAWAY)
    took = time.monotonic() - started
    assert answer.status_code == 503
    assert "longer than 2 s" in answer.text
    assert took < 10
    assert sparql(either, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_a_cheap_query_is_answered_while_a_heavy_one_runs(either: RunningService) -> None:
    heavy = threading.Thread(target=sparql, args=(either, RUNAWAY))
    heavy.start()
    time.sleep(0.3)
    started = time.monotonic()
    cheap = sparql(either, f"ASK {{ ?r a <{UDS}Region> }}")
    took = time.monotonic() - started
    heavy.join()
    assert cheap.status_code == 200 and cheap.json()["boolean"] is True
    assert took < 1.0


def test_the_row_limit_answers_with_a_clear_error(either: RunningService) -> None:
    too_many = sparql(either, "SELECT * WHERE { ?s ?p ?o }")
    assert too_many.status_code == 400
    assert "more than 50 rows" in too_many.text
    fits = sparql(either, "SELECT * WHERE { ?s ?p ?o } LIMIT 7", headers={"Accept": "text/csv"})
    assert len(list(csv.reader(io.StringIO(fits.text)))) == 8


# -- nothing reaches out ---------------------------------------------------------------------


def test_nothing_reaches_out(either: RunningService, listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/data"
    refused = [
        {"query": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"},
        {"query": f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}"},
        {"query": f"LOAD <{url}>"},
        {"update": f"LOAD <{url}>"},
        # A local-name escape once hid the SERVICE from a regex lexer, but not from the engine.
        {"query": f"PREFIX ex: <http://e/>\nSELECT ?x WHERE {{ BIND(ex:p\\# AS ?q) "
                  f"SERVICE <{url}> {{ ?x ?y ?z }} }}"},
        {"query": f"PREFIX ex: <http://e/>\nSELECT ?x WHERE {{ BIND(ex:p\\' AS ?q) "
                  f"SERVICE <{url}> {{ ?x ?y ?z }} }} # ''"},
    ]  # fmt: skip
    for params in refused:
        answer = httpx.post(f"{either.url}/sparql", data=params, timeout=30)
        assert 400 <= answer.status_code < 500, params
        assert answer.text.strip()
    # Graphs the store does not hold are empty graphs: answered, never fetched.
    empty = [
        {"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"},
        {"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": url},
        {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": url},
        {"query": f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * FROM x:data {{}}"},
    ]
    for params in empty:
        answer = httpx.post(f"{either.url}/sparql", data=params, timeout=30)
        assert answer.status_code == 200, (params, answer.text)
        assert answer.json()["results"]["bindings"] in ([], [{}]), params
    time.sleep(0.5)
    assert listener.connections == 0


# -- real clients -----------------------------------------------------------------------------


@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_reads_every_results_format(
    service: RunningService, return_format: str
) -> None:
    client = SPARQLWrapper(f"{service.url}/sparql")
    client.setQuery(f"SELECT ?r WHERE {{ ?r a <{UDS}Region> }} ORDER BY ?r")
    client.setReturnFormat(return_format)
    result = client.query()
    converted = result.convert()
    if return_format == JSON:
        values = [row["r"]["value"] for row in converted["results"]["bindings"]]
    elif return_format == XML:
        values = [node.firstChild.data for node in converted.getElementsByTagName("uri")]
    else:
        text = converted.decode() if isinstance(converted, bytes) else converted
        delimiter = "," if return_format == CSV else "\t"
        values = [row[0].strip("<>") for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        values = values[1:]
    assert "https://w3id.org/udsyn/id/region/brasov" in values


@pytest.mark.parametrize("return_format", [TURTLE, N3, RDFXML, JSONLD])
def test_sparqlwrapper_reads_every_graph_format(
    service: RunningService, return_format: str
) -> None:
    client = SPARQLWrapper(f"{service.url}/sparql")
    client.setQuery("DESCRIBE <https://w3id.org/udsyn/id/region/brasov>")
    client.setReturnFormat(return_format)
    converted = client.query().convert()
    graph = (
        converted
        if isinstance(converted, rdflib.Graph)
        else rdflib.Graph().parse(
            data=converted,
            format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[return_format],
        )
    )
    brasov = rdflib.URIRef("https://w3id.org/udsyn/id/region/brasov")
    assert (brasov, rdflib.RDF.type, rdflib.URIRef(UDS + "Region")) in graph


@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_rdflib_sparqlstore_queries_the_service(
    service: RunningService, return_format: str
) -> None:
    graph = rdflib.Graph(SPARQLStore(f"{service.url}/sparql", returnFormat=return_format))
    rows = graph.query(
        "SELECT ?label WHERE { <https://w3id.org/udsyn/id/region/shanghai> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    labels = {str(row[0]) for row in rows}
    assert "Shanghai" in " ".join(labels)
    if return_format in ("json", "xml"):  # CSV and TSV results are defined for SELECT only
        assert graph.query("ASK { ?s ?p ?o }").askAnswer is True


def test_health_reports_ok(service: RunningService) -> None:
    answer = httpx.get(f"{service.url}/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_the_remote_backed_service_answers_like_the_embedded_one(
    service: RunningService, remote_backed: RunningService
) -> None:
    query = f"SELECT ?r WHERE {{ ?r a <{UDS}Region> }} ORDER BY ?r"
    embedded = sparql(service, query).json()["results"]["bindings"]
    remote = sparql(remote_backed, query).json()["results"]["bindings"]
    assert embedded == remote and len(embedded) > 3


def test_the_shipped_graph_was_loaded_on_first_serve(service: RunningService) -> None:
    answer = sparql(service, COUNT_TRIPLES).json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) > 1000
    assert Path(service.store_path).is_dir()


def test_json_results_are_valid_json(service: RunningService) -> None:
    answer = sparql(service, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    assert len(json.loads(answer.content)["results"]["bindings"]) == 3


# -- what a new analyst tripped over (issue 8) -----------------------------------------------


def test_health_says_where_the_data_lives(
    service: RunningService, remote_backed: RunningService
) -> None:
    embedded = httpx.get(f"{service.url}/health", timeout=30).json()
    assert embedded["store"] == f"embedded store at {Path(service.store_path).resolve()}"
    assert embedded["base_iri"] == "https://w3id.org/udsyn/"
    remote = httpx.get(f"{remote_backed.url}/health", timeout=30).json()
    assert remote["store"].startswith("SPARQL server at http://127.0.0.1:")
    assert remote["store"].endswith("/query")


def test_the_service_description_lists_the_prefixes_queries_need_not_declare(
    service: RunningService,
) -> None:
    answer = httpx.get(f"{service.url}/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=answer.text, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    endpoint = rdflib.URIRef(f"{service.url}/sparql")
    declared = {
        str(graph.value(node, sh.prefix)): str(graph.value(node, sh.namespace))
        for node in graph.objects(endpoint, sh.declare)
    }
    assert declared == VOCABULARIES
    for name, namespace in VOCABULARIES.items():  # each one works undeclared
        used = sparql(service, f"ASK {{ ?s ?p ?o FILTER(?p = {name}:x) }}")
        assert used.status_code == 200, (name, namespace, used.text)


def test_rdflib_dataset_quads_fails_inside_rdflib_whatever_the_server(
    service: RunningService, oxigraph_server: OxigraphServer
) -> None:
    """rdflib's SPARQLStore gives ``None`` as every triple's graph, which ``Dataset.quads()``
    then iterates (RDFLib/rdflib#3556): the same failure on ``oxigraph serve``, so the
    service's answer is not the cause. Asking for the quads with a query works."""
    oxigraph_server.clear()
    httpx.post(f"{oxigraph_server.url}/update", content=f"INSERT DATA {{ GRAPH <{UDS}g> {{ "
               f"<{UDS}s> <{UDS}p> <{UDS}o> }} }}", headers={"Content-Type":
               "application/sparql-update"}, timeout=30).raise_for_status()  # fmt: skip
    failures = []
    for url in (f"{service.url}/sparql", f"{oxigraph_server.url}/query"):
        dataset = rdflib.Dataset(store=SPARQLStore(url))
        with pytest.raises(TypeError, match="'NoneType' object is not iterable") as failure:
            next(iter(dataset.quads((None, None, None, None))))
        failures.append(failure.traceback[-1].path.name)
    assert failures == ["graph.py", "graph.py"]  # raised in rdflib's own code
    graph = rdflib.Graph(SPARQLStore(f"{service.url}/sparql"))
    rows = graph.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    named = sparql(service, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").json()
    assert len(rows) == int(named["results"]["bindings"][0]["n"]["value"]) > 1000
