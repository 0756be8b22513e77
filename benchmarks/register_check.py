"""Checking 1,000 new register records against a store of 10,000 and 100,000 agreements.

Side by side, in one run, on the same store and the same register:

* **udsyn check** (``check_registers``): the incremental check, which validates the records,
  the resources they refer to and the agreements with the same partners; run with each SHACL
  engine: pyshacl-turbo (udsyn's choice), pySHACL and pyrudof;
* **whole graph**: the same shapes over the records and every triple of the store
  (``check_whole_graph``), with each engine: what a check without udsyn's incremental
  context costs.

Every run's findings about the records are compared with the incremental pySHACL run's (a
difference is flagged ``MISMATCH``). Wall-clock medians; results go to stdout and into
``benchmarks/README.md`` between markers::

    .venv/bin/python benchmarks/register_check.py            # 10,000 and 100,000 agreements
    .venv/bin/python benchmarks/register_check.py 10000 --no-readme
"""

from __future__ import annotations

import argparse
import datetime
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import generate
import pyoxigraph as ox
from readme import write_between

from udsyn.loading import Source, read_all, shipped_sources
from udsyn.registers import check_registers, check_whole_graph
from udsyn.registers.check import (
    check_node,
    context_triples,
    read_batch,
    register_shapes_files,
)
from udsyn.registers.mapping import KnownTerms
from udsyn.store import EmbeddedStore

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
README = HERE / "README.md"
START, END = "<!-- register-check:start -->", "<!-- register-check:end -->"
BASE = generate.BASE
AS_OF = datetime.date(2026, 11, 30)
RECORDS = 1_000
KINDS = ("cooperation agreement", "memorandum of understanding", "project partnership")
STATUSES = ("active", "planned", "ended", "suspended")


def store_of(agreements: int) -> EmbeddedStore:
    """An on-disk store with the shipped graph and the generated agreements (built once)."""
    folder = WORK / f"register-store-{agreements}"
    if not folder.exists():
        data = WORK / f"agreements-{agreements}.nt"
        if not data.exists():
            generate.write(agreements, data)
        store = EmbeddedStore(BASE, str(folder))
        store.add_all(read_all(shipped_sources(), BASE))
        store.add_all(read_all([Source(data)], BASE))
        store.close()
    return EmbeddedStore(BASE, str(folder), read_only=True)


