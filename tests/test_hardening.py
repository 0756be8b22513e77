"""The public endpoint cannot be turned against its host.

Each test here is a finding of an outside probe: guard bypasses, limits that could be
skipped, work that blocked the server or pinned its memory, workers that died or lied about
their health. Every test talks to a real ``udsyn serve``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from udsyn.questions import shipped_questions
from udsyn.runtime.checker import PROCESS_NAME as CHECK_PROCESS
from udsyn.runtime.fronts import PROCESS_NAME as FRONT_PROCESS
from udsyn.runtime.worker import PROCESS_NAME

from .conftest import Listener, RunningService, start_service, stop_service
from .support import accept_register, retract_batch

LIMITED = {"UDSYN_QUERY_TIMEOUT": "2", "UDSYN_MAX_ROWS": "50", "UDSYN_QUERY_WORKERS": "2"}


@pytest.fixture(scope="module", params=["fronts", "workers"])
def hardened(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    """The embedded service with a 2 s time limit, 50 rows, two workers, and its log kept;
    with its two front processes answering the hot paths (as by default), and with none, so
    that the service's own workers answer everything (``UDSYN_HTTP_PROCESSES=0``)."""
    folder = tmp_path_factory.mktemp(f"hardened-{request.param}")
    processes = "2" if request.param == "fronts" else "0"
    running = start_service(
        folder / "store", log=folder / "serve.log", UDSYN_HTTP_PROCESSES=processes, **LIMITED
    )
    yield running
    stop_service(running)


def has_fronts(service: RunningService) -> bool:
    return httpx.get(f"{service.url}/health", timeout=30).json()["front_processes"] > 0


def answering_pids(service: RunningService) -> set[int]:
    """The processes that run queries: workers and front processes."""
    return worker_pids(service) | descendants_named(service, FRONT_PROCESS)


def post(service: RunningService, query: str, **options) -> httpx.Response:
    return httpx.post(f"{service.url}/sparql", data={"query": query}, timeout=30, **options)


def worker_pids(service: RunningService) -> set[int]:
    """The query workers: the service's descendants named ``udsyn-query``."""
    return descendants_named(service, PROCESS_NAME)


def descendants_named(service: RunningService, name: str) -> set[int]:
    """The service's live descendants whose ``comm`` is ``name``."""
    parents = _parents()

    def descends(pid: int) -> bool:
        while pid in parents and pid != service.process.pid:
            pid = parents[pid]
        return pid == service.process.pid

    return {
        pid for pid in parents
        if descends(pid) and _comm(pid) == name and _state(pid) != "Z"
    }  # fmt: skip


def _parents() -> dict[int, int]:
    """Every process's parent, by process id."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    return parents


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def wait_for_workers(
    service: RunningService, count: int, seconds: float = 30, name: str = PROCESS_NAME
) -> set[int]:
    """The ``count`` live processes named ``name`` (query workers unless told), once there
    are that many."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = descendants_named(service, name)
        if len(pids) == count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"expected {count} {name}, found {descendants_named(service, name)}")


def wait_until_gone(pids: set[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while any(_state(pid) != "Z" for pid in pids):
        assert time.monotonic() < deadline, f"{pids} still running"
        time.sleep(0.1)


# -- the row limit counts what the engine streams --------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o } LIMIT 51",  # an explicit LIMIT no longer skips the check
        "SELECT * WHERE { ?s ?p ?o } LIMIT 100000",
        # The regex lexer read "# LIMIT 5" as a top-level LIMIT after the escaped name.
        "PREFIX ex: <http://e/>\nSELECT * WHERE { BIND(ex:p\\# AS ?q) ?s ?p ?o } # LIMIT 5\n",
        "CONSTRUCT { ?s a <urn:T> } WHERE { ?s ?p ?o }",  # 596 distinct triples, no truncation
        "CONSTRUCT { ?a ?b ?c . ?a <urn:x> ?d } WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 50",
        "DESCRIBE ?s WHERE { ?s a ?type }",
    ],
)
def test_no_answer_passes_the_row_limit(hardened: RunningService, query: str) -> None:
    answer = post(hardened, query)
    assert answer.status_code == 400, answer.text[:200]
    assert "more than 50" in answer.text


