"""Load time and five analyst queries on udsyn's stores and on plain rdflib, side by side.

For every generated graph size the same N-Triples file is loaded into

* **embedded**: udsyn's :class:`~udsyn.store.EmbeddedStore` (pyoxigraph, on disk), loaded
  with ``add_all(read_all(...))`` and queried with ``Store.query`` to SPARQL JSON: the whole
  udsyn path, query checking and serialisation included;
* **pyoxigraph**: the same store's pyoxigraph ``Store`` queried directly (no udsyn checks),
  to show what the udsyn wrapper costs;
* **remote**: udsyn's :class:`~udsyn.store.RemoteStore` against a real
  ``oxigraph serve --union-default-graph`` on loopback, loaded with one ``INSERT DATA``;
* **rdflib**: ``Graph().parse`` and ``Graph.query(...).serialize(format="json")``.

``--servers`` measures the SPARQL servers instead: the embedded store, ``oxigraph serve`` and
OpenLink Virtuoso (Debian's ``virtuoso-t``, its own database in ``benchmarks/work``, on
loopback ports), each through udsyn (``add_all`` to load, ``Store.query`` to ask).

Every query run is timed wall-clock; the table shows medians. A run that exceeds its time
budget is stopped (rdflib is pure Python, so a ``SIGALRM`` interrupts it) and reported as
``> N s``. The results go to stdout and into ``benchmarks/README.md`` between markers.
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql import prepareQuery
from readme import write_between

from udsyn.config import RemoteEndpoint
from udsyn.formats import RESULT_FORMATS, by_name
from udsyn.loading import collect_sources, read_all
from udsyn.sparql.grammar import read_query
from udsyn.store import EmbeddedStore, RemoteStore


# udsyn remembers the queries it has parsed; the fixed-cost table times a first sight.
def parse_uncached(text: str, base: str) -> object:
    return read_query(text, base, {})


HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
README = HERE / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
SERVERS_START, SERVERS_END = "<!-- servers:start -->", "<!-- servers:end -->"
SERVERS = ("embedded", "oxigraph", "virtuoso")
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
BASE = "https://w3id.org/udsyn/"
JSON = by_name("json", RESULT_FORMATS)
OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
BACKENDS = ("embedded", "pyoxigraph", "memory", "remote", "rdflib")
RDFLIB_RUN_BUDGET = 90.0  # seconds before an rdflib query run is stopped

PREFIXES = """PREFIX uds: <https://w3id.org/udsyn/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


@dataclass(frozen=True)
class Query:
    """One analyst question: a short key, what it asks, and its SPARQL."""

    key: str
    title: str
    text: str


