"""Front processes: the hot paths answered on the service's port by processes forked from the
store's copy, everything else handed over to the service with its connection.

Every test talks to a real ``udsyn serve`` over real sockets; which process holds the server
end of a connection is read from ``/proc``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from udsyn.config import Settings
from udsyn.formats import RESULT_FORMATS, by_name
from udsyn.runtime.checker import PROCESS_NAME as CHECK_PROCESS
from udsyn.runtime.fronts import PROCESS_NAME as FRONT_PROCESS
from udsyn.runtime.pool import QueryTimeout, ServiceBusy
from udsyn.runtime.threaded import ThreadedQueries
from udsyn.runtime.worker import Job
from udsyn.sparql.grammar import MAX_NESTING
from udsyn.store import EmbeddedStore

from .conftest import RunningService, start_service, stop_service
from .support import REGISTERS, accept_register
from .test_hardening import LIMITED, descendants_named, wait_for_workers, wait_until_gone

TOKEN = "front-token"
RECORDS = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a uds:PartnershipRecord }"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("fronts")
    running = start_service(folder / "store", log=folder / "serve.log", UDSYN_WRITE_TOKEN=TOKEN,
                            **LIMITED)  # fmt: skip
    yield running
    stop_service(running)


def connect(service: RunningService) -> http.client.HTTPConnection:
    host, port = service.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.connect()
    return connection


def ask(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
    answer = connection.getresponse()
    return answer.status, answer.read()


def count(connection: http.client.HTTPConnection, query: str) -> int:
    status, body = ask(connection, "/sparql?" + urlencode({"query": query}))
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def server_end_holder(service: RunningService, connection: http.client.HTTPConnection) -> int:
    """The process holding the server's end of the connection (from /proc/net/tcp)."""
    client_port = connection.sock.getsockname()[1]
    server_port = int(service.url.rsplit(":", 1)[1])
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    assert inode, "the connection's server end was not found"
    candidates = {service.process.pid} | descendants_named(service, FRONT_PROCESS)
    for pid in candidates:
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(descriptor) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no process of the service holds the connection")


def test_a_front_answers_lookups_and_hands_anything_else_over_with_the_connection(
    served: RunningService,
) -> None:
    fronts = wait_for_workers(served, 2, name=FRONT_PROCESS)
    connection = connect(served)
    assert count(connection, "SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }") > 5
    assert server_end_holder(served, connection) in fronts
    status, body = ask(connection, "/health")  # the same connection, now the service's
    assert status == 200 and json.loads(body)["front_processes"] == 2
    assert server_end_holder(served, connection) == served.process.pid
    assert count(connection, "SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }") > 5
    connection.close()