def test_the_limit_counts_distinct_triples_not_solutions(hardened: RunningService) -> None:
    # Thousands of solutions make one triple: the answer fits.
    one = post(hardened, "CONSTRUCT { <urn:x> a <urn:T> } WHERE { ?s ?p ?o }",
               headers={"Accept": "application/n-triples"})  # fmt: skip
    assert one.status_code == 200
    assert one.text.strip() == "<urn:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <urn:T> ."
    exactly = post(hardened, "SELECT * WHERE { ?s ?p ?o } LIMIT 50", headers={"Accept": "text/csv"})
    assert exactly.status_code == 200
    assert len(exactly.text.strip().splitlines()) == 51


# -- refusals on the grammar, not on a regex ---------------------------------------------------


@pytest.mark.parametrize(
    "query, reason",
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1.5", "malformed query: error at 1:36"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1e5", "malformed query"),
        ("SELECT * WHERE " + "{" * 10_000 + "}" * 10_000, "nests more than 64"),
        ("SELECT * WHERE { BIND(" + "CONCAT(" * 1000 + "'a'" + ")" * 1000 + " AS ?x) }",
         "nests more than 64"),
        ("SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * 20_000) + "}", "operators"),
        ("SELECT * WHERE { ?s ?p ?o . " + "OPTIONAL { ?s ?p ?o } " * 3000 + "}", "operators"),
    ],
)  # fmt: skip
def test_queries_the_engine_cannot_take_are_refused_with_400(
    hardened: RunningService, query: str, reason: str
) -> None:
    before = answering_pids(hardened)
    answer = post(hardened, query)
    assert answer.status_code == 400
    assert reason in answer.text
    assert answering_pids(hardened) == before  # no process died


def test_a_hostile_body_is_refused_without_holding_up_the_server(
    hardened: RunningService,
) -> None:
    with httpx.Client(timeout=30) as client:
        started = time.monotonic()
        answer = client.post(
            f"{hardened.url}/sparql",
            content=b"'\\" * 20_000,
            headers={"Content-Type": "application/sparql-query"},
        )
        took = time.monotonic() - started
        health = client.get(f"{hardened.url}/health")
    assert answer.status_code == 400 and answer.text.startswith("malformed query")
    assert took < 2.0  # within the query time limit: the parse is linear
    assert health.status_code == 200


def test_requests_past_the_size_limit_get_413(hardened: RunningService) -> None:
    big = "ASK {} #" + "x" * 1_000_001
    by_body = httpx.post(f"{hardened.url}/sparql", content=big.encode(),
                         headers={"Content-Type": "application/sparql-query"})  # fmt: skip
    assert by_body.status_code == 413
    by_form = httpx.post(f"{hardened.url}/sparql", data={"query": big})
    assert by_form.status_code == 413
    fits = httpx.post(f"{hardened.url}/sparql", content=b"ASK {} #" + b"x" * 900_000,
                      headers={"Content-Type": "application/sparql-query"})  # fmt: skip
    assert fits.status_code == 200


# -- workers ---------------------------------------------------------------------------------


def test_an_overrunning_query_stops_the_process_that_ran_it_which_is_replaced(
    hardened: RunningService,
) -> None:
    """A worker is killed; a front process retires (hands its connections to the service)
    and ends, which stops the query thread it cannot stop otherwise."""
    name = FRONT_PROCESS if has_fronts(hardened) else PROCESS_NAME
    before = wait_for_workers(hardened, 2, name=name)
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with httpx.Client(timeout=30) as client:
        answer = client.post(f"{hardened.url}/sparql", data={"query": runaway})
        assert answer.status_code == 503 and "longer than 2 s" in answer.text
        # the same connection, handed over if a front answered: still served, by the service
        assert client.get(f"{hardened.url}/health").status_code == 200
        again = client.post(f"{hardened.url}/sparql", data={"query": "ASK { ?s ?p ?o }"})
        assert again.json()["boolean"] is True
    after = wait_for_workers(hardened, 2, name=name)
    assert len(before - after) == 1, "exactly the process that ran it was stopped"
    wait_until_gone(before - after)
    assert healthy_workers(hardened) == 2


