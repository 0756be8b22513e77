"""udsyn's web service under load, side by side with ``oxigraph serve`` and rdflib-endpoint.

For two datasets, the shipped strategy graph and a 10,000-agreement synthetic graph
(``generate.py``, loaded into one named graph), the script prepares the same quads for

* **udsyn**: ``udsyn serve`` over a store folder filled by ``udsyn load`` (``/sparql`` and
  ``/questions/{name}``);
* **oxigraph**: ``oxigraph serve --union-default-graph`` over a folder filled by
  ``oxigraph load`` from udsyn's own N-Quads export (the native anchor);
* **rdflib**: rdflib-endpoint over an rdflib ``Dataset(default_union=True)`` parsed from the
  same export (the Python peer; ``benchmarks/service/rdflib_server.py``).

Each server runs on its own loopback port and is stopped afterwards. ``wrk`` drives one
query at a time at 1 and at 16 connections, asking for SPARQL JSON results; a Lua script
(``benchmarks/service/report.lua``) reports requests, p50/p99 latency and errors. The
server's CPU time (its process and its children: udsyn's query workers) is read from
``/proc`` around every run. A mixed run measures a cheap lookup's latency while two
connections hammer the heavy query. Tables go to stdout and into ``benchmarks/README.md``
between ``<!-- service-benchmark:start -->`` and ``<!-- service-benchmark:end -->``, followed
by ``benchmarks/service/findings.md`` (the profiling notes)::

    .venv/bin/python benchmarks/service.py            # about 10 minutes on 2 cores
    .venv/bin/python benchmarks/service.py --quick    # 2-second runs, README untouched
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import io
import json
import os
import pickle
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from readme import write_between

from udsyn.namespaces import VOCABULARIES
from udsyn.questions import shipped_questions
from udsyn.sparql import analyse, bind_values

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "service"
HELPERS = HERE / "service"
README = HERE / "README.md"
START = "<!-- service-benchmark:start -->"
END = "<!-- service-benchmark:end -->"
BIN = Path(sys.executable).parent
UDSYN = BIN / "udsyn"
OXIGRAPH = BIN / "oxigraph"
BASE_IRI = "https://w3id.org/udsyn/"
SYNTHETIC_GRAPH = BASE_IRI + "graph/synthetic"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}
# name: (SPARQL and question runs?, mixed run?)
SERVERS = {
    "udsyn": (True, True),
    "udsyn, no cache": (True, True),
    "udsyn, no cache, 2 workers": (False, True),
    "oxigraph": (True, True),
    "rdflib": (True, False),
}
CONCURRENCY = (1, 16)

PREFIXES = """PREFIX uds: <https://w3id.org/udsyn/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One SPARQL query every server answers: a short key, what it asks, and its text."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Dataset:
    """A dataset and the queries asked of it."""

    name: str
    title: str
    lookup_iri: str
    heavy: Query

    @property
    def lookup(self) -> Query:
        text = f"SELECT DISTINCT ?property ?value WHERE {{ <{self.lookup_iri}> ?property ?value }}"
        return Query("lookup", "all properties of one agreement", text)

    @property
    def question_values(self) -> dict[str, str]:
        return {"resource": self.lookup_iri.removeprefix(BASE_IRI), "lang": "en"}

    @property
    def describe(self) -> Query:
        """The named question ``describe-resource`` on the lookup's agreement, as SPARQL."""
        question = shipped_questions().get("describe-resource")
        info = analyse(question.text, BASE_IRI, VOCABULARIES)
        bound = bind_values(question.text, info, question.bind(self.question_values, BASE_IRI))
        text = "\n".join(line for line in bound.splitlines() if not line.startswith("#"))
        return Query("describe", "question describe-resource as SPARQL", text)

    def queries(self) -> list[Query]:
        return [self.lookup, self.heavy, self.describe]


STRATEGY = Dataset(
    name="strategy",
    title="the shipped strategy graph (`udsyn load --shipped`)",
    lookup_iri=BASE_IRI + "id/agreement/midtjylland-shanghai",
    heavy=Query(
        "heavy",
        "every fact of the strategy's passages, with line and label",
        PREFIXES
        + """SELECT DISTINCT ?passage ?line ?subject ?subjectLabel ?property ?value
WHERE {
  GRAPH ?passage { ?subject ?property ?value }
  ?passage uds:sourceLine ?line .
  OPTIONAL { ?subject rdfs:label ?subjectLabel FILTER(lang(?subjectLabel) = "en") }
}
ORDER BY ?line""",
    ),
)

