"""udsyn's web service under load, side by side with ``oxigraph serve`` and rdflib-endpoint.

For two datasets, the shipped strategy graph and a 10,000-agreement synthetic graph
(``generate.py``, loaded into one named graph), the script prepares the same quads for

* **udsyn**: ``udsyn serve`` over a store folder filled by ``udsyn load`` (``/sparql`` and
  ``/questions/{name}``), with its answer cache as configured by default, and again with
  ``UDSYN_ANSWER_CACHE_MB=0``;
* **udsyn before**: the ``udsyn serve`` of an earlier commit (``--before``, default
  ``0057991``), run from a ``git worktree`` under ``benchmarks/work/`` with the same Python
  and ``PYTHONPATH=<worktree>/service``, over its own copy of the same store;
* **oxigraph**: ``oxigraph serve --union-default-graph`` over a folder filled by
  ``oxigraph load`` from udsyn's own N-Quads export (the native anchor);
* **rdflib**: rdflib-endpoint over an rdflib ``Dataset(default_union=True)`` parsed from the
  same export (the Python peer; ``benchmarks/service/rdflib_server.py``).

All servers run at once, each on its own loopback port, and ``wrk`` drives one at a time,
in rounds that alternate the servers' order, so whatever else the machine does falls on all
of them alike; ratios are paired by round. The requests come from
``benchmarks/service/requests.lua``, which can send a different query per request: the
headline *varied lookup* asks one agreement's properties, the agreement and a ``LIMIT``
above the row count drawn per request, so no two requests share a text and no answer cache
can serve them. The server's CPU time (its process and its children: udsyn's query workers
and front processes) is read from ``/proc`` around every run. Tables go to stdout and into
``benchmarks/README.md`` between ``<!-- service-benchmark:start -->`` and
``<!-- service-benchmark:end -->``, followed by ``benchmarks/service/findings.md``::

    .venv/bin/python benchmarks/service.py            # about 20 minutes on 2 cores
    .venv/bin/python benchmarks/service.py --quick    # 1-second runs, README untouched
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime
import hashlib
import io
import json
import os
import pickle
import platform
import shutil
import signal
import socket
import statistics
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
AGREEMENT_TYPE = "<https://w3id.org/udsyn/ontology#CooperationAgreement>"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SPARQL_JSON = "application/sparql-results+json"
DEFAULT_BEFORE = "0057991"
UDSYN_BIN = BIN / "udsyn"
UDSYN = "udsyn"
NO_CACHE = "udsyn, no cache"
BEFORE = "udsyn before"
OXI = "oxigraph"
RDFLIB = "rdflib"
SERVERS = (UDSYN, NO_CACHE, BEFORE, OXI, RDFLIB)
OURS = (UDSYN, NO_CACHE, BEFORE)
CONCURRENCY = (1, 16)
THREADS = 2  # wrk threads (1 at 1 connection)
PEER_RESOURCES = 2000  # resources in the varied describe-resource SPARQL for oxigraph, rdflib

PREFIXES = """PREFIX uds: <https://w3id.org/udsyn/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
LOOKUP = "SELECT DISTINCT ?property ?value WHERE {{ <{iri}> ?property ?value }}"
# The query page's own queries (service/udsyn/web/static/app.js): the starter query it shows
# first, and the query it writes when an IRI is opened.
PAGE_STARTER = (
    PREFIXES
    + """
# What kinds of things does the graph hold? Click a class to open it.
SELECT ?class (COUNT(DISTINCT ?thing) AS ?things)
WHERE {
  ?thing a ?class .
}
GROUP BY ?class
ORDER BY DESC(?things)
LIMIT 50
"""
)
PAGE_RESOURCE = (
    PREFIXES
    + """# Everything the graph says about a resource: its own facts first,
# then the facts that point to it; ?linkedLabel names the resource at the other end.
SELECT ?subject ?property ?value (SAMPLE(?label) AS ?linkedLabel)
WHERE {{
  {{ <{iri}> ?property ?value . BIND(<{iri}> AS ?subject) BIND(?value AS ?linked) }}
  UNION
  {{ ?subject ?property <{iri}> . BIND(<{iri}> AS ?value) BIND(?subject AS ?linked) }}
  OPTIONAL {{ ?linked skos:prefLabel|rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }}
}}
GROUP BY ?subject ?property ?value
ORDER BY DESC(?subject = <{iri}>) ?property ?value
"""
)
# The analyst mix, one slot a request: 2 library questions and 1 query-page query in 10
# (repeated texts) and 7 varied lookups (describe-resource is left out: on the strategy
# graph it has too few distinct requests to stay out of the cache).
MIX_PATTERN = ("library", "lookup", "lookup", "page", "lookup", "lookup", "library", "lookup",
               "lookup", "lookup")  # fmt: skip


# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A SPARQL query every server answers: a short key, what it asks, and its text."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Dataset:
    """A dataset, its fixed lookup subject and its heavy query."""

    name: str
    title: str
    lookup_iri: str
    heavy: Query

    @property
    def lookup(self) -> Query:
        text = LOOKUP.format(iri=self.lookup_iri)
        return Query("lookup", "all properties of one agreement", text)


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


DATASETS = (STRATEGY, SYNTHETIC)