def healthy_workers(service: RunningService, seconds: float = 30) -> int:
    """How many workers /health reports alive, once the pool is whole again (or in time)."""
    deadline = time.monotonic() + seconds
    while True:
        health = httpx.get(f"{service.url}/health", timeout=30).json()
        if health["workers_alive"] == health["workers"] or time.monotonic() > deadline:
            return health["workers_alive"]
        time.sleep(0.2)


def test_a_query_that_needs_too_much_memory_is_stopped_and_the_service_recovers(
    hardened: RunningService,
) -> None:
    # Each REPLACE multiplies the string's length by 256: ?e would hold 4 G characters.
    query = """SELECT (STRLEN(?e) AS ?n) WHERE { BIND("aaaaaaaaaaaaaaaa" AS ?a)
      BIND(REPLACE(?a, "a", ?a) AS ?b) BIND(REPLACE(?b, "a", ?b) AS ?c)
      BIND(REPLACE(?c, "a", ?b) AS ?d) BIND(REPLACE(?d, "a", ?b) AS ?e) }"""
    if has_fronts(hardened):  # the front that ran it ends, its connections unanswered
        with pytest.raises(httpx.RemoteProtocolError):
            post(hardened, query)
        wait_for_workers(hardened, 2, name=FRONT_PROCESS)
    else:
        answer = post(hardened, query)
        assert answer.status_code == 503
        assert "1024 MiB a query may use" in answer.text
    assert healthy_workers(hardened) == 2
    assert post(hardened, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_health_is_a_real_round_trip_and_dead_workers_are_replaced(
    tmp_path: Path,
) -> None:
    service = start_service(tmp_path / "store", **LIMITED)
    try:
        assert httpx.get(f"{service.url}/health").status_code == 200  # cached answers now
        for pid in wait_for_workers(service, 2):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        health = httpx.get(f"{service.url}/health", timeout=30)
        assert health.status_code == 200, health.text  # answered by a fresh worker
        for number in range(4):
            answer = post(service, f"SELECT ({number} AS ?n) WHERE {{}}")
            assert answer.status_code == 200, answer.text
        assert healthy_workers(service) == 2
    finally:
        stop_service(service)


def test_workers_and_fronts_have_no_network(hardened: RunningService) -> None:
    assert httpx.get(f"{hardened.url}/health").json()["workers_network_isolated"] is True
    service_ns = os.readlink(f"/proc/{hardened.process.pid}/ns/net")
    answering = answering_pids(hardened)
    assert len(answering) == (4 if has_fronts(hardened) else 2)
    for pid in answering:
        assert os.readlink(f"/proc/{pid}/ns/net") != service_ns


def check_example(service: RunningService) -> httpx.Response:
    """``POST /validate`` with the documented example register (3 violations)."""
    register = Path(__file__).parents[1] / "docs" / "registers" / "example.csv"
    return httpx.post(
        f"{service.url}/validate?name=example.csv",
        content=register.read_bytes(),
        headers={"Content-Type": "text/csv"},
        timeout=60,
    )


def test_register_checks_run_in_a_process_of_their_own_without_network(
    hardened: RunningService,
) -> None:
    """A register from outside is read and checked beside the service, not in the process
    that answers every request, and that process cannot open a connection."""
    first = check_example(hardened)
    assert first.status_code == 200 and first.json()["summary"]["violations"] == 3
    checking = descendants_named(hardened, CHECK_PROCESS)
    assert len(checking) == 1
    service_ns = os.readlink(f"/proc/{hardened.process.pid}/ns/net")
    assert os.readlink(f"/proc/{next(iter(checking))}/ns/net") != service_ns
    assert check_example(hardened).json() == first.json()
    assert descendants_named(hardened, CHECK_PROCESS) == checking  # one process, kept


def _service_query_past_every_guard(port: int, result: multiprocessing.Queue) -> None:
    """In a fresh process: give up the network as a worker does, then run SERVICE directly."""
    import pyoxigraph as ox

    from udsyn.runtime import sandbox

    refused = sandbox.isolate_network()
    try:
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{}} }}"))
        result.put((refused, "answered"))
    except Exception as error:
        result.put((refused, f"{type(error).__name__}: {error}"))