SYNTHETIC = Dataset(
    name="synthetic-10000",
    title="10,000 synthetic agreements (`generate.py --agreements 10000`, one named graph)",
    lookup_iri=BASE_IRI + "id/agreement/a000001",
    heavy=Query(
        "heavy",
        "agreements serving one focus area, with labels",
        PREFIXES
        + """
SELECT DISTINCT ?agreement ?agreementLabel ?region ?regionLabel ?areaLabel WHERE {
  VALUES ?area { <https://w3id.org/udsyn/id/focus-area/energy-and-environment> }
  ?agreement a uds:CooperationAgreement ; uds:servesFocusArea ?area ;
             rdfs:label ?agreementLabel ; uds:partnerRegion ?region .
  ?region rdfs:label ?regionLabel .
  ?area skos:prefLabel ?areaLabel .
  FILTER(lang(?agreementLabel) = "en" && lang(?regionLabel) = "en" && lang(?areaLabel) = "en")
}""",
    ),
)


@dataclass(frozen=True)
class Request:
    """One HTTP request wrk repeats: a label for the table, the path and the headers."""

    label: str
    path: str
    headers: dict[str, str]
    answer: str = "sparql-json"  # how to count the answer's rows: sparql-json, plain-json, csv


@dataclass(frozen=True)
class Plan:
    """How long each wrk run lasts."""

    seconds: float = 5.0
    heavy_seconds: float = 8.0
    rdflib_seconds: float = 10.0
    warmup_seconds: float = 1.0
    timeout_seconds: float = 30.0

    def duration(self, server: str, request: Request, connections: int) -> float:
        if server == "rdflib":
            return self.rdflib_seconds
        if request.label == "heavy" and connections > 1:
            return self.heavy_seconds
        return self.seconds


# -- wrk ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one wrk run measured, with the server's CPU time spent meanwhile."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    cpu_main: float = 0.0
    cpu_children: float = 0.0
    crashed: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.crashed

    def error_text(self) -> str:
        found = [f"{n} {kind}" for kind, n in self.errors.items() if n]
        if self.crashed:
            found.append("**server crashed**")
        return ", ".join(found) or "0"

    def cpu_text(self, split: bool) -> str:
        if not self.requests:
            return "-"
        main, children = (1000 * cpu / self.requests for cpu in (self.cpu_main, self.cpu_children))
        return f"{main:.2f} + {children:.2f}" if split else f"{main + children:.2f}"


def ensure_wrk() -> str:
    """The wrk binary, installed with apt-get when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is missing: installing it with apt-get")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def wrk_command(
    url: str, headers: dict[str, str], connections: int, seconds: float, timeout: float
) -> list[str]:
    """The wrk command line for one run, with the JSON-reporting Lua script."""
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "-s",
        str(HELPERS / "report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, url]


def parse_wrk(output: str) -> Outcome:
    """The outcome from the line ``report.lua`` prints when wrk finishes."""
    line = next((ln for ln in output.splitlines() if ln.startswith("WRK-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = json.loads(line.removeprefix("WRK-JSON "))
    errors = {
        "non-2xx": data["status"],
        "connect": data["connect"],
        "read": data["read"],
        "write": data["write"],
        "timeout": data["timeout"],
    }
    return Outcome(
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        errors,
    )


def run_wrk(
    server: Server, request: Request, connections: int, seconds: float, timeout: float
) -> Outcome:
    """One wrk run against a server, with the server's CPU time around it."""
    command = wrk_command(server.url(request.path), request.headers, connections, seconds, timeout)
    before = server.cpu()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 30)
    after = server.cpu()
    outcome = parse_wrk(done.stdout)
    outcome.cpu_main, outcome.cpu_children = (b - a for a, b in zip(before, after, strict=True))
    return outcome


