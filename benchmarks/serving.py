"""The served store against pyoxigraph in memory: the store benchmark's query mix through
``udsyn serve``, from its copy in memory and from disk, beside pyoxigraph's in-memory store.

For each size, the generated agreements (``generate.py``) go into an on-disk store folder with
pyoxigraph's ``bulk_load`` (one named graph, flushed and compacted, as ``udsyn load`` leaves
it). Then, one after another:

* **pyoxigraph in memory**: the same file in ``pyoxigraph.Store()``, each query run and its
  solutions written as SPARQL JSON, in this process (the reference);
* **udsyn serve, from memory** (``UDSYN_SERVE_FROM=memory``, the default) and **from disk**
  (``UDSYN_SERVE_FROM=disk``): the service started on the folder, each query sent to
  ``/sparql`` by POST, SPARQL JSON back (the whole served path: HTTP, the worker, the query
  check, the row limit, serialisation).

Every query runs ``--runs`` times per store (medians); the mix's time is the sum of the
medians. The services' start-up time (until ``/health`` answers) and their memory (the
service, the store's host and each worker: resident and proportional set sizes from
``/proc/PID/smaps_rollup``; PSS shares the copy's pages among the processes that map them)
are read too. Results go to stdout and into ``benchmarks/README.md`` between
``<!-- serving:start -->`` and ``<!-- serving:end -->``::

    .venv/bin/python benchmarks/serving.py              # 10,000 and 100,000 agreements
    .venv/bin/python benchmarks/serving.py 10000 --runs 3 --no-readme
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from generate import middle_agreement
from readme import write_between
from stores import analyst_queries

from service import descendants

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
README = HERE / "README.md"
START, END = "<!-- serving:start -->", "<!-- serving:end -->"
UDSYN = Path(sys.executable).parent / "udsyn"
GRAPH = ox.NamedNode("https://w3id.org/udsyn/graph/synthetic")
SERVE_FROM = ("memory", "disk")


@dataclass
class Served:
    """One store's figures: query medians (seconds), and for a service its start and memory."""

    medians: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    start_seconds: float | None = None
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)  # name: (RSS, PSS) MB

    @property
    def mix(self) -> float:
        return sum(self.medians.values())


def medians(
    run: Callable[[str], bytes], size: int, runs: int
) -> tuple[dict[str, float], dict[str, int]]:
    """Each query of the mix ``runs`` times, in turn; the median seconds and the row count."""
    queries = analyst_queries(middle_agreement(size))
    times: dict[str, list[float]] = {query.key: [] for query in queries}
    rows: dict[str, int] = {}
    for _ in range(runs):
        for query in queries:
            started = time.perf_counter()
            answer = run(query.text)
            times[query.key].append(time.perf_counter() - started)
            rows[query.key] = len(json.loads(answer)["results"]["bindings"])
    return {key: statistics.median(values) for key, values in times.items()}, rows


def in_memory(source: Path, size: int, runs: int) -> Served:
    store = ox.Store()
    store.bulk_load(path=source, format=ox.RdfFormat.N_TRIPLES, to_graph=GRAPH)

    def run(text: str) -> bytes:
        result = store.query(text, use_default_graph_as_union=True)
        return result.serialize(format=ox.QueryResultsFormat.JSON)

    served = Served()
    served.medians, served.rows = medians(run, size, runs)
    return served


def store_folder(source: Path) -> Path:
    """The on-disk store for ``source``, made once."""
    folder = WORK / f"serving-{source.stem}"
    if not (folder / "CURRENT").exists():
        shutil.rmtree(folder, ignore_errors=True)
        store = ox.Store(str(folder))
        store.bulk_load(path=source, format=ox.RdfFormat.N_TRIPLES, to_graph=GRAPH)
        store.flush()
        store.optimize()
        del store
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def service(folder: Path, serve_from: str) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """``udsyn serve`` on the folder; its URL, process and seconds until /health answered."""
    port = free_port()
    environment = {**os.environ, "UDSYN_STORE": str(folder), "UDSYN_SERVE_FROM": serve_from,
                   "UDSYN_QUERY_TIMEOUT": "600", "UDSYN_ANSWER_CACHE_MB": "0"}  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(UDSYN), "serve", "--port", str(port)], env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"udsyn serve stopped (exit {process.returncode})")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=600).read()
                break
            except OSError:
                time.sleep(0.2)
        yield url, process, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)