def register_of(store: EmbeddedStore, agreements: int) -> Path:
    """1,000 new records with known partners, a few faults of each kind among them."""
    path = WORK / f"register-{agreements}.csv"
    labels = store.select(
        'SELECT ?label WHERE { ?r a uds:Region ; rdfs:label ?label FILTER(LANG(?label) = "en") }'
    )
    regions = sorted(row["label"].value for row in labels)
    rng = random.Random(2007)
    lines = ["id,partner,partner_country,kind,status,decision_date,start_date,end_date"]
    for number in range(RECORDS):
        partner = rng.choice(regions)
        if number % 50 == 7:
            partner = partner[:-1] + "x"  # a near miss
        start = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
        end = start + datetime.timedelta(days=rng.randrange(-100, 3000))
        status = rng.choice(STATUSES)
        kind = rng.choice(KINDS) if number % 40 else "friendship treaty"
        decision = start - datetime.timedelta(days=rng.randrange(-20, 200))
        lines.append(
            ",".join(
                [
                    f"BM-{number:05d}",
                    partner,
                    rng.choice(("PL", "HU", "RO", "CN", "XX")),
                    kind,
                    status,
                    decision.isoformat(),
                    start.isoformat(),
                    end.isoformat() if number % 3 else "",
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(run: Callable[[], object], rounds: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of the runs, and the last run's result.

    CPU time is this process's own: what the check costs, whatever else the machine does.
    """
    walls, cpus, result = [], [], None
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def rudof_count(store: EmbeddedStore, register: Path, whole: bool) -> int:
    """How many results pyrudof reports about the records (it has no pySHACL API)."""
    import pyrudof

    known = KnownTerms.from_store(store)
    batch, _ = read_batch([register], known)
    context = list(store.triples()) if whole else list(context_triples(store, batch))
    data = ox.serialize(
        [*batch.triples, *check_node(batch, AS_OF), *context], format=ox.RdfFormat.N_TRIPLES
    )
    shapes = ox.serialize(
        [
            quad.triple
            for quad in read_all([Source(path) for path in register_shapes_files()], BASE)
        ],
        format=ox.RdfFormat.N_TRIPLES,
    )
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.decode(), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(shapes.decode(), format=pyrudof.ShaclFormat.NTriples)
    report = rudof.validate_shacl()
    nodes = set(batch.places)
    return sum(1 for entry in report.violations if entry.focus_node.strip("<>") in nodes)


def measure(agreements: int, rounds: int) -> list[tuple[str, float, float, int, str]]:
    store = store_of(agreements)
    register = register_of(store, agreements)
    rows: list[tuple[str, float, float, int, str]] = []
    reference = None
    runs: list[tuple[str, Callable[[], object], int]] = [
        (
            "udsyn check, pySHACL (reference)",
            lambda: check_registers([register], store, as_of=AS_OF, engine="pyshacl"),
            rounds,
        ),
        (
            "udsyn check, pyshacl-turbo (udsyn's engine)",
            lambda: check_registers([register], store, as_of=AS_OF, engine="pyshacl-turbo"),
            rounds,
        ),
        ("udsyn check, pyrudof", lambda: rudof_count(store, register, whole=False), rounds),
        (
            "whole graph, pySHACL",
            lambda: check_whole_graph([register], store, as_of=AS_OF, engine="pyshacl"),
            1,
        ),
        (
            "whole graph, pyshacl-turbo",
            lambda: check_whole_graph([register], store, as_of=AS_OF, engine="pyshacl-turbo"),
            1,
        ),
        ("whole graph, pyrudof", lambda: rudof_count(store, register, whole=True), 1),
    ]
    for name, run, times in runs:
        seconds, cpu, result = timed(run, times)
        if isinstance(result, int):
            count, same = result, "" if reference is None else _same_count(result, reference)
        else:
            count = len(result.findings)
            reference = reference or result
            same = "" if result.findings == reference.findings else "MISMATCH"
        rows.append((name, seconds, cpu, count, same))
        print(
            f"{agreements:>7} {name:<46} {seconds:8.2f} s {cpu:8.2f} s CPU {count:6} {same}",
            flush=True,
        )
    store.close()
    return rows


def _same_count(count: int, reference: object) -> str:
    shacl = [f for f in reference.findings if not f.rule.startswith(_PYTHON_RULES)]
    return "" if count == len(shacl) else f"MISMATCH ({len(shacl)} expected)"


# Findings made in Python (cell formats, names), which no SHACL engine reports.
_PYTHON_RULES = (
    "udsh:CellFormat",
    "udsh:PartnerNearMatch",
    "udsh:NewPartner",
    "udsh:RegisterColumns",
)


def table(results: dict[int, list[tuple[str, float, float, int, str]]]) -> str:
    lines = [
        "| agreements | run | seconds | CPU seconds | findings | CPU vs. udsyn check |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for agreements, rows in results.items():
        ours = rows[1][2]
        for name, seconds, cpu, count, same in rows:
            ratio = f"{cpu / ours:.1f}x" if name != rows[1][0] else "1x"
            note = f" {same}" if same else ""
            cells = [f"{agreements:,}", name, f"{seconds:.2f}", f"{cpu:.2f}", f"{count:,}{note}"]
            lines.append("| " + " | ".join([*cells, ratio]) + " |")
    return "\n".join(lines) + "\n"


def environment() -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("pyshacl", "pyshacl-turbo", "pyrudof", "pyoxigraph", "rdflib")
    )
    return (
        f"Run {datetime.date.today().isoformat()} on {platform.machine()}, "
        f"Python {platform.python_version()}; {versions}.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true")
    options = parser.parse_args(argv)
    WORK.mkdir(exist_ok=True)
    results = {size: measure(size, options.rounds) for size in options.sizes}
    body = environment() + "\n" + table(results)
    print(body)
    if not options.no_readme:
        write_between(README, START, END, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