@dataclass(frozen=True)
class Requests:
    """One list of requests in a wrk plan (see ``requests.lua``).

    ``mode``: ``cycle`` (a few texts, repeated) and ``plain`` (many) take item k mod n for
    request number k; ``limit`` appends ``base + k div n`` to item k mod n (each item ends in
    ``LIMIT%20``), so no text repeats. ``name`` keys the numbers already drawn on a server,
    so a later run goes on where the last one stopped.
    """

    name: str
    mode: str
    items: tuple[str, ...]  # a path, or a path, a tab and a form body (POST)
    method: str = "GET"
    accept: str = SPARQL_JSON
    answer: str = "sparql-json"  # how to count an answer's rows: sparql-json, plain-json
    base: int = 1000

    def item(self, k: int) -> tuple[str, str | None]:
        """Request number ``k``: its path and its form body, as requests.lua makes it."""
        text = self.items[k % len(self.items)]
        path, _, body = text.partition("\t")
        if self.mode == "limit":
            path += str(self.base + k // len(self.items))
        return path, body or None


@dataclass(frozen=True)
class Load:
    """What wrk sends in one run: lists of requests and which list each request takes."""

    lists: tuple[Requests, ...]
    pattern: tuple[int, ...] = (1,)

    def plan_text(self) -> str:
        lines = []
        for requests in self.lists:
            lines.append(f"@list {requests.mode} {requests.method} {requests.accept} "
                         f"{requests.base}")  # fmt: skip
            lines += requests.items
        lines.append("@pattern " + " ".join(map(str, self.pattern)))
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Probe:
    """A measurement: what is sent, to which servers, at which connections, how often."""

    key: str
    title: str
    servers: tuple[str, ...]
    headline: bool  # run in every round (else in the first round only)
    connections: tuple[int, ...] = CONCURRENCY


PROBES = (
    Probe("varied lookup", "a different agreement per request", SERVERS, True),
    Probe("repeated lookup", "the same text every request", SERVERS, True),
    Probe("varied describe", "describe-resource, a different resource per request",
          SERVERS, True),
    Probe("repeated describe", "describe-resource, the same resource every request",
          SERVERS, False),
    Probe("heavy", "the heavy query, repeated", SERVERS, False),
    Probe("analyst mix", "30% repeated questions and page queries, 70% varied", OURS, True),
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """How long each wrk run lasts, and how many rounds."""

    seconds: float = 3.0
    heavy_seconds: float = 4.0
    rdflib_heavy_seconds: float = 6.0
    mix_seconds: float = 4.0
    warmup_seconds: float = 1.0
    timeout_seconds: float = 30.0
    rounds: int = 3  # on the 10,000-agreement graph
    strategy_rounds: int = 2  # on the shipped graph

    def rounds_for(self, dataset: Dataset) -> int:
        return self.strategy_rounds if dataset is STRATEGY else self.rounds

    def duration(self, server: str, probe: str) -> float:
        if probe == "heavy":
            return self.rdflib_heavy_seconds if server == RDFLIB else self.heavy_seconds
        return self.mix_seconds if probe == "analyst mix" else self.seconds


# -- wrk ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one wrk run measured, with the server's CPU time spent meanwhile."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    following: list[int] = field(default_factory=list)  # each list's next request number
    cpu_main: float = 0.0
    cpu_children: float = 0.0
    crashed: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.crashed

    @property
    def cpu_ms(self) -> tuple[float, float]:
        """CPU milliseconds per answered request: the server process, its children."""
        if not self.requests:
            return 0.0, 0.0
        return 1000 * self.cpu_main / self.requests, 1000 * self.cpu_children / self.requests


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
    url: str, plan: Path, offsets: list[int], connections: int, seconds: float, timeout: float
) -> list[str]:
    """The wrk command line for one run of a plan file, from the given request numbers."""
    threads = min(THREADS, connections)
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "-s",
        str(HELPERS / "requests.lua"),
        url,
        "--",
        str(plan),
        str(threads),
        *map(str, offsets),
    ]


def parse_wrk(output: str) -> Outcome:
    """The outcome from the line ``requests.lua`` prints when wrk finishes."""
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
        data.get("next", []),
    )


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
    """Every process below ``root`` (udsyn's store host, workers, fronts, resource tracker)."""
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


def pss_mb(pids: list[int]) -> float:
    """Proportional memory (PSS) of some processes together, in MB: pages that forked
    workers share with their parent are counted once, not once per process."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total / 1024


@dataclass
class Server:
    """A server the script starts: its command, its SPARQL path, and the numbers it has had."""

    name: str
    command: list[str]
    sparql_path: str
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    log: Path = Path("server.log")
    port: int = 0
    process: subprocess.Popen | None = None
    drawn: dict[str, int] = field(default_factory=dict)  # list name: next request number
    started_in: float = 0.0
    memory_mb: float = 0.0

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far: the server process, and all its child processes together."""
        assert self.process is not None
        pid = self.process.pid
        return cpu_seconds(pid), sum(cpu_seconds(child) for child in descendants(pid))

    def memory(self) -> float:
        """Memory of the server and its children (PSS), in MB."""
        assert self.process is not None
        return pss_mb([self.process.pid, *descendants(self.process.pid)])

    def start(self, wait_seconds: float = 300) -> None:
        """Start on a free loopback port (its own process group) and wait until it answers."""
        self.port = free_port()
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        env = {k: v for k, v in os.environ.items() if not k.startswith("UDSYN_")}
        env.pop("PYTHONPATH", None)
        env.update({k: v.replace("{port}", str(self.port)) for k, v in self.env.items()})
        started = time.monotonic()
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
        self.started_in = time.monotonic() - started

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
                time.sleep(0.3)
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
def all_running(servers: dict[str, Server]) -> Iterator[dict[str, Server]]:
    """Every server started (one after the other), and all stopped afterwards."""
    try:
        for server in servers.values():
            server.start()
            server.memory_mb = server.memory()
            say(f"  {server.name} answers on port {server.port} after {server.started_in:.1f} s "
                f"({server.memory_mb:.0f} MB)")  # fmt: skip
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def before_worktree(commit: str) -> Path:
    """A git worktree of ``commit`` under benchmarks/work/ (made once, then reused)."""
    full = git("rev-parse", f"{commit}^{{commit}}")
    tree = HERE / "work" / f"udsyn-before-{commit}"
    if tree.exists():
        if git("-C", str(tree), "rev-parse", "HEAD") == full:
            return tree
        git("worktree", "remove", "--force", str(tree))
    git("worktree", "add", "--detach", str(tree), full)
    return tree