def test_a_worker_cannot_reach_the_network_even_past_the_parser(listener: Listener) -> None:
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    child = context.Process(target=_service_query_past_every_guard, args=(listener.port, result))
    child.start()
    refused, outcome = result.get(timeout=60)
    child.join(timeout=10)
    assert refused is None
    assert outcome != "answered"
    time.sleep(0.3)
    assert listener.connections == 0


# -- the web process -------------------------------------------------------------------------


def test_the_service_description_ignores_the_host_header(hardened: RunningService) -> None:
    for host in ("evil.example", "x%zz"):
        answer = httpx.get(f"{hardened.url}/sparql",
                           headers={"Host": host, "Accept": "text/turtle"})  # fmt: skip
        assert answer.status_code == 200
        assert host not in answer.text
        assert f"<{hardened.url}/sparql>" in answer.text


def test_a_client_that_leaves_mid_body_leaves_no_traceback(hardened: RunningService) -> None:
    log = hardened.store_path.parent / "serve.log"
    before = log.read_text()
    port = int(hardened.url.rsplit(":", 1)[1])
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/sparql-query\r\nContent-Length: 100000\r\n"
                        b"\r\nASK {}")  # fmt: skip
    time.sleep(0.5)
    assert httpx.get(f"{hardened.url}/health").status_code == 200
    added = log.read_text()[len(before) :]
    assert "Traceback" not in added


