"""Partnership records in the running service: tokens, batches all or nothing, visibility on
every worker, conflicts and history, retraction and audit, SIGKILL mid-batch, backups."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningService, start_service, stop_service

REGISTERS = Path(__file__).parent / "registers"
TOKEN = "test-token-4f1c"
CSV = {"Content-Type": "text/csv"}
AUTH = {"Authorization": f"Bearer {TOKEN}", **CSV}
RECORDS = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a uds:PartnershipRecord }"
QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(url: str, query: str = RECORDS, salt: str = "") -> int:
    """A count through /sparql; ``salt`` makes the text new, so no cache can answer."""
    answer = httpx.get(f"{url}/sparql", params={"query": query + f" # {salt}"}, timeout=60)
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def post(url: str, path: Path | str, headers: dict, **params: str) -> httpx.Response:
    data = path.read_bytes() if isinstance(path, Path) else path.encode()
    return httpx.post(f"{url}/records", content=data, headers=headers, params=params, timeout=600)


@pytest.fixture
def writable(tmp_path: Path) -> Iterator[RunningService]:
    """A service with a write token and two query workers, on a fresh store."""
    running = start_service(
        tmp_path / "store",
        log=tmp_path / "service.log",
        UDSYN_WRITE_TOKEN=TOKEN,
        UDSYN_QUERY_WORKERS="2",
    )
    yield running
    stop_service(running)


# -- tokens ------------------------------------------------------------------------------------


def test_without_a_configured_token_writes_are_disabled(service: RunningService) -> None:
    before = count(service.url, QUADS, "t0")
    answer = post(service.url, REGISTERS / "clean.csv", {"Authorization": "Bearer x", **CSV})
    assert answer.status_code == 403
    assert "writes are disabled" in answer.json()["detail"]
    assert "UDSYN_WRITE_TOKEN" in answer.json()["detail"]
    assert count(service.url, QUADS, "t1") == before


def test_a_missing_or_wrong_token_changes_nothing(writable: RunningService) -> None:
    before = count(writable.url, QUADS, "t2")
    for headers in (CSV, {"Authorization": "Bearer wrong", **CSV}, {"Authorization": TOKEN, **CSV}):
        answer = post(writable.url, REGISTERS / "clean.csv", headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in answer.text
    assert count(writable.url, QUADS, "t3") == before
    assert TOKEN not in (writable.store_path.parent / "service.log").read_text()


# -- batches ------------------------------------------------------------------------------------


def test_a_register_with_violations_is_refused_with_its_findings(writable: RunningService) -> None:
    before = count(writable.url, QUADS, "v0")
    answer = post(writable.url, REGISTERS / "end-before-start.csv", AUTH, name="broken.csv")
    assert answer.status_code == 422
    findings = answer.json()["findings"]
    assert ("broken.csv", 2, "end_date", "udsh:RecordEndBeforeStartRule") in {
        (f["file"], f["row"], f["column"], f["rule"]) for f in findings
    }
    checked = httpx.post(
        f"{writable.url}/validate",
        content=(REGISTERS / "end-before-start.csv").read_bytes(),
        headers=CSV,
        params={"name": "broken.csv"},
    )
    assert checked.json()["findings"] == findings  # the same findings as a check
    assert count(writable.url, QUADS, "v1") == before


def test_an_accepted_batch_is_seen_at_once_by_every_worker(writable: RunningService) -> None:
    assert count(writable.url, RECORDS, "w0") == 0
    answer = post(writable.url, REGISTERS / "clean.csv", AUTH, name="clean.csv")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["stored"] == [
        "RM-2008-001",
        "RM-2008-002",
        "RM-2008-003",
        "RM-2009-004",
        "RM-2027-005",
    ]
    assert body["summary"]["infos"] == 1  # Nordland is new: warnings and notes come back too
    # many different texts, so that every worker answers some, and no cache can
    assert {count(writable.url, RECORDS, f"w{n}") for n in range(1, 17)} == {5}
    # the same text as before the write: its remembered answer was forgotten
    assert count(writable.url, RECORDS, "w0") == 5
    batch = httpx.get(f"{writable.url}/records/batches/{body['batch']}").json()
    assert batch["by"] == "steward" and len(batch["records"]) == 5
    assert batch["files"][0]["name"] == "clean.csv" and batch["files"][0]["rows"] == 5
    import hashlib

    expected = hashlib.sha256((REGISTERS / "clean.csv").read_bytes()).hexdigest()
    assert batch["files"][0]["sha256"] == expected


def test_a_file_name_with_control_characters_is_no_error(writable: RunningService) -> None:
    answer = httpx.post(
        f"{writable.url}/validate",
        params={"name": "\x00x\n.csv"},
        content=(REGISTERS / "clean.csv").read_bytes(),
        headers=CSV,
    )
    assert answer.status_code == 200
    assert answer.json()["findings"][0]["file"] == "x.csv"


def test_multipart_uploads_are_accepted(writable: RunningService) -> None:
    files = {"file": ("partners.csv", (REGISTERS / "clean.csv").read_bytes(), "text/csv")}
    answer = httpx.post(
        f"{writable.url}/records", files=files, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["findings"][0]["file"] == "partners.csv"


def test_a_changed_record_conflicts_unless_replaced_and_keeps_its_history(
    writable: RunningService,
) -> None:
    assert post(writable.url, REGISTERS / "clean.csv", AUTH).status_code == 201
    again = post(writable.url, REGISTERS / "clean.csv", AUTH)
    assert again.status_code == 200 and again.json()["batch"] is None  # nothing changed
    changed = (REGISTERS / "clean.csv").read_text().replace("2008-02-01", "2008-03-01")
    conflict = post(writable.url, changed, AUTH)
    assert conflict.status_code == 409
    assert conflict.json()["records"] == ["RM-2008-002"]
    replaced = post(writable.url, changed, AUTH, replace="true")
    assert replaced.status_code == 201
    assert replaced.json()["replaced"] == ["RM-2008-002"]
    assert replaced.json()["unchanged"] == [
        "RM-2008-001",
        "RM-2008-003",
        "RM-2009-004",
        "RM-2027-005",
    ]
    history = httpx.get(
        f"{writable.url}/sparql",
        params={
            "query": """
        SELECT ?start ?old ?oldStart WHERE {
          <https://w3id.org/udsyn/id/agreement/rm-2008-002> uds:startDate ?start ;
              prov:wasRevisionOf ?old . ?old uds:startDate ?oldStart }"""
        },
    ).json()
    (row,) = history["results"]["bindings"]
    assert (row["start"]["value"], row["oldStart"]["value"]) == ("2008-03-01", "2008-02-01")
    assert count(writable.url, RECORDS, "h") == 5  # the old version is history, not a record


def test_a_retraction_removes_the_batch_and_is_audited(writable: RunningService) -> None:
    batch = post(writable.url, REGISTERS / "clean.csv", AUTH).json()["batch"]
    assert count(writable.url, RECORDS, "r0") == 5
    assert httpx.delete(f"{writable.url}/records/batches/{batch}").status_code == 401
    answer = httpx.delete(
        f"{writable.url}/records/batches/{batch}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 200
    assert count(writable.url, RECORDS, "r1") == 0
    listed = httpx.get(f"{writable.url}/records/batches").json()["batches"]
    assert listed[0]["id"] == batch and listed[0]["retracted"]
    changes = httpx.get(f"{writable.url}/questions/recent-changes").json()
    rows = [(row["changeLabel"][:13], row["byLabel"], row["records"]) for row in changes["rows"]]
    assert rows == [("Retraction of", "steward", "0"), (f"Batch {batch}"[:13], "steward", "5")]
    audit = httpx.get(
        f"{writable.url}/sparql",
        params={
            "query": """
        SELECT ?who WHERE { GRAPH <https://w3id.org/udsyn/id/graph/audit> {
          ?retraction prov:invalidated ?batch ; prov:wasAssociatedWith/rdfs:label ?who } }"""
        },
    )
    assert [b["who"]["value"] for b in audit.json()["results"]["bindings"]] == ["steward"]
    again = httpx.delete(
        f"{writable.url}/records/batches/{batch}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert again.status_code == 404


def test_concurrent_batches_are_serialised_and_a_reader_sees_before_or_after(
    writable: RunningService,
) -> None:
    registers = [
        "id,partner,partner_country,kind,status,start_date\n"
        + "".join(
            f"C{n}-{i},Partner {n}-{i},NO,project partnership,active,2020-01-01\n" for i in range(5)
        )
        for n in range(3)
    ]
    answers: list[int] = []
    seen: set[int] = set()
    done = threading.Event()

    def read() -> None:
        n = 0
        while not done.is_set():
            seen.add(count(writable.url, RECORDS, f"c{n}"))
            n += 1

    reader = threading.Thread(target=read)
    reader.start()
    writers = [
        threading.Thread(
            target=lambda t=text: answers.append(post(writable.url, t, AUTH).status_code)
        )
        for text in registers
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert answers == [201, 201, 201]
    assert count(writable.url, RECORDS, "c-end") == 15
    assert seen <= {0, 5, 10, 15}  # whole batches only


# -- nothing lost ---------------------------------------------------------------------------------


def big_register(records: int) -> str:
    """Many records of known partners that do not overlap (planned, no dates)."""
    lines = ["id,partner,partner_country,kind,status"]
    lines += [
        f"BIG-{n:06d},Lower Silesia,PL,memorandum of understanding,planned" for n in range(records)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_service_killed_while_storing_a_batch_keeps_all_of_it_or_none(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    running = start_service(
        tmp_path / "store", log=log, UDSYN_WRITE_TOKEN=TOKEN, UDSYN_QUERY_WORKERS="1"
    )
    before = count(running.url, QUADS, "k0")
    sender = threading.Thread(target=lambda: _post_quietly(running.url, big_register(50_000)))
    sender.start()
    deadline = time.monotonic() + 900
    while "storing batch" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "storing batch" in log.read_text(), log.read_text()[-2000:]
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait()
    sender.join()
    for child in _children_of(running.process.pid):
        os.kill(child, signal.SIGKILL)
    restarted = start_service(tmp_path / "store", UDSYN_WRITE_TOKEN=TOKEN)
    try:
        records = count(restarted.url, RECORDS, "k1")
        batches = httpx.get(f"{restarted.url}/records/batches").json()["batches"]
        assert records in (0, 50_000)
        assert len(batches) == (1 if records else 0)  # the audit graph agrees
        if not records:
            assert count(restarted.url, QUADS, "k2") == before
        else:
            assert batches[0]["records"] == 50_000
    finally:
        stop_service(restarted)


def _post_quietly(url: str, text: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the service is killed under the request
        post(url, text, AUTH)


def _children_of(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def test_a_backup_taken_while_serving_restores_the_same_graph(
    writable: RunningService, tmp_path: Path
) -> None:
    assert post(writable.url, REGISTERS / "clean.csv", AUTH).status_code == 201
    copy = tmp_path / "backup"
    env = {**os.environ, "UDSYN_STORE": str(writable.store_path)}
    made = subprocess.run(
        [sys.executable, "-m", "udsyn", "backup", str(copy)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    expected = count(writable.url, QUADS, "b0")
    restored = start_service(copy, UDSYN_QUERY_WORKERS="1")
    try:
        assert count(restored.url, QUADS, "b1") == expected
        assert count(restored.url, RECORDS, "b2") == 5
    finally:
        stop_service(restored)


# -- the command line ---------------------------------------------------------------------------


def test_the_records_commands_work_locally_and_through_the_service(
    writable: RunningService, tmp_path: Path
) -> None:
    def udsyn(*arguments: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "udsyn", *arguments],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    served = ["--store", str(writable.store_path)]
    refused = udsyn(*served, "records", "add", str(REGISTERS / "clean.csv"))
    assert refused.returncode == 2 and "--service" in refused.stderr
    added = udsyn(
        "records",
        "add",
        str(REGISTERS / "clean.csv"),
        "--service",
        writable.url,
        UDSYN_WRITE_TOKEN=TOKEN,
    )
    assert added.returncode == 0, added.stderr
    assert "5 records" in added.stdout
    broken = udsyn(
        "records",
        "add",
        str(REGISTERS / "overlap.csv"),
        "--service",
        writable.url,
        UDSYN_WRITE_TOKEN=TOKEN,
    )
    assert broken.returncode == 1 and "overlap.csv row 2 partner" in broken.stdout
    listed = udsyn("records", "list", "--service", writable.url)
    (line,) = listed.stdout.splitlines()
    batch = line.split()[0]
    shown = json.loads(udsyn("records", "show", batch, "--service", writable.url).stdout)
    assert shown["records"][0]["id"] == "RM-2008-001"
    local = tmp_path / "local"
    assert udsyn("--store", str(local), "load", "--shipped").returncode == 0
    assert (
        udsyn(
            "--store",
            str(local),
            "records",
            "add",
            str(REGISTERS / "clean.csv"),
            UDSYN_STEWARD="anna",
        ).returncode
        == 0
    )
    (local_line,) = udsyn("--store", str(local), "records", "list").stdout.splitlines()
    assert " anna " in local_line
    retracted = udsyn("--store", str(local), "records", "retract", local_line.split()[0])
    assert retracted.returncode == 0
    missing = udsyn("--store", str(local), "records", "show", "no-such-batch")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


# -- on a remote SPARQL server ------------------------------------------------------------------


def test_records_on_a_remote_server(oxigraph_server, tmp_path: Path) -> None:
    """The same routes on `oxigraph serve`: one update per batch, seen at once, retractable."""
    oxigraph_server.clear()
    running = start_service(
        tmp_path / "unused",
        UDSYN_WRITE_TOKEN=TOKEN,
        UDSYN_ENDPOINT=oxigraph_server.endpoint.query_url,
        UDSYN_UPDATE_ENDPOINT=oxigraph_server.endpoint.update_url,
    )
    try:
        refused = post(running.url, REGISTERS / "end-before-start.csv", AUTH)
        assert refused.status_code == 422
        assert count(running.url, RECORDS, "x0") == 0
        answer = post(running.url, REGISTERS / "clean.csv", AUTH)
        assert answer.status_code == 201, answer.text
        assert count(running.url, RECORDS, "x1") == 5
        batch = answer.json()["batch"]
        assert httpx.get(f"{running.url}/records/batches").json()["batches"][0]["id"] == batch
        deleted = httpx.delete(
            f"{running.url}/records/batches/{batch}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert deleted.status_code == 200
        assert count(running.url, RECORDS, "x2") == 0
    finally:
        stop_service(running)
        oxigraph_server.clear()


def test_the_graph_still_conforms_after_records_are_accepted() -> None:
    """Stored records, their decisions, offices, new partners and countries meet the graph's
    own shapes (labels in both languages, typed parties) and keep it OWL-consistent."""
    from udsyn.loading import read_all, shipped_sources
    from udsyn.records.batches import Upload, accept
    from udsyn.store import EmbeddedStore
    from udsyn.validation import graph_from_store, run_checks

    base = "https://w3id.org/udsyn/"
    with EmbeddedStore(base) as store:
        store.add_all(read_all(shipped_sources(), base))
        for name in ("clean.csv", "new-partner.csv"):
            accept(store, [Upload(name, (REGISTERS / name).read_bytes())], "anna")
        report = run_checks(graph_from_store(store))
    assert report.by_severity("Violation") == []
    assert report.reasoner is not None and report.reasoner.consistent


def test_a_batch_id_that_is_no_iri_is_unknown(service: RunningService) -> None:
    for hostile in ("x%3E%20%7D", "a%20b", "%7Bx%7D"):
        answer = httpx.get(f"{service.url}/records/batches/{hostile}")
        assert answer.status_code == 404, answer.text
        assert "no batch" in answer.text