def check_imports(tree: Path) -> str:
    """Where ``import udsyn`` finds the package with ``PYTHONPATH=<tree>/service``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "service")}
    found = subprocess.run(
        [sys.executable, "-c", "import udsyn; print(udsyn.__file__)"],
        env=env, cwd=WORK, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not Path(found).is_relative_to(tree):
        raise RuntimeError(f"udsyn before imports {found}, not the worktree {tree}")
    return found


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def servers_for(folder: Path, before: Path) -> dict[str, Server]:
    """Every server over one prepared dataset folder (each udsyn with its own store copy)."""
    ask = "?query=" + urllib.parse.quote("ASK {}")

    def udsyn_env(store: str, **more: str) -> dict[str, str]:
        return {"UDSYN_STORE": str(folder / store), "UDSYN_PORT": "{port}", **more}

    servers = [
        Server(UDSYN, [str(UDSYN_BIN), "serve"], "/sparql", "/health",
               env=udsyn_env("udsyn")),
        Server(NO_CACHE, [str(UDSYN_BIN), "serve"], "/sparql", "/health",
               env=udsyn_env("udsyn-no-cache", UDSYN_ANSWER_CACHE_MB="0")),
        Server(BEFORE, [sys.executable, "-m", "udsyn", "serve"], "/sparql", "/health",
               env=udsyn_env("udsyn-before", PYTHONPATH=str(before / "service"))),
        Server(OXI, [str(OXIGRAPH), "serve", "--location", str(folder / "oxigraph"),
                     "--bind", "127.0.0.1:{port}", "--union-default-graph"],
               "/query", "/query" + ask),
        Server(RDFLIB, [sys.executable, str(HELPERS / "rdflib_server.py"),
                        str(folder / "data.nq"), "--port", "{port}"],
               "/sparql", "/sparql" + ask),
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


def wait_for_quiet(limit: float = 0.15, patience: float = 8) -> float:
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
    run_quietly([sys.executable, str(HERE / "generate.py"), "--agreements", str(agreements),
                 "--out", str(target)])  # fmt: skip
    return target


def prepare(dataset: Dataset) -> Path:
    """A folder with udsyn's store (three copies), its N-Quads export and oxigraph's store."""
    folder = WORK / dataset.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    store = ["--store", str(folder / "udsyn")]
    started = time.monotonic()
    if dataset is STRATEGY:
        run_quietly([str(UDSYN_BIN), *store, "load", "--shipped"])
    else:
        source = synthetic_file()
        run_quietly([str(UDSYN_BIN), *store, "load", str(source), "--graph", SYNTHETIC_GRAPH])
    say(f"{dataset.name}: udsyn load {time.monotonic() - started:.1f} s")
    export = folder / "data.nq"
    run_quietly([str(UDSYN_BIN), *store, "export", "--format", "nquads", "-o", str(export)])
    run_quietly(
        [str(OXIGRAPH), "load", "--location", str(folder / "oxigraph"), "--file", str(export)]
    )
    for copy in ("udsyn-no-cache", "udsyn-before"):
        shutil.copytree(folder / "udsyn", folder / copy)
    return folder


@dataclass(frozen=True)
class Subjects:
    """What the varied requests draw from: the agreements, and every resource under id/."""

    agreements: tuple[str, ...]
    resources: tuple[str, ...]
    quads: int


def subjects_of(export: Path) -> Subjects:
    """The agreements and the resources of an N-Quads export, in a fixed shuffled order."""
    agreements, resources, quads = set(), set(), 0
    with export.open(encoding="utf-8") as lines:
        for line in lines:
            quads += 1
            subject, predicate, rest = line.split(" ", 2)
            if not subject.startswith(f"<{BASE_IRI}id/"):
                continue
            resources.add(subject[1:-1])
            if predicate == RDF_TYPE and rest.startswith(AGREEMENT_TYPE):
                agreements.add(subject[1:-1])
    return Subjects(spread(agreements), spread(resources), quads)


def spread(values: set[str]) -> tuple[str, ...]:
    """The values in an order that is fixed but unrelated to their names."""
    return tuple(sorted(values, key=lambda v: hashlib.blake2b(v.encode()).digest()))


# -- the requests ------------------------------------------------------------------------------


def sparql_get(server: Server, text: str) -> str:
    return f"{server.sparql_path}?query={urllib.parse.quote(text, safe='')}"


def describe_text(resource: str, lang: str) -> str:
    """The named question ``describe-resource`` with its values bound, as plain SPARQL."""
    question = shipped_questions().get("describe-resource")
    info = analyse(question.text, BASE_IRI, VOCABULARIES)
    values = {"resource": resource, "lang": lang}
    bound = bind_values(question.text, info, question.bind(values, BASE_IRI))
    return "\n".join(line for line in bound.splitlines() if not line.startswith("#"))


def describe_texts(resources: tuple[str, ...]) -> list[str]:
    """describe-resource bound to each resource, in English and then in Danish, as SPARQL
    (for oxigraph and rdflib, which keep no answers: the first PEER_RESOURCES resources)."""
    marker = BASE_IRI + "id/benchmark-marker"
    texts = []
    for lang in ("en", "da"):
        template = describe_text(marker, lang)
        texts += [template.replace(f"<{marker}>", f"<{iri}>") for iri in resources]
    return texts


def question_path(name: str, values: dict[str, str]) -> str:
    return f"/questions/{name}?{urllib.parse.urlencode(values)}" if values else f"/questions/{name}"


def describe_paths(resources: tuple[str, ...]) -> list[str]:
    """The same describe-resource requests through udsyn's ``/questions`` (plain JSON)."""
    return [
        question_path("describe-resource",
                      {"resource": iri.removeprefix(BASE_IRI), "lang": lang, "format": "json"})
        for lang in ("en", "da")
        for iri in resources
    ]  # fmt: skip


def library_paths() -> list[str]:
    """Every named question with its defaults, as the start page and query page ask them."""
    return [question_path(question.name, {}) for question in shipped_questions()]


def page_items(server: Server, lookup_iri: str) -> list[str]:
    """The query page's starter query and its query for an opened IRI, POSTed as a form."""
    texts = [PAGE_STARTER, PAGE_RESOURCE.format(iri=lookup_iri)]
    return [f"{server.sparql_path}\t{urllib.parse.urlencode({'query': t})}" for t in texts]