def analyst_queries(lookup_iri: str) -> list[Query]:
    """The five queries; ``lookup_iri`` is the agreement the lookup asks about."""
    return [
        Query("by-focus-area", "agreements serving one focus area, with labels", PREFIXES + """
SELECT ?agreement ?agreementLabel ?region ?regionLabel ?areaLabel WHERE {
  VALUES ?area { <https://w3id.org/udsyn/id/focus-area/energy-and-environment> }
  ?agreement a uds:CooperationAgreement ; uds:servesFocusArea ?area ;
             rdfs:label ?agreementLabel ; uds:partnerRegion ?region .
  ?region rdfs:label ?regionLabel .
  ?area skos:prefLabel ?areaLabel .
  FILTER(lang(?agreementLabel) = "en" && lang(?regionLabel) = "en" && lang(?areaLabel) = "en")
}"""),
        Query("per-country", "partner regions and offices per country (GROUP BY)", PREFIXES + """
SELECT ?country ?countryLabel (COUNT(DISTINCT ?region) AS ?regions)
       (COUNT(DISTINCT ?office) AS ?offices) WHERE {
  ?agreement a uds:CooperationAgreement ; uds:partnerRegion ?region .
  ?region uds:locatedIn ?country .
  ?country a uds:Country ; rdfs:label ?countryLabel .
  FILTER(lang(?countryLabel) = "en")
  OPTIONAL { ?agreement uds:associatedOffice ?office }
}
GROUP BY ?country ?countryLabel
ORDER BY DESC(?offices) ?country"""),
        Query("decisions-by-date", "decisions 2006-2010 in date order, with body (ORDER BY)",
              PREFIXES + """
SELECT ?decision ?date ?bodyLabel ?adviser ?agreement WHERE {
  ?decision a uds:Decision ; uds:decisionDate ?date ; uds:decidingBody ?body ;
            uds:decides ?agreement .
  ?body rdfs:label ?bodyLabel .
  FILTER(lang(?bodyLabel) = "da")
  FILTER(?date >= "2006-01-01"^^xsd:date && ?date < "2011-01-01"^^xsd:date)
  OPTIONAL { ?decision uds:onRecommendationOf ?adviser }
}
ORDER BY ?date ?decision"""),
        Query("lookup", "one agreement by IRI, all its properties", PREFIXES + f"""
SELECT ?property ?value WHERE {{
  <{lookup_iri}> ?property ?value .
}}"""),
        Query("offices-in-country", "offices in the partner's country (uds:locatedIn+)",
              PREFIXES + """
SELECT ?agreement ?office ?officeLabel ?city ?country WHERE {
  ?agreement uds:associatedOffice ?office ; uds:partnerRegion ?region .
  ?region uds:locatedIn ?country .
  ?country a uds:Country .
  ?office uds:basedIn ?city ; rdfs:label ?officeLabel .
  FILTER(lang(?officeLabel) = "en")
  ?city uds:locatedIn+ ?country .
}"""),
    ]  # fmt: skip


# -- timing -----------------------------------------------------------------------------------


class OverBudget(Exception):
    """A timed run took longer than its budget and was stopped."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` in the main thread once ``seconds`` have passed.

    Pure-Python work (rdflib) is interrupted at once; a call into native code (pyoxigraph)
    is interrupted when it returns.
    """

    def expire(_signal: int, _frame: object) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Timing:
    """The runs of one measurement, in seconds, and whether a run hit its budget."""

    runs: list[float] = field(default_factory=list)
    budget: float | None = None  # set when a run was stopped at this many seconds
    rows: int | None = None

    @property
    def median(self) -> float | None:
        return None if self.budget is not None else statistics.median(self.runs)

    def cell(self) -> str:
        """The median in milliseconds (or seconds when large), or ``> N s``."""
        if self.budget is not None:
            return f"> {seconds_text(self.budget)}"
        return seconds_text(statistics.median(self.runs))


def seconds_text(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1000:.2f} ms"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


@dataclass(frozen=True)
class Plan:
    """How often and how long to run each query."""

    runs: int = 5
    run_budget: float = 120.0  # a single run is stopped after this many seconds
    total_budget: float = 60.0  # no further runs start once this much has been spent


def measure_round(run: Callable[[], bytes], plan: Plan, timing: Timing) -> None:
    """Run ``run`` once more and record it, unless the plan says this store is done."""
    if timing.budget is not None or len(timing.runs) >= plan.runs:
        return
    if timing.runs and sum(timing.runs) >= plan.total_budget:
        return
    started = time.perf_counter()
    try:
        with time_limit(plan.run_budget):
            answer = run()
    except OverBudget:
        timing.budget = plan.run_budget
        return
    timing.runs.append(time.perf_counter() - started)
    timing.rows = count_rows(answer)


def measure(runners: dict[str, tuple[Callable[[], bytes], Plan]]) -> dict[str, Timing]:
    """Time every store on one query, round by round (store A, B, C, A, B, C, ...).

    Interleaving spreads whatever else the machine does evenly over the stores. Each store
    runs up to its plan's number of times, at least once, within its plan's budgets.
    """
    timings = {name: Timing() for name in runners}
    rounds = max(plan.runs for _, plan in runners.values())
    for _ in range(rounds):
        for name, (run, plan) in runners.items():
            measure_round(run, plan, timings[name])
    return timings


