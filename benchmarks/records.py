"""Accepting partnership records while analysts query: a real ``udsyn serve`` on a store of
100,000 agreements (the register-check benchmark's store, copied).

1. **Accepting a batch**: 1,000-record registers posted to ``/records`` one after another,
   end to end over HTTP (check, storing, audit), median and worst of the batches.
2. **Lookups while writing**: a cheap ``/sparql`` lookup (one agreement's statements, a
   different agreement each request, so no cache can answer) sent back to back for a fixed
   time, once with no writes and once while batches are being accepted; p50 and p99.

Results go to stdout and into ``benchmarks/README.md`` between markers::

    .venv/bin/python benchmarks/records.py          # about 3 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from readme import write_between

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
README = HERE / "README.md"
START, END = "<!-- records-benchmark:start -->", "<!-- records-benchmark:end -->"
TOKEN = "benchmark-token"
AGREEMENTS = 100_000
RECORDS = 1_000
ID = "https://w3id.org/udsyn/id/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(store: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "UDSYN_STORE": str(store),
        "UDSYN_PORT": str(port),
        "UDSYN_WRITE_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "udsyn", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/health", timeout=5).read()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the service did not start")


def register(number: int) -> bytes:
    """1,000 new records of new partners: planned project partnerships."""
    lines = ["id,partner,partner_country,kind,status"]
    lines += [
        f"B{number:03d}-{n:04d},Benchmark partner {number}-{n},NO,project partnership,planned"
        for n in range(RECORDS)
    ]
    return ("\n".join(lines) + "\n").encode()


def accept(url: str, number: int) -> float:
    request = urllib.request.Request(
        f"{url}/records?name=batch-{number}.csv",
        data=register(number),
        method="POST",
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {TOKEN}"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        assert response.status == 201, response.status
    return time.perf_counter() - started


def lookups(url: str, seconds: float, offset: int) -> list[float]:
    """Latencies of back-to-back lookups of different agreements for ``seconds``."""
    times: list[float] = []
    deadline = time.monotonic() + seconds
    number = offset
    while time.monotonic() < deadline:
        query = f"SELECT ?p ?o WHERE {{ <{ID}agreement/a{number % AGREEMENTS:06d}> ?p ?o }}"
        address = f"{url}/sparql?" + urllib.parse.urlencode({"query": query})
        started = time.perf_counter()
        urllib.request.urlopen(address, timeout=60).read()
        times.append(time.perf_counter() - started)
        number += 7919
    return times


def lookups_until(url: str, writer: threading.Thread, offset: int) -> list[float]:
    """Lookup latencies for as long as the writer thread runs."""
    times: list[float] = []
    while writer.is_alive():
        times += lookups(url, 0.5, offset + len(times))
    writer.join()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args(argv)
    source = WORK / f"register-store-{AGREEMENTS}"
    if not source.exists():
        raise SystemExit(f"run benchmarks/register_check.py first: it builds {source}")
    store = WORK / "records-store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(source, store)
    process, url = start(store)
    try:
        quiet = lookups(url, options.seconds, 0)
        batch_times: list[float] = []
        writer = threading.Thread(
            target=lambda: batch_times.extend(accept(url, n) for n in range(options.batches))
        )
        writer.start()
        busy = lookups_until(url, writer, offset=1)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(store, ignore_errors=True)
    rows = [
        "| measure | value |",
        "|---|---:|",
        f"| batches of {RECORDS:,} records accepted (end to end over HTTP) | {len(batch_times)} |",
        f"| accepting a batch, median | {statistics.median(batch_times):.2f} s |",
        f"| accepting a batch, slowest | {max(batch_times):.2f} s |",
        f"| lookups with no writes: count, p50, p99 | {len(quiet):,}, "
        f"{percentile(quiet, 0.5) * 1000:.1f} ms, {percentile(quiet, 0.99) * 1000:.1f} ms |",
        f"| lookups while batches are accepted: count, p50, p99 | {len(busy):,}, "
        f"{percentile(busy, 0.5) * 1000:.1f} ms, {percentile(busy, 0.99) * 1000:.1f} ms |",
        f"| p99 while writing / p99 with no writes | "
        f"{percentile(busy, 0.99) / percentile(quiet, 0.99):.1f}x |",
    ]
    body = (
        f"Run {datetime.date.today().isoformat()} on {platform.machine()}, Python "
        f"{platform.python_version()}: a store of {AGREEMENTS:,} agreements, one client "
        f"sending lookups back to back ({options.seconds:g} s with no writes).\n\n"
        + "\n".join(rows)
        + "\n"
    )
    print(body)
    if not options.no_readme:
        write_between(README, START, END, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