def ask(url: str, text: str) -> bytes:
    request = urllib.request.Request(
        f"{url}/sparql", data=text.encode(), method="POST",
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=900) as answer:
        return answer.read()


def process_name(pid: int) -> str:
    """What ``ps -o comm`` shows: ``udsyn``, ``udsyn-host``, ``udsyn-query`` ..."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def memory_of(pid: int) -> tuple[float, float]:
    """Resident and proportional set size in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        values[key] = int(rest.split()[0]) / 1024
    return values.get("Rss", 0.0), values.get("Pss", 0.0)


def served(folder: Path, serve_from: str, size: int, runs: int) -> Served:
    with service(folder, serve_from) as (url, process, seconds):
        figures = Served(start_seconds=seconds)
        figures.medians, figures.rows = medians(lambda text: ask(url, text), size, runs)
        counts: dict[str, int] = {}
        for pid in sorted([process.pid, *descendants(process.pid)]):
            name = process_name(pid)
            if name.startswith("udsyn"):
                counts[name] = counts.get(name, 0) + 1
                label = name if name != "udsyn-query" else f"udsyn-query {counts[name]}"
                figures.memory[label] = memory_of(pid)
        return figures


def table(size: int, results: dict[str, Served]) -> list[str]:
    reference = results["pyoxigraph in memory"]
    keys = list(reference.medians)
    lines = [
        f"### {size:,} agreements",
        "",
        "| store | " + " | ".join(keys) + " | mix | ÷ in memory | start |",
        "|---|" + "---:|" * (len(keys) + 3),
    ]
    for name, figures in results.items():
        cells = [f"{figures.medians[key] * 1000:,.0f} ms" for key in keys]
        start = f"{figures.start_seconds:.1f} s" if figures.start_seconds is not None else ""
        lines.append(
            f"| {name} | " + " | ".join(cells)
            + f" | {figures.mix:.2f} s | {figures.mix / reference.mix:.2f}x | {start} |"
        )  # fmt: skip
    lines += ["", "Rows: " + ", ".join(f"{key} {reference.rows[key]:,}" for key in keys), ""]
    for name, figures in results.items():
        if figures.memory:
            total = sum(pss for _rss, pss in figures.memory.values())
            parts = ", ".join(
                f"{label} {rss:,.0f}/{pss:,.0f}" for label, (rss, pss) in figures.memory.items()
            )
            lines.append(f"- {name}, memory in MB (RSS/PSS): {parts}; PSS in all {total:,.0f}")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args(argv)
    sections = [f"Measured {datetime.date.today()} on {os.cpu_count()} cores, "
                f"{options.runs} runs of each query (medians).", ""]  # fmt: skip
    for size in options.sizes:
        source = WORK / f"agreements-{size}.nt"
        if not source.exists():
            subprocess.run([sys.executable, str(HERE / "generate.py"), "--agreements",
                            str(size), "--out", str(source)], check=True)  # fmt: skip
        folder = store_folder(source)
        results = {"pyoxigraph in memory": in_memory(source, size, options.runs)}
        for serve_from in SERVE_FROM:
            results[f"udsyn serve, from {serve_from}"] = served(
                folder, serve_from, size, options.runs
            )
        for name, figures in results.items():
            if figures.rows != results["pyoxigraph in memory"].rows:
                raise SystemExit(f"{name} answered different row counts: {figures.rows}")
        section = table(size, results)
        print("\n".join(section), flush=True)
        sections += section
    if not options.no_readme:
        write_between(README, START, END, "\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