def run_mixed(server: Server, lookup: Request, heavy: Request, plan: Plan) -> Outcome:
    """Lookup latency at 4 connections while 2 more connections hammer the heavy query."""
    seconds = plan.seconds
    hammer = subprocess.Popen(
        wrk_command(server.url(heavy.path), heavy.headers, 2, seconds + 2, plan.timeout_seconds),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(1.0)  # let the heavy queries occupy the server first
        measured = run_wrk(server, lookup, 4, seconds, plan.timeout_seconds)
    finally:
        heavy_output, _ = hammer.communicate(timeout=seconds + plan.timeout_seconds + 30)
    measured.errors = {
        **measured.errors,
        "heavy-side errors": parse_wrk(heavy_output).error_count,
    }
    return measured


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (0 if it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (udsyn's query workers and resource tracker)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


@dataclass
class Server:
    """A server the script starts: its command, the path of its SPARQL endpoint, and more."""

    name: str
    command: list[str]
    sparql_path: str
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    log: Path = Path("server.log")
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def is_udsyn(self) -> bool:
        return self.name.startswith("udsyn")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far: the server process, and all its child processes together."""
        assert self.process is not None
        pid = self.process.pid
        return cpu_seconds(pid), sum(cpu_seconds(child) for child in descendants(pid))

    def start(self, wait_seconds: float = 180) -> None:
        """Start on a free loopback port (its own process group) and wait until it answers."""
        self.port = free_port()
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("UDSYN_")}
        env.update({k: v.replace("{port}", str(self.port)) for k, v in self.env.items()})
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=WORK,
                start_new_session=True,
            )
        self.wait_until_answering(wait_seconds)

    def wait_until_answering(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer within {seconds:g} s")

    def stop(self) -> None:
        """Stop the server and everything it started (its own process group)."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
        self.process = None


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server started, and stopped afterwards whatever happens."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


def servers_for(folder: Path) -> dict[str, Server]:
    """Every server configuration over one prepared dataset folder."""
    ask = "?query=" + urllib.parse.quote("ASK {}")
    udsyn = {"UDSYN_STORE": str(folder / "udsyn"), "UDSYN_PORT": "{port}"}
    no_cache = {**udsyn, "UDSYN_ANSWER_CACHE_MB": "0"}
    servers = [
        Server("udsyn", [str(UDSYN), "serve"], "/sparql", "/health", env=udsyn),
        Server("udsyn, no cache", [str(UDSYN), "serve"], "/sparql", "/health", env=no_cache),
        Server(
            "udsyn, no cache, 2 workers", [str(UDSYN), "serve"], "/sparql", "/health",
            env={**no_cache, "UDSYN_QUERY_WORKERS": "2"},
        ),
        Server(
            "oxigraph", [str(OXIGRAPH), "serve", "--location", str(folder / "oxigraph"),
                         "--bind", "127.0.0.1:{port}", "--union-default-graph"],
            "/query", "/query" + ask,
        ),
        Server(
            "rdflib", [sys.executable, str(HELPERS / "rdflib_server.py"),
                       str(folder / "data.nq"), "--port", "{port}"],
            "/sparql", "/sparql" + ask,
        ),
    ]  # fmt: skip
    for server in servers:
        server.log = folder / (server.name.replace(", ", "-").replace(" ", "-") + ".log")
    return {server.name: server for server in servers}


def busy_fraction(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs were over ``seconds`` (0 idle, 1 saturated)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet(limit: float = 0.15, patience: float = 60) -> float:
    """Wait (up to ``patience`` s) until other work leaves the CPUs; the last busy fraction."""
    deadline = time.monotonic() + patience
    busy = busy_fraction()
    while busy > limit and time.monotonic() < deadline:
        say(f"  the machine is {busy:.0%} busy with other work; waiting")
        time.sleep(4)
        busy = busy_fraction()
    return busy


# -- data --------------------------------------------------------------------------------------


def run_quietly(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=WORK)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def synthetic_file(agreements: int = 10_000) -> Path:
    """The synthetic graph, generated afresh by generate.py (deterministic)."""
    target = WORK / f"agreements-{agreements}.nt"
    run_quietly(
        [
            sys.executable,
            str(HERE / "generate.py"),
            "--agreements",
            str(agreements),
            "--out",
            str(target),
        ]
    )
    return target


def prepare(dataset: Dataset) -> Path:
    """A folder with the udsyn store, its N-Quads export and the oxigraph store of the same."""
    folder = WORK / dataset.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    store = ["--store", str(folder / "udsyn")]
    if dataset is STRATEGY:
        run_quietly([str(UDSYN), *store, "load", "--shipped"])
    else:
        source = synthetic_file()
        run_quietly([str(UDSYN), *store, "load", str(source), "--graph", SYNTHETIC_GRAPH])
    export = folder / "data.nq"
    run_quietly([str(UDSYN), *store, "export", "--format", "nquads", "-o", str(export)])
    run_quietly(
        [str(OXIGRAPH), "load", "--location", str(folder / "oxigraph"), "--file", str(export)]
    )
    with export.open() as lines:
        say(f"{dataset.name}: {sum(1 for _ in lines)} quads in every server")
    return folder


# -- requests and answers ----------------------------------------------------------------------


def sparql_request(server: Server, query: Query) -> Request:
    path = f"{server.sparql_path}?{urllib.parse.urlencode({'query': query.text})}"
    return Request(query.key, path, SPARQL_JSON)


def question_requests(dataset: Dataset) -> list[Request]:
    """The lookup through udsyn's named question, as plain JSON and as CSV."""
    requests = []
    for answer, name in (("plain-json", "json"), ("csv", "csv")):
        values = urllib.parse.urlencode({**dataset.question_values, "format": name})
        path = f"/questions/describe-resource?{values}"
        requests.append(Request(f"question ({name})", path, {}, answer))
    return requests


def count_rows(body: bytes, answer: str) -> int:
    if answer == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    document = json.loads(body)
    return len(document["rows"] if answer == "plain-json" else document["results"]["bindings"])


def fetch_rows(server: Server, request: Request, timeout: float = 120) -> int:
    """Ask once (this also warms the server up) and count the answer's rows."""
    http = urllib.request.Request(server.url(request.path), headers=request.headers)
    with urllib.request.urlopen(http, timeout=timeout) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{server.name} answered {request.label} with {answer.status}")
        return count_rows(answer.read(), request.answer)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a results table."""

    server: str
    query: str
    rows: int
    connections: int
    outcome: Outcome


@dataclass
class DatasetResult:
    dataset: Dataset
    quads: int
    rows: list[Row] = field(default_factory=list)
    mixed: dict[str, Outcome] = field(default_factory=dict)
    busy: dict[str, float] = field(default_factory=dict)  # other work before each server


def measure_server(server: Server, requests: list[Request], plan: Plan) -> list[Row]:
    """Every request at every concurrency level against one running server.

    A server that dies during a run is recorded as crashed and started again.
    """
    rows = []
    for request in requests:
        count = fetch_rows(server, request)
        if plan.warmup_seconds and server.name != "rdflib":
            run_wrk(server, request, 1, plan.warmup_seconds, plan.timeout_seconds)
        for connections in CONCURRENCY:
            seconds = plan.duration(server.name, request, connections)
            outcome = run_wrk(server, request, connections, seconds, plan.timeout_seconds)
            if not server.alive():
                outcome.crashed = True
                say(f"  {server.name} crashed; see {server.log}; starting it again")
                server.stop()
                server.start()
            rows.append(Row(server.name, request.label, count, connections, outcome))
            say(f"  {server.name:<16} {request.label:<16} c{connections:<3} {count:>5} rows "
                f"{outcome.rate:9.1f} req/s  p50 {outcome.p50_ms:8.2f} ms  "
                f"p99 {outcome.p99_ms:8.2f} ms  errors {outcome.error_text()}")  # fmt: skip
    return rows


def measure_mixed(server: Server, dataset: Dataset, plan: Plan) -> Outcome:
    """The lookup's latency while the heavy query keeps the server busy."""
    lookup = sparql_request(server, dataset.lookup)
    heavy = sparql_request(server, dataset.heavy)
    fetch_rows(server, heavy)
    outcome = run_mixed(server, lookup, heavy, plan)
    say(f"  {server.name:<16} lookup under heavy load: {outcome.rate:.1f} req/s, "
        f"p50 {outcome.p50_ms:.2f} ms, p99 {outcome.p99_ms:.2f} ms, "
        f"errors {outcome.error_text()}")  # fmt: skip
    return outcome


def measure_dataset(dataset: Dataset, plan: Plan) -> DatasetResult:
    """Prepare the dataset, then measure each server in turn (only one runs at a time)."""
    folder = prepare(dataset)
    with (folder / "data.nq").open() as lines:
        result = DatasetResult(dataset, sum(1 for _ in lines))
    servers = servers_for(folder)
    for name, (full, mixed) in SERVERS.items():
        busy = result.busy[name] = wait_for_quiet()
        say(f"{dataset.name}: starting {name} (machine {busy:.0%} busy before)")
        with running(servers[name]) as live:
            if full:
                requests = [sparql_request(live, query) for query in dataset.queries()]
                if live.is_udsyn:
                    requests += question_requests(dataset)
                result.rows += measure_server(live, requests, plan)
            if mixed:
                result.mixed[name] = measure_mixed(live, dataset, plan)
    return result


# -- report ------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def ratio(ours: Outcome | None, theirs: Outcome | None) -> str:
    if ours is None or theirs is None:
        return "-"
    if theirs.rate == 0:
        return "∞" if ours.rate else "-"
    return f"{ours.rate / theirs.rate:.2f}x"


def peer(result: DatasetResult, server: str, query: str, connections: int) -> Outcome | None:
    """The same query at the same concurrency on another server (questions: ``describe``)."""
    wanted = "describe" if query.startswith("question") else query
    for row in result.rows:
        if (row.server, row.query, row.connections) == (server, wanted, connections):
            return row.outcome
    return None


def results_table(result: DatasetResult) -> list[str]:
    lines = [
        "| server | query | rows | conn. | req/s | p50 ms | p99 ms | errors | CPU ms/req "
        "| udsyn/oxigraph | udsyn/rdflib |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for row in result.rows:
        outcome = row.outcome
        ours = row.server.startswith("udsyn")
        vs_ox = ratio(outcome, peer(result, "oxigraph", row.query, row.connections)) if ours else ""
        vs_rdf = ratio(outcome, peer(result, "rdflib", row.query, row.connections)) if ours else ""
        lines.append(
            f"| {row.server} | {row.query} | {row.rows} | {row.connections} "
            f"| {outcome.rate:.1f} | {ms(outcome.p50_ms)} | {ms(outcome.p99_ms)} "
            f"| {outcome.error_text()} | {outcome.cpu_text(split=ours)} | {vs_ox} | {vs_rdf} |"
        )
    return lines


def mixed_table(result: DatasetResult) -> list[str]:
    lines = [
        "| server | lookup req/s | lookup p50 ms | lookup p99 ms | errors |",
        "|---|---:|---:|---:|---|",
    ]
    for name, outcome in result.mixed.items():
        lines.append(
            f"| {name} | {outcome.rate:.1f} | {ms(outcome.p50_ms)} | {ms(outcome.p99_ms)} "
            f"| {outcome.error_text()} |"
        )
    return lines


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def lookup_targets(result: DatasetResult, udsyn: str, query: str, connections: int) -> str:
    """Cheap lookup: at least 3x rdflib-endpoint and 0.2x oxigraph serve."""
    ours = peer(result, udsyn, query, connections)
    ox, rdf = (peer(result, s, query, connections) for s in ("oxigraph", "rdflib"))
    if not (ours and ox and rdf and ox.rate):
        return f"- {udsyn}, {query}, {connections} conn.: not measured"
    vs_rdf = ours.rate / rdf.rate if rdf.rate else float("inf")
    vs_ox = ours.rate / ox.rate
    return (
        f"- {udsyn}, {query}, {connections} conn.: {vs_rdf:.1f}x rdflib-endpoint (≥ 3x: "
        f"{verdict(vs_rdf >= 3)}), {vs_ox:.2f}x oxigraph (≥ 0.2x: {verdict(vs_ox >= 0.2)})"
    )


def heavy_target(result: DatasetResult, udsyn: str, connections: int) -> str:
    """Queries of 1,000 rows or more: at least 0.5x oxigraph serve."""
    ours, ox = (peer(result, s, "heavy", connections) for s in (udsyn, "oxigraph"))
    if not (ours and ox and ox.rate):
        return f"- {udsyn}, heavy, {connections} conn.: not measured"
    vs_ox = ours.rate / ox.rate
    rows = next((r.rows for r in result.rows if r.query == "heavy"), 0)
    return (
        f"- {udsyn}, heavy ({rows} rows), {connections} conn.: {vs_ox:.2f}x oxigraph "
        f"(≥ 0.5x: {verdict(vs_ox >= 0.5)})"
    )


def target_lines(result: DatasetResult) -> list[str]:
    """Each target, judged on this dataset's numbers, for udsyn with and without its cache."""
    lines = []
    for udsyn in ("udsyn", "udsyn, no cache"):
        for connections in CONCURRENCY:
            lines.append(lookup_targets(result, udsyn, "lookup", connections))
        for connections in CONCURRENCY:
            lines.append(heavy_target(result, udsyn, connections))
    for name, mixed in result.mixed.items():
        if name.startswith("udsyn"):
            lines.append(
                f"- {name}: lookup p99 while the heavy query runs {ms(mixed.p99_ms)} ms "
                f"(< 20 ms: {verdict(mixed.p99_ms < 20)})"
            )
    failing = [
        f"{r.server} {r.query} c{r.connections}"
        for r in result.rows
        if r.server.startswith("udsyn") and r.outcome.error_count
    ]
    failing += [
        f"{name} (mixed)"
        for name, o in result.mixed.items()
        if name.startswith("udsyn") and o.error_count
    ]
    lines.append(
        f"- zero errors on udsyn: {verdict(not failing)}"
        + (f" ({'; '.join(failing)})" if failing else "")
    )
    return lines


def dataset_section(result: DatasetResult, plan: Plan) -> list[str]:
    dataset = result.dataset
    return [
        f"### {dataset.title}: {result.quads} quads",
        "",
        f"lookup: `{dataset.lookup.text}`; heavy: {dataset.heavy.title}; describe: the named "
        f"question `describe-resource` (resource={dataset.question_values['resource']}, "
        "lang=en) sent as SPARQL; question (json/csv): the same through udsyn's "
        "`/questions/describe-resource`, plain JSON and CSV, compared with the `describe` rows.",
        "",
        *results_table(result),
        "",
        f"Lookup latency while 2 connections hammer the heavy query (4 lookup connections, "
        f"{plan.seconds:g} s; errors of both sides):",
        "",
        *mixed_table(result),
        "",
        "Targets:",
        "",
        *target_lines(result),
        *busy_note(result),
    ]


def busy_note(result: DatasetResult) -> list[str]:
    """A warning when other work kept the CPUs busy before a server was measured."""
    busy = {name: share for name, share in result.busy.items() if share > 0.15}
    if not busy:
        return []
    names = ", ".join(f"{name} ({share:.0%})" for name, share in busy.items())
    return ["", f"Note: other work kept the CPUs busy when these servers started: {names}."]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("udsyn", "pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn")
    )
    oxigraph = subprocess.run([OXIGRAPH, "--version"], capture_output=True, text=True).stdout
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Measured {now} on {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, loopback only; Python "
        f"{platform.python_version()}; {packages}; {oxigraph.strip()}; {wrk.strip()}."
    )


def report(results: list[DatasetResult], plan: Plan) -> str:
    """The Markdown that goes between the README's markers."""
    lines = [
        "## The web service under load",
        "",
        "`python benchmarks/service.py`: udsyn (`udsyn serve`, 4 query workers; as configured "
        "by default, with its answer cache, and with `UDSYN_ANSWER_CACHE_MB=0`, so that every "
        "request runs its query), `oxigraph serve --union-default-graph` and rdflib-endpoint "
        "over the same quads, one server at a "
        f"time, driven by wrk on loopback (1 connection: `-t1 -c1`; 16: `-t2 -c16`; "
        f"{plan.seconds:g} s a run, {plan.heavy_seconds:g} s for the heavy query at 16 "
        f"connections, {plan.rdflib_seconds:g} s for rdflib-endpoint, timeout "
        f"{plan.timeout_seconds:g} s). Every answer is SPARQL JSON unless said otherwise. "
        "CPU ms/req is the server's CPU time per answered request (udsyn: HTTP process + "
        "query workers); wrk runs on the same 2 cores.",
        "",
        machine(),
        "",
    ]
    for result in results:
        lines += [*dataset_section(result, plan), ""]
    findings = HELPERS / "findings.md"
    if findings.exists():
        lines.append(findings.read_text(encoding="utf-8").strip())
    return "\n".join(lines).rstrip() + "\n"


def write_readme(section: str, readme: Path = README) -> None:
    """Put the results between this benchmark's markers in the README."""
    write_between(readme, START, END, section)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="udsyn's web service under load.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2-second runs on the strategy graph only; README untouched",
    )
    parser.add_argument("--no-readme", action="store_true", help="print, do not write README")
    parser.add_argument(
        "--report-only", action="store_true", help="re-render the last run's saved results"
    )
    args = parser.parse_args(argv)
    ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    plan = Plan(2, 2, 3, 1) if args.quick else Plan()
    datasets = [STRATEGY] if args.quick else [STRATEGY, SYNTHETIC]
    saved = WORK / ("results-quick.pickle" if args.quick else "results.pickle")
    if args.report_only:
        results = pickle.loads(saved.read_bytes())
    else:
        results = [measure_dataset(dataset, plan) for dataset in datasets]
        saved.write_bytes(pickle.dumps(results))
    section = report(results, plan)
    print(section)
    if not (args.quick or args.no_readme):
        write_readme(section)
        say(f"wrote the tables into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