@dataclass
class Workload:
    """Every request list of a dataset, per server."""

    dataset: Dataset
    subjects: Subjects
    describe_sparql: list[str]

    def lookups(self, server: Server) -> Requests:
        items = tuple(sparql_get(server, LOOKUP.format(iri=iri) + " LIMIT ")
                      for iri in self.subjects.agreements)  # fmt: skip
        return Requests("lookup", "limit", items)

    def describes(self, server: Server) -> Requests:
        if server.name in OURS:
            items = tuple(describe_paths(self.subjects.resources))
            return Requests("describe", "plain", items, accept="application/json",
                            answer="plain-json")  # fmt: skip
        items = tuple(sparql_get(server, text) for text in self.describe_sparql)
        return Requests("describe", "plain", items)

    def repeated_describe(self, server: Server) -> Requests:
        first = self.describes(server)
        return Requests("describe-repeated", "cycle", first.items[:1], accept=first.accept,
                        answer=first.answer)  # fmt: skip

    def load(self, probe: str, server: Server) -> Load:
        """The wrk load of one probe for one server."""
        if probe == "varied lookup":
            return Load((self.lookups(server),))
        if probe == "repeated lookup":
            item = sparql_get(server, self.dataset.lookup.text)
            return Load((Requests("lookup-repeated", "cycle", (item,)),))
        if probe == "varied describe":
            return Load((self.describes(server),))
        if probe == "repeated describe":
            return Load((self.repeated_describe(server),))
        if probe == "heavy":
            item = sparql_get(server, self.dataset.heavy.text)
            return Load((Requests("heavy-repeated", "cycle", (item,)),))
        if probe == "analyst mix":
            return self.mix(server)
        raise ValueError(probe)

    def mix(self, server: Server) -> Load:
        lists = {
            "library": Requests("library", "cycle", tuple(library_paths()), accept="*/*",
                                answer="any"),
            "page": Requests("page", "cycle", tuple(page_items(server, self.dataset.lookup_iri)),
                             method="POST"),
            "lookup": self.lookups(server),
        }  # fmt: skip
        names = list(lists)
        return Load(tuple(lists.values()), tuple(names.index(n) + 1 for n in MIX_PATTERN))

    def heavy_varied(self, server: Server) -> Requests:
        """The heavy query with a LIMIT above its rows that differs per request."""
        item = sparql_get(server, self.dataset.heavy.text + "\nLIMIT ")
        return Requests("heavy", "limit", (item,), base=50_000)


def count_rows(body: bytes, answer: str) -> int:
    if answer == "any":
        return 0
    if answer == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    document = json.loads(body)
    return len(document["rows"] if answer == "plain-json" else document["results"]["bindings"])


def ask(server: Server, requests: Requests, k: int, timeout: float = 120) -> tuple[int, float]:
    """Send request number ``k`` of a list once: its rows and seconds (an error raises)."""
    path, body = requests.item(k)
    headers = {"Accept": requests.accept}
    data = None
    if body is not None:
        data = body.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    http = urllib.request.Request(server.url(path), data=data, headers=headers,
                                  method=requests.method)  # fmt: skip
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            content = answer.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise RuntimeError(f"{server.name}: {path[:120]} answered {error.code}: {detail}") from None
    return count_rows(content, requests.answer), time.perf_counter() - started


# -- running wrk -------------------------------------------------------------------------------


def plan_file(folder: Path, probe: str, server: Server, load: Load) -> Path:
    path = folder / "plans" / f"{probe}-{server.name}.txt".replace(" ", "-").replace(",", "")
    path.parent.mkdir(exist_ok=True)
    path.write_text(load.plan_text(), encoding="utf-8")
    return path


def first_use(server: Server, load: Load) -> int:
    """Ask request 0 of each list not yet used on the server; the first list's rows."""
    rows = -1
    for requests in load.lists:
        if requests.name not in server.drawn:
            count, _ = ask(server, requests, 0)
            server.drawn[requests.name] = 1
        else:
            count = -1
        rows = count if rows == -1 else rows
    return rows


def offsets(server: Server, load: Load) -> list[int]:
    return [server.drawn.get(requests.name, 0) for requests in load.lists]


def remember(server: Server, load: Load, outcome: Outcome) -> None:
    """Continue each list's numbers where this run stopped."""
    for requests, following in zip(load.lists, outcome.following, strict=False):
        server.drawn[requests.name] = max(server.drawn.get(requests.name, 0), following)


def run_wrk(
    server: Server, load: Load, plan_path: Path, connections: int, seconds: float, timeout: float
) -> Outcome:
    """One wrk run against a server, with the server's CPU time around it."""
    command = wrk_command(server.url(), plan_path, offsets(server, load), connections, seconds,
                          timeout)  # fmt: skip
    before = server.cpu()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 30)
    after = server.cpu()
    outcome = parse_wrk(done.stdout)
    outcome.cpu_main, outcome.cpu_children = (b - a for a, b in zip(before, after, strict=True))
    remember(server, load, outcome)
    return outcome


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One probe at one concurrency on one server: an outcome per round."""

    server: str
    probe: str
    connections: int
    rows: int
    outcomes: list[Outcome] = field(default_factory=list)

    def median(self, value: str) -> float:
        return statistics.median(getattr(o, value) for o in self.outcomes)

    @property
    def cpu(self) -> tuple[float, float]:
        return (statistics.median(o.cpu_ms[0] for o in self.outcomes),
                statistics.median(o.cpu_ms[1] for o in self.outcomes))  # fmt: skip

    @property
    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for outcome in self.outcomes:
            for kind, count in outcome.errors.items():
                total[kind] = total.get(kind, 0) + count
            if outcome.crashed:
                total["**server crashed**"] = total.get("**server crashed**", 0) + 1
        return total


@dataclass
class DatasetResult:
    dataset: Dataset
    quads: int
    agreements: int
    resources: int
    cells: list[Cell] = field(default_factory=list)
    mixed: dict[str, Outcome] = field(default_factory=dict)
    busy: list[float] = field(default_factory=list)  # other work before each round
    started: dict[str, tuple[float, float]] = field(default_factory=dict)  # seconds, MB
    library: dict[str, list[tuple[str, int, float, float]]] = field(default_factory=dict)
    wrapped: dict[str, int] = field(default_factory=dict)  # server: describe numbers drawn

    def cell(self, server: str, probe: str, connections: int) -> Cell | None:
        for cell in self.cells:
            if (cell.server, cell.probe, cell.connections) == (server, probe, connections):
                return cell
        return None


def rotated(names: tuple[str, ...], round_number: int) -> list[str]:
    """The servers' order in a round: shifted by one each round, reversed every other."""
    shift = round_number % len(names)
    order = list(names[shift:] + names[:shift])
    return order[::-1] if round_number % 2 else order