def test_a_load_into_a_served_store_is_refused(hardened: RunningService, tmp_path: Path) -> None:
    data = tmp_path / "more.ttl"
    data.write_text("<http://e/a> <http://e/b> <http://e/c> .\n", encoding="utf-8")
    loading = subprocess.run(
        [sys.executable, "-m", "udsyn", "--store", str(hardened.store_path), "load", str(data)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert loading.returncode == 2
    assert "being served by `udsyn serve`" in loading.stderr
    assert "Traceback" not in loading.stderr
    ask = post(hardened, "ASK { <http://e/a> ?p ?o }").json()
    assert ask["boolean"] is False


def test_the_openapi_document_is_valid_with_unique_operation_ids(
    hardened: RunningService,
) -> None:
    document = httpx.get(f"{hardened.url}/openapi.json").json()
    validate(document)
    operations = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(operations) == len(set(operations)) > 30


# -- fuzzing ---------------------------------------------------------------------------------

_PIECES = [
    "{",
    "}",
    "(",
    ")",
    "\\",
    "'",
    '"',
    "#",
    "\\#",
    "\\'",
    "<",
    ">",
    ":",
    "SERVICE",
    "LIMIT 5",
    "UNION",
    "FILTER(",
    " ",
    "\n",
    "ex:p\\#",
    "'''",
    "?x",
    "\u00e6",
    "\x00",
]


def mutations(seed: int, count: int) -> Iterator[str]:
    """Question texts cut, spliced with SPARQL's tricky pieces, nested and grown."""
    chance = random.Random(seed)
    texts = [question.text for question in shipped_questions()]
    for _ in range(count):
        text = chance.choice(texts)
        for _ in range(chance.randint(1, 6)):
            at = chance.randrange(len(text) + 1)
            move = chance.random()
            if move < 0.4:
                text = text[:at] + chance.choice(_PIECES) + text[at:]
            elif move < 0.7:
                text = text[:at] + text[at + chance.randint(1, 20) :]
            elif move < 0.85:
                depth = chance.choice([3, 70, 500])
                text = text[:at] + "{" * depth + "}" * depth + text[at:]
            else:
                text = text[:at] + chance.choice(_PIECES) * chance.randint(10, 2000) + text[at:]
        yield text


def test_fuzzed_queries_never_get_a_server_error(hardened: RunningService) -> None:
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=30) as client:
        for text in mutations(seed=15, count=150):
            answer = client.post(f"{hardened.url}/sparql", data={"query": text})
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            assert answer.status_code < 500 or answer.status_code == 503, (text[:300], answer.text)
        assert client.get(f"{hardened.url}/health").status_code == 200
    assert statuses.get(400, 0) > 50  # most mutations break the query, and are told so


def test_schemathesis_finds_no_server_error(hardened: RunningService, tmp_path: Path) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", f"{hardened.url}/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", "8", "--phases", "examples,fuzzing",
         "--request-timeout", "20", "--workers", "1", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    assert httpx.get(f"{hardened.url}/health").status_code == 200


# -- serving from the store's copy in memory --------------------------------------------------


def _host_pid(service: RunningService) -> int:
    hosts = [pid for pid in _children(service.process.pid) if _comm(pid) == "udsyn-host"]
    assert len(hosts) == 1, f"expected one store host, found {hosts}"
    return hosts[0]


def _children(parent: int) -> list[int]:
    return [pid for pid, its_parent in _parents().items() if its_parent == parent]


def test_workers_are_forked_from_the_store_host_and_share_its_network_cut(
    hardened: RunningService,
) -> None:
    host = _host_pid(hardened)
    workers = wait_for_workers(hardened, 2)
    assert {pid for pid in _children(host) if _comm(pid) == PROCESS_NAME} == workers
    fronts = descendants_named(hardened, FRONT_PROCESS)
    assert {pid for pid in _children(host) if _comm(pid) == FRONT_PROCESS} == fronts
    service_ns = os.readlink(f"/proc/{hardened.process.pid}/ns/net")
    assert os.readlink(f"/proc/{host}/ns/net") != service_ns


def test_a_stopped_store_host_is_started_again_and_queries_go_on(tmp_path: Path) -> None:
    service = start_service(tmp_path / "store", **LIMITED)
    try:
        host, workers = _host_pid(service), wait_for_workers(service, 2)
        for pid in (host, *workers):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        answer = post(service, "SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }")
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert healthy_workers(service) == 2
        assert _host_pid(service) != host
    finally:
        stop_service(service)


def test_the_service_can_answer_from_disk_instead(tmp_path: Path) -> None:
    service = start_service(tmp_path / "store", UDSYN_SERVE_FROM="disk", **LIMITED)
    try:
        assert not [pid for pid in _children(service.process.pid) if _comm(pid) == "udsyn-host"]
        assert set(_children(service.process.pid)) >= wait_for_workers(service, 2)
        answer = post(service, "SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }")
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 0
        assert "udsyn-query" in Path(f"/proc/{next(iter(worker_pids(service)))}/comm").read_text()
    finally:
        stop_service(service)


@pytest.mark.parametrize("serve_from", ["memory", "disk"])
def test_a_batch_and_its_retraction_are_seen_at_once(tmp_path: Path, serve_from: str) -> None:
    service = start_service(
        tmp_path / "store", UDSYN_SERVE_FROM=serve_from, UDSYN_WRITE_TOKEN="t0k", **LIMITED
    )
    records = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a uds:PartnershipRecord } #"

    def counts(salt: str) -> set[int]:  # new texts, so that both workers answer and no cache
        answers = [post(service, f"{records} {salt}{n}") for n in range(6)]
        return {int(answer.json()["results"]["bindings"][0]["n"]["value"]) for answer in answers}

    try:
        assert counts("before") == {0}
        accepted = accept_register(service.url, "t0k")
        assert accepted.status_code == 201, accepted.text
        assert counts("stored") == {5}
        retracted = retract_batch(service.url, "t0k", accepted.json()["batch"])
        assert retracted.status_code == 200, retracted.text
        assert counts("retracted") == {0}
    finally:
        stop_service(service)


def test_a_service_on_memory_alone_serves_the_shipped_graph(tmp_path: Path) -> None:
    service = start_service(
        Path(":memory:"), log=tmp_path / "serve.log", UDSYN_WRITE_TOKEN="x", **LIMITED
    )
    try:
        answer = post(service, "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a uds:Region }")
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 5
        assert "serving the shipped graph from memory" in (tmp_path / "serve.log").read_text()
        refused = httpx.post(f"{service.url}/records", content=b"id\n", headers={
            "Authorization": "Bearer x", "Content-Type": "text/csv"})  # fmt: skip
        assert refused.status_code in (403, 503) and "in memory only" in refused.text
    finally:
        stop_service(service)


def test_a_checking_process_that_died_is_started_again(hardened: RunningService) -> None:
    assert check_example(hardened).status_code == 200
    (killed,) = descendants_named(hardened, CHECK_PROCESS)
    os.kill(killed, signal.SIGKILL)
    answer = check_example(hardened)
    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"]["violations"] == 3
    assert descendants_named(hardened, CHECK_PROCESS) - {killed}