def test_a_request_line_that_arrives_in_pieces_is_routed_by_its_whole_path(
    served: RunningService,
) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(b"GET /hea")
        time.sleep(0.2)
        raw.sendall(b"lth HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert json.loads(body)["status"] == "ok"


def test_a_large_body_goes_over_whole_with_its_connection(served: RunningService) -> None:
    """A register of 120 KB (its records after 120,000 bytes of comments) crosses to the
    service in several messages, and is read as it was sent."""
    padding = ("# " + "x" * 98 + "\n") * 1200
    register = padding + (REGISTERS / "end-before-start.ttl").read_text()

    def check(client: httpx.Client) -> dict:
        answer = client.post(f"{served.url}/validate?name=padded.ttl", content=register,
                             headers={"Content-Type": "text/turtle"}, timeout=60)  # fmt: skip
        assert answer.status_code == 200, answer.text
        return answer.json()

    with httpx.Client() as fresh, httpx.Client() as settled:
        assert settled.get(f"{served.url}/health").status_code == 200  # the service's already
        handed_over = check(fresh)
        assert handed_over["summary"]["violations"] >= 1
        assert handed_over == check(settled)


def test_a_request_read_together_with_a_lookup_is_refused_with_421(
    served: RunningService,
) -> None:
    """Pipelined in one segment behind a lookup, a request for a page reaches the front's
    parser, which cannot hand it over; it is told to ask again on a new connection."""
    port = int(served.url.rsplit(":", 1)[1])
    lookup = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n\r\n"
    page = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(lookup + page)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"HTTP/1.1 421" in answer and b"connection: close" in answer.lower()


def exchange(service: RunningService, data: bytes, pause_after: bytes = b"") -> bytes:
    """Send raw bytes to the service on a new connection and read until it closes; with
    ``pause_after``, that part first, then the rest once the service has answered it."""
    port = int(service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        if pause_after:
            raw.sendall(pause_after)
            interim = raw.recv(65536)
            assert interim, "the connection closed early"
        else:
            interim = b""
        raw.sendall(data)
        answer = interim
        while chunk := raw.recv(65536):
            answer += chunk
    return answer


def test_a_front_speaks_http_as_clients_expect(served: RunningService) -> None:
    """The front's own HTTP/1.1: persistent connections, chunked bodies, 100-continue, HEAD
    without a body, Connection: close, a clear 400 for what is not HTTP, an upgrade asked
    for and not taken, and 431 for endless headers."""
    ask_query = b"ASK { ?s ?p ?o }"
    first = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: h\r\nAccept: text/csv\r\n\r\n"
    chunked = (
        b"POST /sparql HTTP/1.1\r\nHost: h\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n"
        % (len(ask_query), ask_query)
    )
    answers = exchange(served, chunked, pause_after=first)
    assert answers.count(b"HTTP/1.1 200 OK") == 2, answers
    assert answers.endswith(b'{"head":{},"boolean":true}'), answers

    continued = exchange(served, ask_query, pause_after=(
        b"POST /sparql HTTP/1.1\r\nHost: h\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        % len(ask_query)
    ))  # fmt: skip
    assert continued.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), continued

    head = exchange(served, b"HEAD /sparql HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405") and head.endswith(b"\r\n\r\n"), head

    broken = exchange(served, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost h\r\n\r\n")
    assert broken.startswith(b"HTTP/1.1 400") and b"invalid HTTP request" in broken, broken

    upgrade = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMA\r\n"
    asked = exchange(served, first.replace(b"\r\n\r\n", b"\r\n" + upgrade + b"\r\n"))
    assert asked.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in asked, asked

    endless = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: h\r\nX-Long: " + b"x" * 100_000
    assert exchange(served, endless + b"\r\n\r\n").startswith(b"HTTP/1.1 431"), "head too long"


def thread_cpu(pid: int) -> dict[int, int]:
    """CPU ticks so far of each thread of a process."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


def test_a_query_asked_alone_runs_on_the_fronts_own_thread(served: RunningService) -> None:
    """Asked when the front has nothing else to do, a query runs on the thread that runs
    the front's event loop: no hop to a query thread and back."""
    fronts = wait_for_workers(served, 2, name=FRONT_PROCESS)
    before = {pid: thread_cpu(pid) for pid in fronts}
    long = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d rdfs:label ?f }"  # about 0.3 s
    connection = connect(served)
    assert count(connection, long) > 1_000_000
    answered_by = server_end_holder(served, connection)
    connection.close()
    used = {tid: ticks - before[answered_by].get(tid, 0)
            for tid, ticks in thread_cpu(answered_by).items()}  # fmt: skip
    main_thread = used.pop(answered_by)
    assert main_thread >= 10, used  # at least 0.1 s
    assert sum(used.values()) < main_thread / 4, (main_thread, used)


def test_the_deepest_query_the_parse_lets_through_is_answered_on_a_fronts_own_thread(
    served: RunningService,
) -> None:
    """The engine recurses over a query's algebra; the event loop's thread has the
    process's own stack, not a query thread's 64 MiB, and must take the deepest query the
    parse lets through."""

    def nested(levels: int) -> str:
        return "SELECT * WHERE " + "{ ?s ?p ?o " * levels + "}" * levels + " LIMIT 1"

    with httpx.Client(timeout=30) as client:
        answer = client.get(f"{served.url}/sparql", params={"query": nested(MAX_NESTING)},
                            headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["results"]["bindings"]) == 1
        too_deep = client.get(f"{served.url}/sparql", params={"query": nested(MAX_NESTING + 1)})
        assert too_deep.status_code == 400 and "nests more than" in too_deep.text


def test_a_download_is_streamed_by_a_front_as_the_service_streams_it(
    served: RunningService,
) -> None:
    url = f"{served.url}/questions/decisions?format=csv"
    with httpx.Client() as fresh, httpx.Client() as settled:
        assert settled.get(f"{served.url}/health").status_code == 200  # the service's already
        from_front, from_service = fresh.get(url), settled.get(url)
    assert from_front.status_code == 200, from_front.text
    assert from_front.headers["content-disposition"] == 'attachment; filename="decisions.csv"'
    assert from_front.content == from_service.content
    assert from_front.content.count(b"\n") > 3


def test_after_a_write_no_connection_gets_an_answer_from_before_it(
    served: RunningService,
) -> None:
    before = wait_for_workers(served, 2, name=FRONT_PROCESS)
    kept = connect(served)  # held by a front across the write
    fresh_count = count(kept, RECORDS)
    accepted = accept_register(served.url, TOKEN)
    assert accepted.status_code == 201, accepted.text
    assert count(kept, RECORDS) == fresh_count + 5  # handed over, answered by the service
    with httpx.Client() as new:
        answer = new.post(f"{served.url}/sparql", data={"query": RECORDS + " # new"})
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == fresh_count + 5
    after = wait_for_workers(served, 2, name=FRONT_PROCESS)
    assert not before & after, "every front was renewed"
    wait_until_gone(before)
    kept.close()


def test_a_killed_front_is_replaced(served: RunningService) -> None:
    victim, *others = wait_for_workers(served, 2, name=FRONT_PROCESS)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        fronts = descendants_named(served, FRONT_PROCESS)
        if len(fronts) == 2 and victim not in fronts:
            break
        assert time.monotonic() < deadline, fronts
        time.sleep(0.1)
    assert set(others) <= fronts
    for _ in range(6):  # new connections, spread over both
        with httpx.Client() as client:
            assert client.get(f"{served.url}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_query_that_needs_too_much_memory_ends_its_front_alone(served: RunningService) -> None:
    """The front's memory is capped like a worker's: the engine stops the process, whose
    connections close unanswered; the other front goes on and the lost one is replaced."""
    query = """SELECT (STRLEN(?e) AS ?n) WHERE { BIND("aaaaaaaaaaaaaaaa" AS ?a)
      BIND(REPLACE(?a, "a", ?a) AS ?b) BIND(REPLACE(?b, "a", ?b) AS ?c)
      BIND(REPLACE(?c, "a", ?b) AS ?d) BIND(REPLACE(?d, "a", ?b) AS ?e) }"""
    before = wait_for_workers(served, 2, name=FRONT_PROCESS)
    connection = connect(served)
    holder = server_end_holder(served, connection)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        ask(connection, "/sparql?" + urlencode({"query": query}))
    after = wait_for_workers(served, 2, name=FRONT_PROCESS)
    assert before - after == {holder}
    answer = httpx.get(f"{served.url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert answer.json()["boolean"] is True


def test_the_fronts_and_the_checking_process_end_with_the_service(tmp_path: Path) -> None:
    service = start_service(tmp_path / "store", **LIMITED)
    fronts = wait_for_workers(service, 2, name=FRONT_PROCESS)
    example = Path(__file__).parents[1] / "docs" / "registers" / "example.csv"
    checked = httpx.post(
        f"{service.url}/validate?name=example.csv",
        timeout=60,
        content=example.read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert checked.status_code == 200, checked.text
    checking = descendants_named(service, CHECK_PROCESS)
    assert len(checking) == 1
    service.process.kill()  # no shutdown: what it started must end by itself
    service.process.wait()
    wait_until_gone(fronts | checking, seconds=10)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{service.url}/sparql", params={"query": "ASK {}"}, timeout=5)


def test_with_no_front_processes_the_service_answers_everything(tmp_path: Path) -> None:
    service = start_service(tmp_path / "store", UDSYN_HTTP_PROCESSES="0", **LIMITED)
    try:
        assert not descendants_named(service, FRONT_PROCESS)
        connection = connect(service)
        assert count(connection, "SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }") > 5
        assert server_end_holder(service, connection) == service.process.pid
        assert httpx.get(f"{service.url}/health").json()["front_processes"] == 0
        connection.close()
    finally:
        stop_service(service)


def test_query_threads_refuse_a_wait_and_retire_for_an_overrun(
    strategy_store: EmbeddedStore,
) -> None:
    """In process: with one thread, a query past the limit is refused as a worker's would be
    and makes the process retire; one that waited the limit for the thread is told so."""
    retired: list[bool] = []
    settings = Settings(query_timeout=0.3, answer_cache_mb=0)
    queries = ThreadedQueries(
        strategy_store, settings, 1, runaway=lambda: retired.append(True), alone=lambda: False
    )
    two_seconds = Job("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", "json")

    async def both() -> list[object]:
        first = asyncio.ensure_future(queries.run(two_seconds))
        second = asyncio.ensure_future(queries.run(Job("ASK {}", "json")))
        return await asyncio.gather(first, second, return_exceptions=True)

    overran, waited = asyncio.run(both())
    assert isinstance(overran, QueryTimeout) and "longer than 0.3 s" in str(overran)
    assert isinstance(waited, ServiceBusy)
    assert retired == [True]


def test_query_threads_answer_as_a_worker_does(strategy_store: EmbeddedStore) -> None:
    queries = ThreadedQueries(
        strategy_store, Settings(), 2, runaway=lambda: None, alone=lambda: False
    )
    job = Job("SELECT (COUNT(*) AS ?n) WHERE { ?s a uds:Region }", "json")
    answer = asyncio.run(queries.run(job))
    expected = strategy_store.query(job.text, by_name("json", RESULT_FORMATS))
    assert (answer.format, answer.body) == ("json", expected)


def test_a_stopping_service_lets_its_fronts_finish_the_answers_in_progress(
    tmp_path: Path,
) -> None:
    service = start_service(tmp_path / "store", **LIMITED)
    fronts = wait_for_workers(service, 2, name=FRONT_PROCESS)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d a ?e }"  # a few tenths of a second
    with concurrent.futures.ThreadPoolExecutor(1) as background:
        asked = background.submit(
            httpx.post, f"{service.url}/sparql", data={"query": query}, timeout=30
        )
        time.sleep(0.1)
        service.process.terminate()
        answer = asked.result()
    assert answer.status_code == 200, answer.text
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 100_000
    # uvicorn ends by raising the signal it stopped for again
    assert service.process.wait(timeout=30) in (0, -signal.SIGTERM)
    wait_until_gone(fronts, seconds=10)
