"""udsyn on OpenLink Virtuoso: the same answers as the embedded store and ``oxigraph serve``,
or a clear refusal; loads, counts and exports without Virtuoso's own graphs; answers it cuts
short are errors; its profile detected; digest auth."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from udsyn.config import ConfigError, RemoteEndpoint, load_settings
from udsyn.formats import GRAPH_FORMATS, by_name
from udsyn.loading import collect_sources, read_all, shipped_sources
from udsyn.questions import Question, shipped_questions
from udsyn.store import EmbeddedStore, QueryFailed, RemoteStore, Store, StoreError
from udsyn.store.profiles import VIRTUOSO

from .conftest import (
    BASE,
    OxigraphServer,
    RunningService,
    VirtuosoServer,
    start_service,
    stop_service,
)
from .support import accept_register, retract_batch, udsyn
from .test_questions import HOSTILE

QUESTIONS = shipped_questions()
NTRIPLES = by_name("ntriples", GRAPH_FORMATS)
EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def shipped_everywhere(
    oxigraph_server: OxigraphServer, virtuoso_server: VirtuosoServer
) -> Iterator[dict[str, Store]]:
    """The shipped graph in the embedded store, in ``oxigraph serve`` and in Virtuoso."""
    embedded = EmbeddedStore(BASE)
    embedded.add_all(read_all(shipped_sources(), BASE))
    oxigraph_server.clear()
    virtuoso_server.clear()
    remote = {
        "oxigraph": RemoteStore(BASE, oxigraph_server.endpoint),
        "virtuoso": RemoteStore(BASE, virtuoso_server.endpoint),
    }
    for store in remote.values():
        store.add_all(read_all(shipped_sources(), BASE))
    yield {"embedded": embedded, **remote}
    oxigraph_server.clear()
    virtuoso_server.clear()


@pytest.fixture
def stores(
    shipped_everywhere: dict[str, Store],
    oxigraph_server: OxigraphServer,
    virtuoso_server: VirtuosoServer,
) -> dict[str, Store]:
    """The three stores, a server loaded again if a test in between emptied it (the
    ``virtuoso`` fixture does, and other modules' tests empty ``oxigraph serve``)."""
    for name, server in (("oxigraph", oxigraph_server), ("virtuoso", virtuoso_server)):
        if shipped_everywhere[name].is_empty():
            server.clear()
            shipped_everywhere[name].add_all(read_all(shipped_sources(), BASE))
    return shipped_everywhere


def term(value: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    """A term as N-Triples writes it; blank nodes, whose labels differ by store, as ``_``."""
    if value is None:
        return None
    return "_" if isinstance(value, ox.BlankNode) else str(value)


def order_keys(question: Question) -> list[tuple[str, bool]]:
    """The projected variables the question orders by (``STR()`` of one counts), in order,
    with whether the lexical form is what orders."""
    clause = question.text.rsplit("ORDER BY", 1)[1]
    return [(name, bool(strict)) for strict, name in re.findall(r"(STR\()?\?(\w+)", clause)]


def answer(store: Store, question: Question) -> tuple[Counter, list] | bool | Counter:
    """A question's answer: rows as a multiset and the sequence of their order keys; an
    ASK's boolean; a graph's triples as a multiset."""
    bindings = question.bind({}, BASE)
    if question.form == "ASK":
        return bool(store.select(question.text, bindings=bindings))
    if question.form != "SELECT":
        data = store.query(question.text, NTRIPLES, bindings=bindings)
        triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        return Counter((term(t.subject), term(t.predicate), term(t.object)) for t in triples)
    solutions = store.select(question.text, bindings=bindings)
    names = [variable.value for variable in solutions.variables]
    rows = [{name: solution[name] for name in names} for solution in solutions]
    keys = [(name, lexical) for name, lexical in order_keys(question) if name in names]
    ordered = [
        tuple((row[name].value if lexical else term(row[name])) if row[name] else None
              for name, lexical in keys)
        for row in rows
    ]  # fmt: skip
    return Counter(tuple(term(row[name]) for name in names) for row in rows), ordered


@pytest.mark.parametrize("question", list(QUESTIONS), ids=lambda question: question.name)
def test_every_question_answers_alike_on_every_store_or_is_refused(
    stores: dict[str, Store], question: Question
) -> None:
    expected = answer(stores["embedded"], question)
    assert answer(stores["oxigraph"], question) == expected
    if question.title in VIRTUOSO.unfaithful_questions:
        with pytest.raises(QueryFailed, match="does not answer the question"):
            answer(stores["virtuoso"], question)
    elif question.name == "monitoring":  # its answer holds an xsd:duration
        with pytest.raises(QueryFailed, match="duration"):
            answer(stores["virtuoso"], question)
    else:
        assert answer(stores["virtuoso"], question) == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_parameter_written_into_the_text_stays_a_term(
    stores: dict[str, Store], value: str
) -> None:
    """Virtuoso's parameters go into the query text: as terms pyoxigraph wrote, never code."""
    question = QUESTIONS.get("find-by-label")
    before = stores["virtuoso"].triple_count()
    found = {
        name: sorted(
            str(row["resource"])
            for row in store.select(question.text, bindings=question.bind({"text": value}, BASE))
        )
        for name, store in stores.items()
    }
    assert found["virtuoso"] == found["embedded"] == found["oxigraph"]
    assert stores["virtuoso"].triple_count() == before


def test_every_refused_question_is_in_the_library() -> None:
    titles = {question.title for question in QUESTIONS}
    assert set(VIRTUOSO.unfaithful_questions) <= titles
    assert len(QUESTIONS) - len(VIRTUOSO.unfaithful_questions) - 1 >= 27


def test_the_shipped_graph_loads_and_counts_without_virtuosos_own(
    stores: dict[str, Store],
) -> None:
    embedded, virtuoso = stores["embedded"], stores["virtuoso"]
    assert not virtuoso.is_empty()
    assert virtuoso.graph_names() == embedded.graph_names()
    assert virtuoso.triple_count() == embedded.triple_count()
    # The strategy's durations would come back as numbers: its export is refused.
    with pytest.raises(QueryFailed, match="duration"):
        list(virtuoso.quads())


@pytest.fixture
def virtuoso(virtuoso_server: VirtuosoServer) -> Iterator[RemoteStore]:
    virtuoso_server.clear()
    yield RemoteStore(BASE, virtuoso_server.endpoint)
    virtuoso_server.clear()


def test_a_fresh_virtuoso_counts_as_empty(virtuoso: RemoteStore) -> None:
    assert virtuoso.profile.name == "virtuoso"  # detected from its Server header
    assert virtuoso.is_empty()
    assert virtuoso.graph_names() == set()
    assert virtuoso.triple_count() == 0
    assert list(virtuoso.quads()) == []


def test_blank_nodes_and_the_default_graph_load_and_read_back(
    virtuoso: RemoteStore, tmp_path: Path
) -> None:
    data = tmp_path / "blank.trig"
    data.write_text(
        f'<{EX}office> <{EX}address> [ <{EX}city> "Brașov" ; <{EX}street> [ <{EX}no> 3 ] ] .\n'
        f'<{EX}g> {{ <{EX}office> <{EX}opened> "2007-01-10"^^<{XSD}date> }}\n',
        encoding="utf-8",
    )
    assert virtuoso.add_all(read_all(collect_sources([data], None), BASE)) == 5
    quads = list(virtuoso.quads())
    assert len(quads) == 5
    assert sum(isinstance(quad.graph_name, ox.DefaultGraph) for quad in quads) == 4
    assert virtuoso.graph_names() == {f"{EX}g"}
    city = virtuoso.select(f"SELECT ?a WHERE {{ ?a <{EX}city> ?c }}")
    assert [isinstance(row["a"], ox.BlankNode) for row in city] == [True]
    opened = virtuoso.select(f"SELECT ?d WHERE {{ ?o <{EX}opened> ?d }}")
    assert [row["d"] for row in opened] == [
        ox.Literal("2007-01-10", datatype=ox.NamedNode(f"{XSD}date"))
    ]
    lasting = tmp_path / "lasting.ttl"
    lasting.write_text(f'<{EX}office> <{EX}lasts> "P1Y"^^<{XSD}duration> .\n', encoding="utf-8")
    virtuoso.add_all(read_all(collect_sources([lasting], None), BASE))
    with pytest.raises(QueryFailed, match="duration comes back as a number"):
        virtuoso.select(f"SELECT ?d WHERE {{ ?o <{EX}lasts> ?d }}")


def test_the_cli_loads_exports_and_prints_tables_from_virtuoso(
    virtuoso_server: VirtuosoServer, virtuoso: RemoteStore, tmp_path: Path
) -> None:
    data = tmp_path / "blank.ttl"
    data.write_text(f'<{EX}office> <{EX}address> [ <{EX}city> "Brașov" ] .\n', encoding="utf-8")
    remote = {
        "UDSYN_ENDPOINT": virtuoso_server.endpoint.query_url,
        "UDSYN_UPDATE_ENDPOINT": virtuoso_server.endpoint.update_url or "",
    }
    loaded = udsyn("load", str(data), **remote)
    assert loaded.returncode == 0, loaded.stderr
    status = udsyn("status", **remote)
    assert "distinct triples (the union of the graphs): 2" in status.stdout, status.stdout
    exported = udsyn("export", "--format", "ntriples", **remote)
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 2 and "nodeID" not in exported.stdout
    table = udsyn("query", "--format", "table", "SELECT ?a ?c WHERE { ?a ?p ?c }", **remote)
    assert table.returncode == 0, table.stderr
    assert "Brașov" in table.stdout and "Traceback" not in table.stderr
    refused = udsyn("query", "SELECT * WHERE { ?s ?p ?o } ORDER BY ?nope(", **remote)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def serve_on(server: VirtuosoServer, tmp_path: Path, **environment: str) -> RunningService:
    """``udsyn serve`` with the Virtuoso as its store."""
    return start_service(
        tmp_path / "unused",
        UDSYN_ENDPOINT=server.endpoint.query_url,
        UDSYN_UPDATE_ENDPOINT=server.endpoint.update_url or "",
        **environment,
    )


def test_serve_loads_the_strategy_into_a_fresh_virtuoso_and_answers(
    virtuoso_server: VirtuosoServer, virtuoso: RemoteStore, tmp_path: Path
) -> None:
    running = serve_on(virtuoso_server, tmp_path)
    try:
        answer = httpx.get(f"{running.url}/questions/decisions", params={"lang": "da"})
        assert answer.status_code == 200, answer.text
        assert len({row["decision"] for row in answer.json()["rows"]}) == 6
        refused = httpx.get(f"{running.url}/questions/monitoring")  # its answer has durations
        assert refused.status_code >= 400 and "duration" in refused.text
    finally:
        stop_service(running)
    assert virtuoso.graph_names() and not virtuoso.is_empty()


def test_an_answer_virtuoso_cuts_short_is_an_error(virtuoso: RemoteStore) -> None:
    rows = "\n".join(f"<{EX}s{n}> <{EX}p> {n} ." for n in range(10_001))
    virtuoso.update(f"CREATE SILENT GRAPH <{EX}many>")
    for start in range(0, 10_001, 2000):
        part = "\n".join(rows.splitlines()[start : start + 2000])
        virtuoso.update(f"INSERT DATA {{ GRAPH <{EX}many> {{ {part} }} }}")
    assert virtuoso.triple_count() == 10_001
    with pytest.raises(QueryFailed, match="cut the answer at 10000 rows"):
        virtuoso.select(f"SELECT ?s WHERE {{ GRAPH <{EX}many> {{ ?s ?p ?o }} }}")


class FailsAt(RemoteStore):
    """A store whose n-th request that starts with ``failing`` is refused by the server (it
    is sent malformed), as a real failure halfway through a load or an update."""

    def __init__(self, endpoint: RemoteEndpoint, failing: str, fail_at: int) -> None:
        super().__init__(BASE, endpoint)
        self.failing = failing
        self.moves_left = fail_at

    def _send(self, update: str) -> None:
        if self.failing in update:
            self.moves_left -= 1
            if self.moves_left == 0:
                update = update.replace(self.failing, self.failing + "<", 1)
        super()._send(update)


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_a_staged_load_into_virtuoso_is_published_or_leaves_it_as_it_was(
    virtuoso_server: VirtuosoServer, virtuoso: RemoteStore, tmp_path: Path, fail_at: int
) -> None:
    virtuoso.BATCH = 3  # so a few quads take several requests
    lines = "".join(f'<{EX}s{n}> <{EX}p> "{n}" <{EX}g{n % 2}> .\n' for n in range(10))
    lines += f'<{EX}d> <{EX}p> "in the default graph" .\n'
    (tmp_path / "many.nq").write_text(lines, encoding="utf-8")
    assert virtuoso.add_all(read_all(collect_sources([tmp_path / "many.nq"], None), BASE)) == 11
    assert virtuoso.graph_names() == {f"{EX}g0", f"{EX}g1"}
    assert virtuoso.triple_count() == 11
    before = sorted(map(str, virtuoso.quads()))

    more = lines.replace(f"<{EX}p>", f"<{EX}q>") + f'<{EX}s1> <{EX}p> "1" <{EX}g1> .\n'
    (tmp_path / "more.nq").write_text(more, encoding="utf-8")
    failing = FailsAt(virtuoso_server.endpoint, "ADD <", fail_at)
    failing.BATCH = 3
    with pytest.raises(StoreError, match=r"malformed|error"):
        failing.add_all(read_all(collect_sources([tmp_path / "more.nq"], None), BASE))
    assert sorted(map(str, virtuoso.quads())) == before  # the triple already held stays
    assert not any("staging" in graph for graph in virtuoso._every_graph())


@pytest.mark.parametrize("fail_at", [0, 1, 3])
def test_an_update_of_data_is_applied_in_steps_and_undone_if_one_fails(
    virtuoso_server: VirtuosoServer, virtuoso: RemoteStore, fail_at: int
) -> None:
    """As record batches are stored: the old version deleted and the new inserted, here
    1,200 quads, more than Virtuoso takes in one request."""
    old = [f'<{EX}r{n}> <{EX}p> "old" .' for n in range(300)]
    virtuoso.update(f"INSERT DATA {{ GRAPH <{EX}b1> {{ {' '.join(old)} }} }}")
    before = sorted(map(str, virtuoso.quads()))
    assert len(before) == 300
    new = " ".join(f'GRAPH <{EX}b2> {{ <{EX}r{n}> <{EX}p> "new" }}' for n in range(1200))
    update = (
        f"DELETE DATA {{ GRAPH <{EX}b1> {{ {' '.join(old[:200])} }} }} ;\nINSERT DATA {{ {new} }}"
    )
    store = FailsAt(virtuoso_server.endpoint, "INSERT DATA {", fail_at) if fail_at else virtuoso
    if not fail_at:
        store.update(update)
        assert virtuoso.triple_count() == 1300
        assert virtuoso.graph_names() == {f"{EX}b1", f"{EX}b2"}
        return
    with pytest.raises(StoreError):
        store.update(update)
    assert sorted(map(str, virtuoso.quads())) == before


def test_digest_auth_reaches_the_authenticated_endpoint(virtuoso_server: VirtuosoServer) -> None:
    url = f"{virtuoso_server.url}/sparql-auth"
    allowed = RemoteEndpoint(url, user="dba", password="dba", auth="digest")
    assert RemoteStore(BASE, allowed).ask("ASK {}") is True
    refused = RemoteEndpoint(url, user="dba", password="wrong", auth="digest")
    with pytest.raises(StoreError, match="Unauthorized"):
        RemoteStore(BASE, refused).ask("ASK {}")


def test_the_profile_is_configured_or_refused_with_the_known_ones() -> None:
    settings = load_settings({"UDSYN_ENDPOINT": "http://127.0.0.1:9/sparql",
                              "UDSYN_ENDPOINT_PROFILE": "virtuoso"})  # fmt: skip
    assert settings.remote is not None
    assert RemoteStore(BASE, settings.remote).profile is VIRTUOSO  # asks nothing
    with pytest.raises(ConfigError, match="known: oxigraph, virtuoso"):
        load_settings({"UDSYN_ENDPOINT": "http://x/", "UDSYN_ENDPOINT_PROFILE": "virtuosi"})
    with pytest.raises(ConfigError, match="known: basic, digest"):
        load_settings({"UDSYN_ENDPOINT": "http://x/", "UDSYN_ENDPOINT_AUTH": "ntlm"})


def test_the_servers_words_keep_their_letters(virtuoso: RemoteStore) -> None:
    with pytest.raises(StoreError) as refused:
        virtuoso.update(f"ADD <{EX}Brașov> TO DEFAULT")  # Virtuoso has no default graph
    assert f"<{EX}Brașov>" in str(refused.value)
    assert "Traceback" not in str(refused.value)


REGISTERS = sorted((Path(__file__).parent / "registers").glob("*.*"))


@pytest.mark.parametrize("register", REGISTERS, ids=[path.name for path in REGISTERS])
def test_every_register_is_checked_alike_on_every_store(
    stores: dict[str, Store], register: Path
) -> None:
    """`udsyn check` reads the graph with its own queries; each finds the same on every
    store (none of them needs what Virtuoso lacks: EXISTS in BIND, a path with no fixed end)."""
    import datetime

    from udsyn.registers import RegisterError, check_registers

    def findings(store: Store) -> list | str:
        try:
            report = check_registers([register], store, as_of=datetime.date(2026, 11, 30))
        except RegisterError as error:
            return str(error)
        return sorted(
            (f.row, f.column or "", f.rule, f.severity, f.message, f.suggestion or "")
            for f in report.findings
        )

    expected = findings(stores["embedded"])
    assert findings(stores["oxigraph"]) == expected
    assert findings(stores["virtuoso"]) == expected


def test_a_batch_of_records_is_accepted_seen_and_retracted_on_virtuoso(
    virtuoso_server: VirtuosoServer, virtuoso: RemoteStore, tmp_path: Path
) -> None:
    running = serve_on(virtuoso_server, tmp_path, UDSYN_WRITE_TOKEN="t0k")
    records = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a uds:PartnershipRecord }"

    def count() -> int:
        answer = httpx.get(f"{running.url}/sparql", params={"query": records}, timeout=60)
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    try:
        accepted = accept_register(running.url, "t0k")
        assert accepted.status_code == 201, accepted.text
        assert count() == 5
        batch = accepted.json()["batch"]
        shown = httpx.get(f"{running.url}/records/batches/{batch}", timeout=60)
        assert shown.status_code == 200, shown.text
        shown = shown.json()
        assert len(shown["records"]) == 5 and shown["by"] == "steward"
        retracted = retract_batch(running.url, "t0k", batch)
        assert retracted.status_code == 200, retracted.text
        assert count() == 0
    finally:
        stop_service(running)