def measure_probe(
    probe: Probe, servers: dict[str, Server], work: Workload, folder: Path, plan: Plan,
    result: DatasetResult,
) -> None:  # fmt: skip
    """One probe on its servers: a first request and a warm-up each, then rounds."""
    loads = {name: work.load(probe.key, servers[name]) for name in probe.servers}
    paths = {name: plan_file(folder, probe.key, servers[name], loads[name])
             for name in probe.servers}  # fmt: skip
    cells: dict[tuple[str, int], Cell] = {}
    for name in probe.servers:
        rows = first_use(servers[name], loads[name])
        for connections in connections_for(probe, name):
            cells[name, connections] = Cell(name, probe.key, connections, rows)
        if plan.warmup_seconds and name != RDFLIB:
            run_wrk(servers[name], loads[name], paths[name], 1, plan.warmup_seconds,
                    plan.timeout_seconds)  # fmt: skip
    for round_number in range(plan.rounds_for(result.dataset) if probe.headline else 1):
        result.busy.append(wait_for_quiet())
        for connections in probe.connections:
            for name in rotated(probe.servers, round_number):
                if (name, connections) not in cells:
                    continue
                outcome = measure_once(servers[name], loads[name], paths[name], connections,
                                       plan.duration(name, probe.key), plan)  # fmt: skip
                cells[name, connections].outcomes.append(outcome)
                say(f"  r{round_number + 1} {name:<16} {probe.key:<18} c{connections:<3} "
                    f"{outcome.rate:9.1f} req/s  p50 {outcome.p50_ms:8.2f} ms  "
                    f"p99 {outcome.p99_ms:8.2f} ms  CPU {sum(outcome.cpu_ms):6.2f} ms/req  "
                    f"errors {error_text(outcome.errors, outcome.crashed)}")  # fmt: skip
    result.cells += cells.values()


def connections_for(probe: Probe, server: str) -> tuple[int, ...]:
    """rdflib-endpoint runs all but lookups at 1 connection only (seconds per answer)."""
    if server == RDFLIB and "lookup" not in probe.key:
        return (1,)
    return probe.connections


def measure_once(
    server: Server, load: Load, path: Path, connections: int, seconds: float, plan: Plan
) -> Outcome:
    """One run; a server that died meanwhile is recorded as crashed and started again."""
    outcome = run_wrk(server, load, path, connections, seconds, plan.timeout_seconds)
    if not server.alive():
        outcome.crashed = True
        say(f"  {server.name} crashed; see {server.log}; starting it again")
        server.stop()
        server.start()
    return outcome


