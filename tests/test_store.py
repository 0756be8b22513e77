"""The store interface, run against the embedded store, a real ``oxigraph serve`` and a real
Virtuoso."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import socket
from pathlib import Path

import pyoxigraph as ox
import pytest

from udsyn.config import RemoteEndpoint
from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, by_name
from udsyn.loading import LoadError, Source, collect_sources, read_all
from udsyn.store import Dataset, QueryFailed, RemoteStore, Store, StoreUnavailable

from .conftest import BASE, free_port

EX = "http://example.org/"
PARTNERS = f"""@prefix ex: <{EX}> .
@prefix region: <id/region/> .
region:brasov ex:label "Brașov"@ro , "Brasov Amt"@da ; ex:country ex:romania .
region:shanghai ex:label "Shanghai"@en ; ex:country ex:china .
"""
JSON = by_name("json", RESULT_FORMATS)
# The loaded triples, without the graphs a server holds of its own (Virtuoso's schemas are in
# the default graph of every query that names no graph).
OURS = f"?s ?p ?o FILTER(STRSTARTS(STR(?s), '{BASE}'))"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load(store: Store, *paths: Path, graph: str | None = None) -> int:
    return store.add_all(read_all(collect_sources(paths, graph), store.base_iri))


def rows(store: Store, query: str) -> list[dict[str, str]]:
    return [
        {name.value: solution[name].value for name in solutions.variables if solution[name]}
        for solutions in [store.select(query)]
        for solution in solutions
    ]


def test_a_load_resolves_relative_iris_against_the_base(store: Store, tmp_path: Path) -> None:
    assert load(store, write(tmp_path, "partners.ttl", PARTNERS)) == 5
    found = rows(store, f"SELECT ?r WHERE {{ ?r <{EX}country> <{EX}romania> }}")
    assert found == [{"r": f"{BASE}id/region/brasov"}]


def test_triples_can_go_to_a_named_graph(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS), graph=f"{EX}graph/partners")
    assert store.graph_names() == {f"{EX}graph/partners"}
    found = rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{EX}country> ?c }} }}")
    assert found == [{"g": f"{EX}graph/partners"}]


def test_every_format_is_read(store: Store, tmp_path: Path) -> None:
    triple = f'<{EX}a> <{EX}p> "x" .\n'
    files = [
        write(tmp_path, "a.nt", triple),
        write(tmp_path, "b.nq", f'<{EX}b> <{EX}p> "x" <{EX}g> .\n'),
        write(tmp_path, "c.trig", f'<{EX}g2> {{ <{EX}c> <{EX}p> "x" }}\n'),
        write(
            tmp_path,
            "d.rdf",
            f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}d"><ex:p>x</ex:p></rdf:Description></rdf:RDF>""",
        ),
        write(tmp_path, "e.jsonld", json.dumps({"@id": f"{EX}e", f"{EX}p": "x"})),
        write(tmp_path, "f.ttl", f'<{EX}f> <{EX}p> "x" .'),
    ]
    assert load(store, *files) == 6
    subjects = {row["s"] for row in rows(store, f'SELECT ?s WHERE {{ ?s <{EX}p> "x" }}')}
    assert subjects == {f"{EX}{name}" for name in "abcdef"}


def test_a_folder_is_read_recursively(tmp_path: Path) -> None:
    write(tmp_path, "a.ttl", PARTNERS)
    (tmp_path / "deeper").mkdir()
    write(tmp_path / "deeper", "b.nt", f'<{EX}a> <{EX}p> "x" .\n')
    write(tmp_path, "notes.txt", "not RDF")
    assert [s.path.name for s in collect_sources([tmp_path])] == ["a.ttl", "b.nt"]


def test_a_parse_error_names_file_line_and_column(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.ttl", f'@prefix ex: <{EX}> .\n\nex:a ex:p "x"\nex:b .\n')
    with pytest.raises(LoadError) as caught:
        list(read_all([Source(bad)], BASE))
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(bad), 4, 1)
    assert str(caught.value).startswith(f"{bad}:4:1: ")