def count_rows(answer: bytes | str) -> int:
    """How many solutions a SPARQL JSON answer holds."""
    return len(json.loads(answer)["results"]["bindings"])


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- the stores -------------------------------------------------------------------------------


class Embedded:
    """udsyn's embedded store on disk, plus direct access to its pyoxigraph store."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self.folder = folder
        self.store = EmbeddedStore(BASE, str(folder))

    def load(self, path: Path) -> float:
        return timed(lambda: self.store.add_all(read_all(collect_sources([path]), BASE)))

    def udsyn(self, text: str) -> bytes:
        return self.store.query(text, JSON)

    def direct(self, text: str) -> bytes:
        result = self.store.native.query(text, base_iri=BASE, use_default_graph_as_union=True)
        return result.serialize(format=ox.QueryResultsFormat.JSON)

    def close(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class Memory:
    """pyoxigraph's in-memory store, queried directly: the reference the served store is held
    to (``udsyn serve`` answers from such a copy; see ``serving.py``)."""

    def __init__(self) -> None:
        self.store = ox.Store()

    def load(self, path: Path) -> float:
        return timed(lambda: self.store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES))

    def query(self, text: str) -> bytes:
        result = self.store.query(text, base_iri=BASE, use_default_graph_as_union=True)
        return result.serialize(format=ox.QueryResultsFormat.JSON)


class Remote:
    """A real ``oxigraph serve`` on a free loopback port, reached through RemoteStore."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self.folder = folder
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [OXIGRAPH, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}",
             "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until_answering(f"{url}/query?query=ASK%7B%7D", self.process)
        endpoint = RemoteEndpoint(f"{url}/query", f"{url}/update", timeout=1800)
        self.store = RemoteStore(BASE, endpoint)

    def load(self, path: Path) -> tuple[float, int]:
        """Seconds to load ``path`` with one ``add_all``, and how many update requests it sent.

        ``RemoteStore.add_all`` sends one ``INSERT DATA`` when the quads fit one batch;
        larger loads go batch by batch into staging graphs and are published by one more
        update (``oxigraph serve`` refuses request bodies over 128 MiB).
        """
        started = time.perf_counter()
        quads = self.store.add_all(read_all(collect_sources([path]), BASE))
        elapsed = time.perf_counter() - started
        batch = self.store.batch
        requests = 1 if quads <= batch else -(-quads // batch) + 1
        return elapsed, requests

    def query(self, text: str) -> bytes:
        return self.store.query(text, JSON)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class Virtuoso:
    """Debian's Virtuoso on a new database in ``folder``, on free loopback ports, reached
    through RemoteStore (profile detected), with the settings its README section names."""

    SETTINGS: ClassVar[dict[str, str]] = {
        "ResultSetMaxRows": "1000000",
        "MaxQueryCostEstimationTime": "0",
        "MaxQueryExecutionTime": "1800",
        "NumberOfBuffers": "340000",  # about 2.6 GB, for 100,000 agreements
        "MaxDirtyBuffers": "250000",
    }

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        sql, http = free_port(), free_port()
        ini = folder / "virtuoso.ini"
        ini.write_text(virtuoso_ini(folder, sql, http, self.SETTINGS), encoding="utf-8")
        self.process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(ini)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{http}"
        wait_until_answering(f"{url}/sparql?query=ASK%7B%7D", self.process, seconds=120)
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{sql}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        endpoint = RemoteEndpoint(f"{url}/sparql", f"{url}/sparql", timeout=1800)
        self.store = RemoteStore(BASE, endpoint)

    def load(self, path: Path) -> tuple[float, int]:
        """Seconds to load ``path`` with one ``add_all``, and how many requests carried data."""
        started = time.perf_counter()
        quads = self.store.add_all(read_all(collect_sources([path]), BASE))
        return time.perf_counter() - started, -(-quads // self.store.batch)

    def query(self, text: str) -> bytes:
        return self.store.query(text, JSON)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, settings: dict[str, str]) -> str:
    """Debian's virtuoso.ini with the database in ``folder``, loopback ports and ``settings``."""
    lines, section = [], ""
    for line in VIRTUOSO_INI.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"\s*\[(.+)\]", line)
        section = heading.group(1) if heading else section
        key = line.split("=", 1)[0].strip()
        if key == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{sql_port if section == 'Parameters' else http_port}"
        elif key in settings and section in ("Parameters", "SPARQL"):
            line = f"{key} = {settings[key]}"
        lines.append(line.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/"))
    return "\n".join(lines) + "\n"


class Rdflib:
    """A plain in-memory rdflib Graph."""

    def __init__(self) -> None:
        self.graph = rdflib.Graph()

    def load(self, path: Path) -> float:
        return timed(lambda: self.graph.parse(str(path), format="nt"))

    def query(self, text: str) -> bytes:
        return self.graph.query(text).serialize(format="json")

    def close(self) -> None:
        self.graph = rdflib.Graph()
        gc.collect()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{url} did not answer within {seconds} s")


# -- one size ---------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured on one graph."""

    agreements: int
    triples: int
    loads: dict[str, float] = field(default_factory=dict)
    remote_requests: int = 0
    queries: dict[str, dict[str, Timing]] = field(default_factory=dict)  # key -> backend
    overhead: dict[str, dict[str, float]] = field(default_factory=dict)  # key -> part -> s


def bench_size(
    path: Path, agreements: int, triples: int, queries: list[Query], plan: Plan, rdflib_plan: Plan
) -> SizeResult:
    """Load ``path`` into every store, then time every query on all of them, interleaved."""
    result = SizeResult(agreements, triples)
    say(f"\n== {agreements:,} agreements ({triples:,} triples) ==")
    embedded = Embedded(WORK / f"embedded-{agreements}")
    memory = Memory()
    remote = Remote(WORK / f"oxigraph-{agreements}")
    graph = Rdflib()
    try:
        result.loads["embedded"] = embedded.load(path)
        say(f"load embedded: {seconds_text(result.loads['embedded'])}")
        result.loads["memory"] = memory.load(path)
        say(f"load pyoxigraph in memory: {seconds_text(result.loads['memory'])}")
        result.loads["remote"], result.remote_requests = remote.load(path)
        say(f"load remote: {seconds_text(result.loads['remote'])} "
            f"({requests(result.remote_requests)})")  # fmt: skip
        result.loads["rdflib"] = graph.load(path)
        say(f"load rdflib: {seconds_text(result.loads['rdflib'])}")
        for query in queries:
            t = query.text
            result.queries[query.key] = measure({
                "embedded": (lambda t=t: embedded.udsyn(t), plan),
                "pyoxigraph": (lambda t=t: embedded.direct(t), plan),
                "memory": (lambda t=t: memory.query(t), plan),
                "remote": (lambda t=t: remote.query(t), plan),
                "rdflib": (lambda t=t: graph.query(t), rdflib_plan),
            })  # fmt: skip
            for backend in BACKENDS:
                say_query(backend, query, result.queries[query.key][backend])
    finally:
        graph.close()
        remote.close()
        embedded.close()
    result.overhead = parse_overheads(queries)
    return result


@dataclass
class ServersResult:
    """Loads and query timings on the embedded store and the two servers, on one graph."""

    agreements: int
    triples: int
    loads: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    queries: dict[str, dict[str, Timing]] = field(default_factory=dict)


def bench_servers(
    path: Path, agreements: int, triples: int, queries: list[Query], plan: Plan
) -> ServersResult:
    """Load ``path`` into the embedded store, oxigraph serve and Virtuoso; time the queries."""
    result = ServersResult(agreements, triples)
    say(f"\n== servers: {agreements:,} agreements ({triples:,} triples) ==")
    stores: dict[str, Embedded | Remote | Virtuoso] = {}
    try:
        stores["embedded"] = Embedded(WORK / f"embedded-{agreements}")
        result.loads["embedded"] = stores["embedded"].load(path)
        for name, kind in (("oxigraph", Remote), ("virtuoso", Virtuoso)):
            stores[name] = kind(WORK / f"{name}-{agreements}")
            result.loads[name], result.requests[name] = stores[name].load(path)  # type: ignore[misc]
        for name in SERVERS:
            say(f"load {name}: {seconds_text(result.loads[name])}")
        for query in queries:
            t = query.text
            result.queries[query.key] = measure({
                "embedded": (lambda t=t: stores["embedded"].udsyn(t), plan),  # type: ignore[union-attr]
                "oxigraph": (lambda t=t: stores["oxigraph"].query(t), plan),  # type: ignore[union-attr]
                "virtuoso": (lambda t=t: stores["virtuoso"].query(t), plan),  # type: ignore[union-attr]
            })  # fmt: skip
            for name in SERVERS:
                say_query(name, query, result.queries[query.key][name])
    finally:
        for store in stores.values():
            store.close()
    return result


def servers_report(results: list[ServersResult], queries: list[Query], runs: int) -> str:
    """The Markdown between the servers markers: loads and queries, with the ratios."""
    lines = [
        *machine(),
        "",
        "**Load** (one `add_all` each; seconds from reading the file to the data committed):",
        "",
        "| agreements | triples | embedded | oxigraph serve | Virtuoso | Virtuoso/embedded "
        "| Virtuoso/oxigraph |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        loads = result.loads
        lines.append(
            f"| {result.agreements:,} | {result.triples:,} | {seconds_text(loads['embedded'])} "
            f"| {seconds_text(loads['oxigraph'])} ({requests(result.requests['oxigraph'])}) "
            f"| {seconds_text(loads['virtuoso'])} ({requests(result.requests['virtuoso'])}) "
            f"| {ratio(loads['virtuoso'], loads['embedded'])} "
            f"| {ratio(loads['virtuoso'], loads['oxigraph'])} |"
        )
    lines += [
        "",
        f"**Queries** (wall-clock median of {runs} runs, SPARQL JSON answer included):",
        "",
        "| agreements | query | rows | embedded | oxigraph serve | Virtuoso | Virtuoso/embedded "
        "| Virtuoso/oxigraph |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for query in queries:
            timings = result.queries[query.key]
            lines.append(servers_line(result.agreements, query.key, rows_cell(timings), timings))
        totals = {name: mix(result, name) for name in SERVERS}  # type: ignore[arg-type]
        lines.append(servers_line(result.agreements, "**query mix (sum)**", "", totals))
    return "\n".join(lines)


def servers_line(agreements: int, key: str, rows: str, timings: dict[str, Timing]) -> str:
    cells = " | ".join(timings[name].cell() for name in SERVERS)
    return (
        f"| {agreements:,} | {key} | {rows} | {cells} "
        f"| {ratio(timings['virtuoso'], timings['embedded'])} "
        f"| {ratio(timings['virtuoso'], timings['oxigraph'])} |"
    )


def parse_overheads(queries: list[Query], repeat: int = 20) -> dict[str, dict[str, float]]:
    """Per query: udsyn's query check, and rdflib's query parsing, each alone (median)."""
    found: dict[str, dict[str, float]] = {}
    for query in queries:
        check = [timed(lambda q=query: parse_uncached(q.text, BASE)) for _ in range(repeat)]
        parse = [timed(lambda q=query: prepareQuery(q.text)) for _ in range(repeat)]
        found[query.key] = {"udsyn-check": statistics.median(check),
                            "rdflib-parse": statistics.median(parse)}  # fmt: skip
    return found


def say(line: str) -> None:
    print(line, flush=True)


def say_query(backend: str, query: Query, timing: Timing) -> None:
    say(f"  {backend:<10} {query.key:<20} {timing.cell():>12}  rows={timing.rows}")


# -- the report -------------------------------------------------------------------------------


def ratio(numerator: Timing | float, denominator: Timing | float) -> str:
    """``numerator / denominator`` as ``12.3x``; ``> 12x`` when the numerator hit its budget."""
    bottom = denominator.median if isinstance(denominator, Timing) else denominator
    if not bottom:
        return "-"
    if isinstance(numerator, Timing):
        if numerator.budget is not None:
            return f"> {numerator.budget / bottom:.0f}x"
        top = numerator.median or 0.0
    else:
        top = numerator
    return f"{top / bottom:.1f}x" if top / bottom < 100 else f"{top / bottom:.0f}x"


def rows_cell(timings: dict[str, Timing]) -> str:
    """The row count all stores agree on, or every count when they do not."""
    counts = {name: timing.rows for name, timing in timings.items() if timing.rows is not None}
    if len(set(counts.values())) == 1:
        return f"{next(iter(counts.values())):,}"
    return " / ".join(f"{name} {count}" for name, count in counts.items()) + " (MISMATCH)"


def mix(result: SizeResult | ServersResult, backend: str) -> Timing:
    """The whole query mix: the sum of the medians (a lower bound if a run hit its budget)."""
    timings = [result.queries[key][backend] for key in result.queries]
    total = Timing(runs=[sum(t.median or t.budget or 0.0 for t in timings)])
    if any(t.budget is not None for t in timings):
        total.budget = total.runs[0]
    return total


def load_table(results: list[SizeResult]) -> list[str]:
    lines = [
        "| agreements | triples | embedded | pyoxigraph in memory | remote | rdflib "
        "| rdflib/embedded | remote/embedded |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        loads = result.loads
        lines.append(
            f"| {result.agreements:,} | {result.triples:,} | {seconds_text(loads['embedded'])} "
            f"| {seconds_text(loads['memory'])} "
            f"| {seconds_text(loads['remote'])} ({requests(result.remote_requests)}) "
            f"| {seconds_text(loads['rdflib'])} "
            f"| {ratio(loads['rdflib'], loads['embedded'])} "
            f"| {ratio(loads['remote'], loads['embedded'])} |"
        )
    return lines


def requests(count: int) -> str:
    return "1 request" if count == 1 else f"{count} requests"


def query_table(results: list[SizeResult], queries: list[Query]) -> list[str]:
    lines = [
        "| agreements | query | rows | embedded (udsyn) | pyoxigraph direct | pyoxigraph in memory "
        "| remote | rdflib | rdflib/embedded | remote/embedded | embedded/in memory |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for query in queries:
            timings = result.queries[query.key]
            lines.append(
                query_line(f"{result.agreements:,}", query.key, rows_cell(timings), timings)
            )
        totals = {backend: mix(result, backend) for backend in BACKENDS}
        lines.append(query_line(f"{result.agreements:,}", "**query mix (sum)**", "", totals))
    return lines


def query_line(size: str, key: str, rows: str, timings: dict[str, Timing]) -> str:
    embedded = timings["embedded"]
    cells = " | ".join(timings[backend].cell() for backend in BACKENDS)
    return (
        f"| {size} | {key} | {rows} | {cells} | {ratio(timings['rdflib'], embedded)} "
        f"| {ratio(timings['remote'], embedded)} | {ratio(embedded, timings['memory'])} |"
    )


def overhead_table(results: list[SizeResult], queries: list[Query]) -> list[str]:
    """Fixed per-query costs: udsyn's query check and rdflib's query parsing."""
    overhead = results[-1].overhead
    lines = [
        "| query | udsyn query check (parse, first sight) | rdflib query parse (prepareQuery) |",
        "|---|---:|---:|",
    ]
    for query in queries:
        parts = overhead[query.key]
        lines.append(
            f"| {query.key} | {seconds_text(parts['udsyn-check'])} "
            f"| {seconds_text(parts['rdflib-parse'])} |"
        )
    return lines


def machine() -> list[str]:
    """Where and with what the numbers were measured."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo() if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    binary = subprocess.run([OXIGRAPH, "--version"], capture_output=True, text=True).stdout
    versions = ", ".join(
        f"{package} {metadata.version(package)}"
        for package in ("udsyn", "pyoxigraph", "rdflib", "SPARQLWrapper")
    )
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Measured {now} on {os.cpu_count()} cores ({cpu}), {memory()}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"{versions}; server {binary.strip() or 'oxigraph'}.",
    ]


def cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def memory() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "unknown memory"
    return f"{total / 2**30:.0f} GiB RAM"


def report(results: list[SizeResult], queries: list[Query], plans: dict[str, str]) -> str:
    """The Markdown that goes between the README's markers."""
    lines = [
        *machine(),
        "",
        "**Load** (one run each; seconds from reading the file to the data being committed):",
        "",
        *load_table(results),
        "",
        f"**Queries** (wall-clock median per run, SPARQL JSON answer included; {plans['runs']}):",
        "",
        *query_table(results, queries),
        "",
        "**Fixed per-query costs** (median of 20, independent of the data):",
        "",
        *overhead_table(results, queries),
    ]
    return "\n".join(lines)


def write_readme(table: str, readme: Path = README) -> None:
    """Put the results between this benchmark's markers in the README."""
    write_between(readme, START, END, table + "\n")


# -- entry ------------------------------------------------------------------------------------


def rdflib_plan(agreements: int, base: Plan) -> Plan:
    """rdflib gets the same runs on small graphs and a time budget on large ones."""
    if agreements >= 100_000:
        return Plan(runs=base.runs, run_budget=RDFLIB_RUN_BUDGET, total_budget=45.0)
    return Plan(runs=base.runs, run_budget=RDFLIB_RUN_BUDGET, total_budget=60.0)


def run(files: list[tuple[int, Path, int]], runs: int = 5, readme: Path | None = README) -> str:
    """Benchmark every ``(agreements, file, triples)``; returns (and writes) the report."""
    from generate import middle_agreement

    WORK.mkdir(parents=True, exist_ok=True)
    plan = Plan(runs=runs)
    results = []
    for agreements, path, triples in files:
        queries = analyst_queries(middle_agreement(agreements))
        results.append(
            bench_size(path, agreements, triples, queries, plan, rdflib_plan(agreements, plan))
        )
        gc.collect()
    queries = analyst_queries(middle_agreement(files[-1][0]))
    plans = {
        "runs": f"median of {runs} runs; rdflib at 100,000 agreements: as many of {runs} runs "
        "as fit in 45 s per query, at least one, each stopped after "
        f"{RDFLIB_RUN_BUDGET:g} s"
    }
    table = report(results, queries, plans)
    say("\n" + table)
    if readme is not None:
        write_readme(table, readme)
        say(f"\nwritten to {readme}")
    return table


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/stores.py [SIZES ...]``: generate missing files, then measure."""
    import argparse

    from generate import write

    parser = argparse.ArgumentParser(description="udsyn store benchmarks")
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5, help="query runs per store (median)")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--servers", action="store_true",
                        help="the embedded store, oxigraph serve and Virtuoso instead")  # fmt: skip
    args = parser.parse_args(argv)
    files = []
    for agreements in args.sizes:
        path = WORK / f"agreements-{agreements}.nt"
        triples = write(agreements, path)
        say(f"{path}: {agreements:,} agreements, {triples:,} triples")
        files.append((agreements, path, triples))
    if args.servers:
        run_servers(files, args.runs, None if args.no_readme else README)
    else:
        run(files, args.runs, None if args.no_readme else README)
    return 0


def run_servers(files: list[tuple[int, Path, int]], runs: int, readme: Path | None) -> str:
    """The servers benchmark on every ``(agreements, file, triples)``; returns the report."""
    from generate import middle_agreement

    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for agreements, path, triples in files:
        queries = analyst_queries(middle_agreement(agreements))
        results.append(bench_servers(path, agreements, triples, queries, Plan(runs=runs)))
        gc.collect()
    table = servers_report(results, analyst_queries(middle_agreement(files[-1][0])), runs)
    say("\n" + table)
    if readme is not None:
        write_between(readme, SERVERS_START, SERVERS_END, table + "\n")
        say(f"\nwritten to {readme}")
    return table


if __name__ == "__main__":
    sys.exit(main())