def measure_mixed(server: Server, work: Workload, folder: Path, plan: Plan) -> Outcome:
    """Varied lookups at 4 connections while 2 connections send varied heavy queries."""
    lookup = Load((work.lookups(server),))
    heavy = Load((work.heavy_varied(server),))
    lookup_path = plan_file(folder, "mixed-lookup", server, lookup)
    heavy_path = plan_file(folder, "mixed-heavy", server, heavy)
    first_use(server, lookup)
    first_use(server, heavy)
    seconds = plan.seconds
    hammer = subprocess.Popen(
        wrk_command(server.url(), heavy_path, offsets(server, heavy), 2, seconds + 2,
                    plan.timeout_seconds),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(1.0)  # let the heavy queries occupy the server first
        measured = run_wrk(server, lookup, lookup_path, 4, seconds, plan.timeout_seconds)
    finally:
        heavy_output, _ = hammer.communicate(timeout=seconds + plan.timeout_seconds + 30)
    heavy_outcome = parse_wrk(heavy_output)
    remember(server, heavy, heavy_outcome)
    measured.errors = {**measured.errors, "heavy-side errors": heavy_outcome.error_count}
    say(f"  {server.name:<16} varied lookups under heavy load: {measured.rate:.1f} req/s, "
        f"p50 {measured.p50_ms:.2f} ms, p99 {measured.p99_ms:.2f} ms, "
        f"heavy {heavy_outcome.rate:.1f} req/s, errors {error_text(measured.errors)}")  # fmt: skip
    return measured


def check_library(server: Server, work: Workload) -> list[tuple[str, int, float, float]]:
    """Each repeated request of the analyst mix asked twice (the first time no cache holds
    it): its rows, and milliseconds the first and the second time."""
    mix = work.mix(server)
    found = []
    for requests in mix.lists[:2]:
        for k, item in enumerate(requests.items):
            rows, first = ask(server, requests, k)
            _, second = ask(server, requests, k)
            name = item if requests.method == "GET" else f"query page {k + 1}"
            found.append((name.removeprefix("/questions/"), rows, 1000 * first, 1000 * second))
    return found


def measure_dataset(dataset: Dataset, plan: Plan, before: Path, probes: tuple[Probe, ...]
                    ) -> DatasetResult:  # fmt: skip
    """Prepare the dataset, start every server, then measure probe by probe in rounds."""
    folder = prepare(dataset)
    subjects = subjects_of(folder / "data.nq")
    say(f"{dataset.name}: {subjects.quads} quads in every server, "
        f"{len(subjects.agreements)} agreements, {len(subjects.resources)} resources")  # fmt: skip
    result = DatasetResult(dataset, subjects.quads, len(subjects.agreements),
                           len(subjects.resources))  # fmt: skip
    work = Workload(dataset, subjects, describe_texts(subjects.resources[:PEER_RESOURCES]))
    servers = servers_for(folder, before)
    with all_running(servers):
        result.started = {s.name: (s.started_in, s.memory_mb) for s in servers.values()}
        result.library = {name: check_library(servers[name], work) for name in (UDSYN, BEFORE)}
        for probe in probes:
            say(f"{dataset.name}: {probe.key}")
            measure_probe(probe, servers, work, folder, plan, result)
        for name in (UDSYN, BEFORE, OXI):
            result.mixed[name] = measure_mixed(servers[name], work, folder, plan)
        result.wrapped = {name: servers[name].drawn.get("describe", 0) for name in OURS}
    return result


# -- report ------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def error_text(errors: dict[str, int], crashed: bool = False) -> str:
    found = [f"{n} {kind}" for kind, n in errors.items() if n]
    if crashed:
        found.append("**server crashed**")
    return ", ".join(found) or "0"


def paired(ours: Cell | None, theirs: Cell | None) -> list[float]:
    """Rate ratios round by round (rounds where both ran)."""
    if ours is None or theirs is None:
        return []
    return [a.rate / b.rate for a, b in zip(ours.outcomes, theirs.outcomes, strict=False)
            if b.rate]  # fmt: skip


def ratio_text(ratios: list[float], spread: bool = False) -> str:
    if not ratios:
        return "-"
    text = f"{statistics.median(ratios):.2f}x"
    if spread and len(ratios) > 1:
        text += f" ({min(ratios):.2f}-{max(ratios):.2f})"
    return text


def cpu_text(cell: Cell) -> str:
    main, children = cell.cpu
    return f"{main:.2f} + {children:.2f}" if cell.server in OURS else f"{main + children:.2f}"


def cell_columns(cell: Cell) -> str:
    rate, p50, p99 = (cell.median(value) for value in ("rate", "p50_ms", "p99_ms"))
    return f"{rate:.0f} | {ms(p50)} | {ms(p99)} | {cpu_text(cell)} | {error_text(cell.errors)}"


def probe_table(result: DatasetResult, probes: tuple[str, ...]) -> list[str]:
    """Each probe on each server, medians over rounds, udsyn's ratios to the peers."""
    lines = [
        "| request | server | conn. | rows | req/s | p50 ms | p99 ms | CPU ms/req | errors "
        "| ÷ oxigraph | ÷ rdflib |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for probe in probes:
        for server in SERVERS:
            for connections in CONCURRENCY:
                cell = result.cell(server, probe, connections)
                if cell is None or not cell.outcomes:
                    continue
                peers = ["", ""]
                if server in OURS:
                    peers = [ratio_text(paired(cell, result.cell(p, probe, connections)))
                             for p in (OXI, RDFLIB)]  # fmt: skip
                rows = cell.rows if cell.rows >= 0 else "-"
                name = server + (" †" if probe in WRAPS and server in wrapped(result) else "")
                lines.append(f"| {probe} | {name} | {connections} | {rows} | "
                             f"{cell_columns(cell)} | {peers[0]} | {peers[1]} |")  # fmt: skip
    return lines


def headline_table(results: list[DatasetResult]) -> list[str]:
    """Varied lookups on every dataset: req/s of each server and udsyn's ratios."""
    lines = [
        "| dataset | conn. | " + " | ".join(SERVERS) + " | udsyn ÷ oxigraph (≥ 0.35x) "
        "| udsyn ÷ rdflib (≥ 5x) | udsyn ÷ before |",
        "|---|---:|" + "---:|" * (len(SERVERS) + 3),
    ]
    for result in results:
        for connections in CONCURRENCY:
            cells = {name: result.cell(name, "varied lookup", connections) for name in SERVERS}
            rates = [f"{c.median('rate'):.0f}" if c and c.outcomes else "-" for c in cells.values()]
            ratios = [paired(cells[UDSYN], cells[peer]) for peer in (OXI, RDFLIB, BEFORE)]
            marks = [
                f"{ratio_text(ratios[0])} {verdict(bool(ratios[0]) and median(ratios[0]) >= 0.35)}",
                f"{ratio_text(ratios[1])} {verdict(bool(ratios[1]) and median(ratios[1]) >= 5)}",
                ratio_text(ratios[2], spread=True),
            ]
            lines.append(f"| {result.dataset.name} | {connections} | " + " | ".join(rates)
                         + " | " + " | ".join(marks) + " |")  # fmt: skip
    return lines


def median(values: list[float]) -> float:
    return statistics.median(values)


def target_lines(result: DatasetResult) -> list[str]:
    """The issue's targets on varied lookups: ≥ 0.35x oxigraph and ≥ 5x rdflib-endpoint."""
    lines = []
    for server in (UDSYN, NO_CACHE):
        for connections in CONCURRENCY:
            cell = result.cell(server, "varied lookup", connections)
            vs_ox = paired(cell, result.cell(OXI, "varied lookup", connections))
            vs_rdf = paired(cell, result.cell(RDFLIB, "varied lookup", connections))
            if not (vs_ox and vs_rdf):
                lines.append(f"- {server}, {connections} conn.: not measured")
                continue
            ox, rdf = statistics.median(vs_ox), statistics.median(vs_rdf)
            lines.append(
                f"- {server}, varied lookups, {connections} conn.: {ox:.2f}x oxigraph "
                f"(≥ 0.35x: {verdict(ox >= 0.35)}), {rdf:.1f}x rdflib-endpoint "
                f"(≥ 5x: {verdict(rdf >= 5)})"
            )
    failing = [f"{c.server} {c.probe} c{c.connections}" for c in result.cells
               if c.server in OURS and sum(c.errors.values())]  # fmt: skip
    failing += [f"{name} (under heavy load)" for name, o in result.mixed.items()
                if name in OURS and o.error_count]  # fmt: skip
    lines.append(f"- zero errors on udsyn: {verdict(not failing)}"
                 + (f" ({'; '.join(failing)})" if failing else ""))  # fmt: skip
    return lines


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def before_after_table(result: DatasetResult) -> list[str]:
    """The earlier commit against this one, probe by probe, ratios paired by round."""
    lines = [
        "| request | conn. | before req/s | after req/s | after ÷ before (rounds) "
        "| before CPU ms/req | after CPU ms/req | before p99 ms | after p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for probe in PROBES:
        for connections in CONCURRENCY:
            old = result.cell(BEFORE, probe.key, connections)
            new = result.cell(UDSYN, probe.key, connections)
            if not (old and new and old.outcomes and new.outcomes):
                continue
            lines.append(
                f"| {probe.key} | {connections} | {old.median('rate'):.0f} "
                f"| {new.median('rate'):.0f} | {ratio_text(paired(new, old), spread=True)} "
                f"| {sum(old.cpu):.2f} | {sum(new.cpu):.2f} | {ms(old.median('p99_ms'))} "
                f"| {ms(new.median('p99_ms'))} |"
            )
    return lines


def mix_table(result: DatasetResult) -> list[str]:
    """The analyst mix with the answer cache on and off (and on the earlier commit)."""
    lines = [
        "| server | conn. | req/s | p50 ms | p99 ms | CPU ms/req | errors | ÷ cache off (rounds) |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for server in OURS:
        for connections in CONCURRENCY:
            cell = result.cell(server, "analyst mix", connections)
            if cell is None or not cell.outcomes:
                continue
            off = result.cell(NO_CACHE, "analyst mix", connections)
            versus = "" if server == NO_CACHE else ratio_text(paired(cell, off), spread=True)
            lines.append(f"| {server} | {connections} | {cell_columns(cell)} | {versus} |")
    return lines


def mixed_table(result: DatasetResult) -> list[str]:
    lines = [
        "| server | lookups/s | lookup p50 ms | lookup p99 ms | errors |",
        "|---|---:|---:|---:|---|",
    ]
    for name, outcome in result.mixed.items():
        lines.append(f"| {name} | {outcome.rate:.0f} | {ms(outcome.p50_ms)} "
                     f"| {ms(outcome.p99_ms)} | {error_text(outcome.errors)} |")  # fmt: skip
    return lines


def start_line(result: DatasetResult) -> str:
    parts = [f"{name} {seconds:.1f} s, {memory:.0f} MB"
             for name, (seconds, memory) in result.started.items()]  # fmt: skip
    return (
        "Start-up until the first answer, and memory after it (PSS of the server and its "
        "workers, shared pages counted once): " + "; ".join(parts) + "."
    )


def library_line(result: DatasetResult) -> str:
    """What the repeated part of the mix costs uncached, and what the cache keeps of it."""
    parts = []
    for server, asked in result.library.items():
        total = sum(first for *_, first, _ in asked)
        slowest = sorted(asked, key=lambda item: -item[2])[:3]
        named = ", ".join(f"`{name}` {ms(first)} ms" for name, _, first, _ in slowest)
        missed = [name for name, _, first, second in asked if second > max(5, first / 2)]
        text = (
            f"on {server}, {ms(total)} ms in all the first time (slowest {named}), and "
            f"{len(asked) - len(missed)} came back from the answer cache the second time"
        )
        parts.append(text + (f" (not: {', '.join(f'`{n}`' for n in missed)})" if missed else ""))
    if not parts:
        return ""
    count = len(next(iter(result.library.values())))
    return f"The {count} repeated requests of the mix, each asked twice: " + "; ".join(parts) + "."


WRAPS = ("varied describe",)  # probes whose requests can run out of distinct ones


def wrapped(result: DatasetResult) -> list[str]:
    """The servers with a cache that were sent more varied describe-resource requests than
    there are distinct ones."""
    return [
        name
        for name, drawn in result.wrapped.items()
        if name != NO_CACHE and drawn > 2 * result.resources
    ]


def wrap_note(result: DatasetResult) -> str:
    """Whether the varied describe-resource requests ran out of distinct ones on a server."""
    distinct = 2 * result.resources
    over = [f"{name} ({result.wrapped[name]})" for name in wrapped(result)]
    if not over:
        return (
            f"Varied describe-resource: {distinct} distinct requests (each resource in "
            "English and Danish); no server was sent one twice."
        )
    return (
        f"Varied describe-resource: only {distinct} distinct requests (each resource in "
        f"English and Danish); the servers marked † were sent more (how many: "
        f"{', '.join(over)}), so an answer cache served the repeats."
    )


def dataset_section(result: DatasetResult, plan: Plan) -> list[str]:
    dataset = result.dataset
    lookup = LOOKUP.format(iri="…")
    return [
        f"### {dataset.title}: {result.quads} quads",
        "",
        f"Varied lookup: `{lookup} LIMIT n`, the agreement cycling over all "
        f"{result.agreements} and n from 1000 upwards, so no text repeats on a server; "
        f"repeated lookup: the same for `<{dataset.lookup_iri}>` without `LIMIT`, every "
        "request. describe-resource: udsyn's `/questions/describe-resource?resource=…&lang=…"
        "&format=json` (plain JSON); oxigraph and rdflib get the same question bound as "
        f"SPARQL; varied: over all {result.resources} resources under `id/`. Heavy: "
        f"{dataset.heavy.title}.",
        "",
        *probe_table(result, ("varied lookup", "repeated lookup")),
        "",
        "Targets (issue 14, varied lookups):",
        "",
        *target_lines(result),
        "",
        "Before and after (the same server from the earlier commit, same store, same rounds):",
        "",
        *before_after_table(result),
        "",
        "The analyst mix, answer cache on and off (10 requests in turn: 2 library questions "
        "with their defaults and 1 query-page query, repeated texts, and 7 varied lookups):",
        "",
        *mix_table(result),
        "",
        library_line(result),
        "",
        "Named question, heavy query:",
        "",
        *probe_table(result, ("varied describe", "repeated describe", "heavy")),
        "",
        wrap_note(result),
        "",
        f"Varied lookups at 4 connections while 2 connections send the heavy query with a "
        f"varied LIMIT ({plan.seconds:g} s; errors of both sides):",
        "",
        *mixed_table(result),
        "",
        start_line(result),
        *busy_note(result),
    ]


def busy_note(result: DatasetResult) -> list[str]:
    """A warning when other work kept the CPUs busy before a round."""
    busy = [share for share in result.busy if share > 0.15]
    if not busy:
        return []
    return ["", f"Note: other work kept the CPUs busy before {len(busy)} of {len(result.busy)} "
                f"rounds (up to {max(busy):.0%})."]  # fmt: skip


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


@dataclass
class Run:
    """A whole run: the datasets' results and what was compared."""

    results: list[DatasetResult]
    after: str  # the commit measured as udsyn, and whether service/ had changes
    before: str
    plan: Plan
    measured: str = ""
    minutes: float = 0.0
    question_changes: list[str] = field(default_factory=list)  # questions whose text changed
    before_file: str = ""  # where udsyn before's ``import udsyn`` found the package


def question_changes(before: str) -> list[str]:
    """The named questions whose text differs between ``before`` and the working tree."""
    changed = git("diff", "--name-only", before, "--", "queries").split()
    return sorted(Path(name).stem for name in changed if name.endswith(".rq"))


def code_state() -> str:
    """The commit of the working tree's udsyn, and whether service/ differs from it."""
    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "service")
    return f"{commit}" + (" with uncommitted changes in service/" if dirty else "")


def report(run: Run) -> str:
    """The Markdown that goes between the README's markers."""
    plan = run.plan
    lines = [
        "## The web service under load",
        "",
        "`python benchmarks/service.py`: udsyn (`udsyn serve`, 2 front processes and 4 query "
        "workers, as configured by default, with its answer cache, and with "
        "`UDSYN_ANSWER_CACHE_MB=0`), **udsyn "
        f"before** (the same at commit `{run.before}`, from a git worktree, its `import udsyn` "
        f"checked to find `{run.before_file}`; udsyn itself is `{run.after}`), "
        "`oxigraph serve --union-default-graph` and "
        "rdflib-endpoint over the same quads. All five run at once on loopback; wrk drives "
        f"one at a time (1 connection: `-t1 -c1`; 16: `-t2 -c16`; {plan.seconds:g} s a run, "
        f"{plan.mix_seconds:g} s for the mix, {plan.heavy_seconds:g} s for the heavy query, "
        f"{plan.rdflib_heavy_seconds:g} s for rdflib's, which runs it at 1 connection only; "
        f"timeout {plan.timeout_seconds:g} s), in {plan.rounds} rounds ({plan.strategy_rounds} on "
        "the strategy graph) for the lookups, "
        "varied describe-resource and the mix (1 for the rest), each round in another order "
        "of servers. Every answer is SPARQL JSON unless said otherwise. To keep the run near "
        "20 minutes on 2 cores, the repeated describe-resource and the heavy query run once, "
        "rdflib-endpoint gets 16 connections only for lookups, and the earlier runs with 2 "
        "query workers and with CSV answers are left out. "
        f"The whole run took {run.minutes:.0f} minutes.",
        "",
        "How to read: req/s, p50 and p99 are medians over the rounds; CPU ms/req is the "
        "server's CPU time per answered request (udsyn: its process, front processes and "
        "query workers), so "
        "it does not depend on how busy the 2 cores were; wrk runs on the same cores. "
        "Ratios (÷ oxigraph, ÷ rdflib, after ÷ before, ÷ cache off) are medians of ratios "
        "paired by round, with the range over rounds where shown. The *varied* rows are "
        "what an analyst's lookups cost: every request a new text, so no cache serves it; "
        "the *repeated* rows show what udsyn's answer cache adds when a text comes back.",
        "",
        run.measured,
        "",
        "**Varied lookups, the headline** (req/s, medians over rounds; a different agreement "
        "and text every request):",
        "",
        *headline_table(run.results),
        "",
    ]
    if run.question_changes:
        changed = ", ".join(f"`{name}`" for name in run.question_changes)
        lines += [
            f"{len(run.question_changes)} named questions changed their text between the two "
            f"commits ({changed}); udsyn before asks its own versions, every other server the "
            "current ones, so the before-and-after rows of describe-resource and of the mix "
            "compare the question texts as much as the two services.",
            "",
        ]
    for result in run.results:
        lines += [*dataset_section(result, plan), ""]
    findings = HELPERS / "findings.md"
    if findings.exists():
        lines.append(findings.read_text(encoding="utf-8").strip())
    return "\n".join(line for line in lines if line is not None).rstrip() + "\n"


def write_readme(section: str, readme: Path = README) -> None:
    """Put the results between this benchmark's markers in the README."""
    write_between(readme, START, END, section)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="udsyn's web service under load.")
    parser.add_argument("--quick", action="store_true",
                        help="1-second runs, 2 rounds, on the strategy graph only; README "
                             "untouched")  # fmt: skip
    parser.add_argument(
        "--before",
        default=DEFAULT_BEFORE,
        help=f"the commit to measure as 'udsyn before' (default {DEFAULT_BEFORE})",
    )
    parser.add_argument("--rounds", type=int, help="rounds for the headline requests")
    parser.add_argument("--datasets", nargs="+", choices=[d.name for d in DATASETS],
                        help="only these datasets")  # fmt: skip
    parser.add_argument("--no-readme", action="store_true", help="print, do not write README")
    parser.add_argument("--report-only", action="store_true",
                        help="re-render the last run's saved results")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    saved = WORK / ("results-quick.pickle" if args.quick else "results.pickle")
    if args.report_only:
        run = pickle.loads(saved.read_bytes())
    else:
        plan = Plan(1, 1, 2, 1, 1, rounds=2) if args.quick else Plan()
        if args.rounds:
            plan = dataclasses.replace(plan, rounds=args.rounds, strategy_rounds=args.rounds)
        datasets = [STRATEGY] if args.quick else list(DATASETS)
        if args.datasets:
            datasets = [d for d in DATASETS if d.name in args.datasets]
        tree = before_worktree(args.before)
        before_file = check_imports(tree)
        say(f"udsyn before ({args.before}) imports {before_file}")
        started = time.monotonic()
        run = Run([], code_state(), args.before, plan)
        run.before_file = str(Path(before_file).relative_to(ROOT))
        run.question_changes = question_changes(args.before)
        for dataset in datasets:
            run.results.append(measure_dataset(dataset, plan, tree, PROBES))
        run.minutes = (time.monotonic() - started) / 60
        run.measured = machine()
        saved.write_bytes(pickle.dumps(run))
    section = report(run)
    print(section)
    if not (args.quick or args.no_readme):
        write_readme(section)
        say(f"wrote the tables into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