def test_a_failed_load_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "first.ttl", PARTNERS))
    before = sorted(map(str, store.quads()))
    good = write(tmp_path, "good.nt", f'<{EX}new> <{EX}p> "new" .\n' * 1)
    broken = write(tmp_path, "broken.ttl", f'<{EX}x> <{EX}p> "one" .\n<{EX}y> <{EX}p> ')
    with pytest.raises(LoadError):
        load(store, good, broken)
    assert sorted(map(str, store.quads())) == before
    assert rows(store, f"SELECT ?o WHERE {{ <{EX}new> ?p ?o }}") == []


def test_an_unknown_file_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unknown file type"):
        collect_sources([write(tmp_path, "data.csv", "a,b")])
    with pytest.raises(LoadError, match="no such file"):
        collect_sources([tmp_path / "missing.ttl"])


def test_jsonld_remote_contexts_are_not_fetched(tmp_path: Path) -> None:
    document = {"@context": f"http://127.0.0.1:{free_port()}/context.jsonld", "@id": f"{EX}a"}
    with pytest.raises(LoadError, match="remote context"):
        list(read_all(collect_sources([write(tmp_path, "a.jsonld", json.dumps(document))]), BASE))


def test_rdfxml_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "TOP-SECRET")
    document = f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY leak SYSTEM "file://{secret}">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}a"><ex:p>&leak;</ex:p></rdf:Description></rdf:RDF>"""
    with pytest.raises(LoadError, match="'leak' refers outside the file") as refused:
        list(read_all(collect_sources([write(tmp_path, "x.rdf", document)]), BASE))
    assert refused.value.line == 2
    assert "TOP-SECRET" not in str(refused.value)


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
<!ENTITY a "{a}">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e/">
<rdf:Description rdf:about="http://e/s"><ex:p>&{used};</ex:p></rdf:Description>
</rdf:RDF>
"""


def test_rdfxml_entities_that_expand_too_far_are_refused(store: Store, tmp_path: Path) -> None:
    bomb = write(tmp_path, "bomb.rdf", LAUGHS.format(a="a" * 68, used="e"))  # 10.9 M chars
    with pytest.raises(LoadError, match="'e' expands to more than 1000000") as refused:
        load(store, bomb)
    assert (refused.value.path, refused.value.line) == (str(bomb), 7)
    assert store.is_empty()
    small = write(tmp_path, "small.rdf", LAUGHS.format(a="a", used="c"))  # 400 characters
    load(store, small)
    assert store.ask("ASK { <http://e/s> <http://e/p> ?o FILTER(STRLEN(?o) = 400) }")


@pytest.mark.parametrize("name", [f.name for f in RESULT_FORMATS])
def test_select_answers_in_every_result_format(store: Store, tmp_path: Path, name: str) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS))
    chosen = by_name(name, RESULT_FORMATS)
    answer = store.query(f"SELECT ?r WHERE {{ ?r <{EX}country> ?c }} ORDER BY ?r", chosen)
    if name == "csv":
        found = [row[0] for row in csv.reader(io.StringIO(answer.decode()))][1:]
    else:
        parsed = ox.parse_query_results(answer, format=chosen.native)
        found = [row["r"].value for row in parsed]
    assert found == [f"{BASE}id/region/brasov", f"{BASE}id/region/shanghai"]


@pytest.mark.parametrize("name", [f.name for f in GRAPH_FORMATS])
def test_construct_answers_in_every_rdf_format(store: Store, tmp_path: Path, name: str) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS))
    chosen = by_name(name, GRAPH_FORMATS)
    answer = store.query(f"CONSTRUCT WHERE {{ ?r <{EX}country> ?c }}", chosen)
    triples = {str(q.triple) for q in ox.parse(answer, format=chosen.native)}
    assert triples == {
        f"<{BASE}id/region/brasov> <{EX}country> <{EX}romania>",
        f"<{BASE}id/region/shanghai> <{EX}country> <{EX}china>",
    }


def test_ask_and_counts(store: Store, tmp_path: Path) -> None:
    assert store.is_empty()
    load(store, write(tmp_path, "p.ttl", PARTNERS), graph=f"{EX}g")
    load(store, write(tmp_path, "q.ttl", PARTNERS), graph=f"{EX}h")
    assert not store.is_empty()
    assert store.triple_count() == 5
    assert len(list(store.quads())) == 10
    assert len(set(map(str, store.triples()))) == 5


def test_graphs_the_store_does_not_hold_are_empty_not_fetched(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS), graph=f"{EX}g")
    unknown = "http://127.0.0.1:9/data.ttl"
    count = "SELECT (COUNT(*) AS ?n) {} WHERE {{ ?s ?p ?o }}"
    for query, dataset in (
        (count.format(f"FROM <{unknown}>"), None),
        (count.format(f"FROM NAMED <{unknown}>").replace("?s ?p ?o", "GRAPH ?g {?s ?p ?o}"), None),
        (count.format(""), Dataset(default_graphs=[unknown])),
    ):
        answer = json.loads(store.query(query, JSON, dataset))
        assert answer["results"]["bindings"][0]["n"]["value"] == "0"
    assert store.ask(f"ASK {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}") is True


def test_the_protocol_dataset_selects_graphs(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS), graph=f"{EX}g")
    load(store, write(tmp_path, "q.nt", f'<{EX}a> <{EX}p> "x" .\n'), graph=f"{EX}h")
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    answer = store.query(query, JSON, Dataset(default_graphs=[f"{EX}h"]))
    assert json.loads(answer)["results"]["bindings"][0]["n"]["value"] == "1"


@pytest.mark.parametrize(
    "query, reason",
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
        # A local-name escape once hid the rest of the line from a regex lexer.
        (
            "PREFIX ex: <http://e/>\nSELECT ?x WHERE { BIND(ex:p\\# AS ?q) "
            "SERVICE <http://127.0.0.1:9/read> { ?x ?y ?z } }",
            "SERVICE",
        ),
        (
            "PREFIX ex: <http://e/>\nSELECT ?x WHERE { BIND(ex:p\\' AS ?q) "
            "SERVICE <http://127.0.0.1:9/read> { ?x ?y ?z } }",
            "SERVICE",
        ),
        ("ASK { FILTER EXISTS { SERVICE SILENT <http://127.0.0.1:9/> { } } }", "SERVICE"),
        ("select * where { service <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1.5", "malformed"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1e5", "malformed"),
        ("SELECT * WHERE " + "{" * 10_000 + "}" * 10_000, "nests more than"),
        ("SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }", "nests more"),
        ("SELECT * WHERE { FILTER(" + "+".join(["1"] * 20_000) + ") }", "nests more than"),
        ("SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * 20_000) + "}", "operators"),
        (
            "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?x{i})" for i in range(3000)) + "}",
            "operators",
        ),
        ("'\\" * 20_000, "malformed"),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "Update"),
        ("LOAD <http://127.0.0.1:9/data.ttl>", "Update"),
        ("ASK {} ASK {}", "one query"),
        ("SELECT * WHERE { ?s ?p }", "malformed"),
    ],
)
def test_queries_that_reach_out_or_change_data_are_refused(
    store: Store, query: str, reason: str
) -> None:
    with pytest.raises(QueryFailed, match=reason):
        store.query(query, JSON)


def test_vocabulary_prefixes_need_no_declaring_wherever_a_query_uses_them(
    store: Store, tmp_path: Path
) -> None:
    labelled = '<id/region/brasov> <http://www.w3.org/2000/01/rdf-schema#label> "Brașov"@ro .'
    load(store, write(tmp_path, "l.ttl", labelled))
    in_trailing_values = (
        "SELECT ?p ?label WHERE { <id/region/brasov> ?p ?label } VALUES ?p { rdfs:label }"
    )
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    assert rows(store, in_trailing_values) == [{"p": label, "label": "Brașov"}]
    # a query's own declaration of a vocabulary's prefix wins
    assert not store.ask(f"PREFIX rdfs: <{EX}> ASK {{ <id/region/brasov> rdfs:label ?o }}")


def test_the_analysis_names_the_vocabulary_prefixes_a_query_leaves_undeclared() -> None:
    from udsyn.namespaces import VOCABULARIES
    from udsyn.sparql.grammar import analyse

    text = (
        f"PREFIX skos: <{EX}> SELECT * WHERE {{ ?s rdfs:label ?o ; skos:note ?n }} "
        "VALUES ?o { uds:x }"
    )
    info = analyse(text, BASE, VOCABULARIES)
    assert info.undeclared_prefixes == ("rdfs", "uds")
    assert analyse("SELECT * WHERE { ?s ?p ?o }", BASE, VOCABULARIES).undeclared_prefixes == ()


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 51", 51),
        ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 5 LIMIT 7 VALUES ?s { uds:x }", 7),
        ("SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } LIMIT 3 } }", None),  # a subquery's
        ("SELECT * WHERE { ?s ?p ?o } # LIMIT 5", None),
        ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 4", None),  # triples, not rows
    ],
)
def test_the_analysis_reads_a_selects_own_limit(query: str, limit: int | None) -> None:
    from udsyn.namespaces import VOCABULARIES
    from udsyn.sparql.grammar import analyse

    info = analyse(query, BASE, VOCABULARIES)
    assert info.limit == limit
    assert info.rows_within(50) is (limit is not None and limit <= 50)
    assert info.rows_within(None)


def test_a_limit_within_the_row_limit_answers_as_the_counted_answer_would(
    store: Store, tmp_path: Path
) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS))
    query = f"SELECT ?s ?p ?o WHERE {{ {OURS} }} ORDER BY ?s ?p ?o LIMIT 3"
    fits = store.query(query, JSON, max_rows=3)
    assert len(json.loads(fits)["results"]["bindings"]) == 3
    with pytest.raises(QueryFailed, match="more than 2 rows"):
        store.query(query, JSON, max_rows=2)


@pytest.mark.parametrize("name", [f.name for f in RESULT_FORMATS])
def test_a_limited_answer_reads_exactly_as_an_unlimited_one(
    store: Store, tmp_path: Path, name: str
) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS))
    query = f"SELECT ?s ?p ?o ?none WHERE {{ {OURS} }} ORDER BY ?s ?p ?o"
    chosen = by_name(name, RESULT_FORMATS)
    assert store.query(query, chosen, max_rows=1000) == store.query(query, chosen)


def test_the_row_limit_is_enforced(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "p.ttl", PARTNERS))
    query = f"SELECT * WHERE {{ {OURS} }}"
    assert len(json.loads(store.query(query, JSON, max_rows=5))["results"]["bindings"]) == 5
    with pytest.raises(QueryFailed, match="more than 4 rows"):
        store.query(query, JSON, max_rows=4)
    csv_answer = store.query(query + " LIMIT 2", by_name("csv", RESULT_FORMATS), max_rows=3)
    assert len(list(csv.reader(io.StringIO(csv_answer.decode())))) == 3


def test_a_server_that_is_down_gets_a_clear_error() -> None:
    down = RemoteStore(BASE, RemoteEndpoint(f"http://127.0.0.1:{free_port()}/query"))
    with pytest.raises(StoreUnavailable, match=r"cannot reach the SPARQL server at http://127"):
        down.query("ASK {}", JSON)


def test_a_server_error_is_reported_with_its_message(oxigraph_server) -> None:
    wrong_path = RemoteEndpoint(f"{oxigraph_server.url}/no-such-endpoint")
    with pytest.raises(Exception, match="no-such-endpoint") as caught:
        RemoteStore(BASE, wrong_path).query("ASK {}", JSON)
    assert not isinstance(caught.value, QueryFailed)


def test_remote_loads_need_an_update_url(oxigraph_server, tmp_path: Path) -> None:
    read_only = RemoteStore(BASE, RemoteEndpoint(f"{oxigraph_server.url}/query"))
    with pytest.raises(Exception, match="no update URL"):
        load(read_only, write(tmp_path, "p.ttl", PARTNERS))


KEPT = 1.0  # seconds an answer took: worth keeping


def test_the_answer_cache_keeps_recent_answers_within_its_budget() -> None:
    from udsyn.runtime.pool import Answer, AnswerCache, Job

    entry = AnswerCache._ENTRY_OVERHEAD + 16  # the overhead and the 16-byte digest key
    cache = AnswerCache(budget=16 * (entry + 10))
    first, second, third = Job("ASK {}", "json"), Job("ASK {}", "xml"), Job("ASK {}", "csv")
    cache.put(first.digest, Answer(b"a" * 10, "json"), KEPT)
    cache.put(second.digest, Answer(b"b" * 10, "xml"), KEPT)
    assert cache.get(first.digest) == Answer(b"a" * 10, "json")  # now the most recently used
    cache.put(
        third.digest, Answer(b"c" * 11, "csv"), KEPT
    )  # more than a sixteenth of the budget: not kept
    assert cache.get(third.digest) is None
    for number in range(20):
        key = Job(f"SELECT ({number} AS ?n) {{}}", "json").digest
        cache.put(key, Answer(b"x" * 10, "json"), KEPT)
    assert cache.size <= cache.budget
    assert cache.get(second.digest) is None
    assert cache.get(first.digest) is None


def test_the_answer_cache_keeps_only_answers_that_took_time_to_compute() -> None:
    from udsyn.runtime.pool import WORTH_KEEPING, Answer, AnswerCache, Job

    cache = AnswerCache(budget=2**20)
    cheap, dear = Job("ASK {}", "json").digest, Job("ASK { ?s ?p ?o }", "json").digest
    cache.put(cheap, Answer(b"{}", "json"), WORTH_KEEPING / 2)
    cache.put(dear, Answer(b"{}", "json"), WORTH_KEEPING)
    assert cache.get(cheap) is None
    assert cache.get(dear) == Answer(b"{}", "json")


def test_the_answer_cache_counts_keys_by_digest_not_by_text() -> None:
    from udsyn.runtime.pool import Answer, AnswerCache, Job

    cache = AnswerCache(budget=2**20)
    for number in range(20):  # 20 distinct 1 MB query texts
        key = Job(f"ASK {{}} # {number} " + "x" * 2**20, "json").digest
        assert len(key) == 16
        cache.put(key, Answer(b"{}", "json"), KEPT)
    assert cache.size == 20 * (AnswerCache._ENTRY_OVERHEAD + 16 + 2)


def test_the_answer_cache_leaves_its_entries_out_of_the_collectors_walks() -> None:
    """Kept answers are not tracked by the garbage collector: a full cache does not make
    every full collection longer."""
    import gc

    from udsyn.runtime.pool import Answer, AnswerCache, Job

    cache = AnswerCache(budget=2**20)
    keys = [Job(f"SELECT ({number} AS ?n) {{}}", "json").digest for number in range(200)]
    gc.collect()
    tracked = len(gc.get_objects())
    for key in keys:
        cache.put(key, Answer(b"{}", "json"), KEPT)
    gc.collect()
    assert len(gc.get_objects()) - tracked < 50  # not one tracked object per entry
    assert cache.get(keys[7]) == Answer(b"{}", "json")


def test_a_worker_channel_stops_reading_while_much_waits_unread() -> None:
    """A download to a slow client holds its worker back instead of filling the service's
    memory: the channel pauses past its buffer, and everything arrives once read."""
    from udsyn.runtime.pool import _BUFFERED, _Frames
    from udsyn.runtime.worker import write_frame

    payload, count = bytes(range(256)) * 256, 8 * _BUFFERED // 65536

    async def scenario() -> None:
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        _, frames = await loop.create_unix_connection(_Frames, sock=ours)
        sending = loop.run_in_executor(
            None, lambda: [write_frame(theirs, "chunk", payload) for _ in range(count)]
        )
        await asyncio.sleep(0.5)
        assert frames.paused and not sending.done()
        received = [await frames.receive() for _ in range(count)]
        await sending
        assert received == [("chunk", payload)] * count and not frames.paused
        theirs.close()
        with pytest.raises(EOFError):
            await frames.receive()

    asyncio.run(scenario())


def test_one_setting_moves_every_minted_iri() -> None:
    from udsyn.loading import shipped_sources
    from udsyn.questions import shipped_questions
    from udsyn.store import EmbeddedStore

    base = "https://data.example.dk/udsyn/"
    moved = EmbeddedStore(base)
    moved.add_all(read_all(shipped_sources(), base))
    ontology = "https://w3id.org/udsyn/ontology#"
    assert moved.ask(f"ASK {{ <{base}id/region/brasov> a <{ontology}Region> }}")
    assert not moved.ask(f"ASK {{ <{BASE}id/region/brasov> ?p ?o }}")
    leftover = moved.select(
        f'SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/")) }} LIMIT 1'
    )
    assert list(leftover) == []
    question = shipped_questions().get("partner-regions-by-country")
    rows = list(moved.select(question.text, bindings=question.bind({}, base)))
    assert any(row["region"].value == f"{base}id/region/brasov" for row in rows)


class RecordingEndpoint:
    """A loopback HTTP server that answers like a SPARQL endpoint and records the headers."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        import http.server
        import threading

        recorded: list[dict[str, str]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorded.append(dict(self.headers))
                if delay:
                    import time

                    time.sleep(delay)
                body = b'{"head":{},"boolean":true}' if status == 200 else b"go away"
                self.send_response(status)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.recorded = recorded
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_basic_and_bearer_auth_are_sent() -> None:
    endpoint = RecordingEndpoint()
    try:
        basic = RemoteStore(BASE, RemoteEndpoint(endpoint.url, user="analyst", password="s3cret"))
        assert basic.ask("ASK {}") is True
        bearer = RemoteStore(BASE, RemoteEndpoint(endpoint.url, token="t0ken"))
        assert bearer.ask("ASK {}") is True
    finally:
        endpoint.close()
    # Each store's first request asks which server it is (its Server header), then the query.
    sent = [request["Authorization"] for request in endpoint.recorded]
    assert sent == ["Basic YW5hbHlzdDpzM2NyZXQ="] * 2 + ["Bearer t0ken"] * 2


def test_a_refused_login_is_a_clear_error() -> None:
    endpoint = RecordingEndpoint(status=401)
    try:
        store = RemoteStore(BASE, RemoteEndpoint(endpoint.url, user="analyst", password="wrong"))
        with pytest.raises(Exception, match=r"answered the query with an error \(Unauthorized\)"):
            store.ask("ASK {}")
    finally:
        endpoint.close()


def test_a_server_that_does_not_answer_in_time_is_a_clear_error() -> None:
    endpoint = RecordingEndpoint(delay=3)
    try:
        store = RemoteStore(BASE, RemoteEndpoint(endpoint.url, timeout=1))
        with pytest.raises(StoreUnavailable, match="did not answer the query within 1 s"):
            store.ask("ASK {}")
    finally:
        endpoint.close()


def test_a_large_remote_load_is_staged_and_published_at_once(
    oxigraph_server, tmp_path: Path
) -> None:
    oxigraph_server.clear()
    remote = RemoteStore(BASE, oxigraph_server.endpoint)
    remote.BATCH = 3  # so a few quads take several requests
    lines = "".join(f'<{EX}s{n}> <{EX}p> "{n}" <{EX}g{n % 2}> .\n' for n in range(10))
    lines += f'<{EX}d> <{EX}p> "in the default graph" .\n'
    assert load(remote, write(tmp_path, "many.nq", lines)) == 11
    assert remote.graph_names() == {f"{EX}g0", f"{EX}g1"}
    assert len(list(remote.quads())) == 10
    assert remote.triple_count() == 11

    before = sorted(map(str, remote.quads()))
    broken = write(tmp_path, "broken.nq", lines.replace(f"<{EX}s8>", "<broken"))
    with pytest.raises(LoadError):
        load(remote, broken)
    assert sorted(map(str, remote.quads())) == before
    assert remote.graph_names() == {f"{EX}g0", f"{EX}g1"}
