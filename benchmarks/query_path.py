"""What deciding on a real parse costs: parsers side by side, and the service end to end.

1. **Parse cost** per query, first sight (no cache), for the named-question library, a cheap
   lookup and adversarial inputs: udsyn's analysis on the tree-sitter SPARQL grammar, the
   regex lexer it replaced (read from git history, commit ``4b4bfa6``), and rdflib's
   ``parseQuery`` (pyparsing). Medians of 7 rounds.
2. **Varied lookups over HTTP**: the previous commit's service and this one, each on its own
   store with the strategy loaded, answer the same stream of lookups that differ per request
   (no cache can serve them), one connection, 7 rounds of 500 requests, the services taking
   turns to go first. Requests per second (medians of the rounds), and the median of the
   ratios paired by round.

Run: ``.venv/bin/python benchmarks/query_path.py`` (about 4 minutes on 2 cores). The tables
go to stdout and into ``benchmarks/README.md`` between the query-path markers.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

import httpx
from rdflib.plugins.sparql.parser import parseQuery
from readme import write_between

from udsyn.namespaces import VOCABULARIES
from udsyn.questions import shipped_questions
from udsyn.sparql.grammar import read_query

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
START, END = "<!-- query-path:start -->", "<!-- query-path:end -->"
BASE = "https://w3id.org/udsyn/"
PREVIOUS = "4b4bfa6"  # the last commit with the regex lexer
ROUNDS = 7
REQUESTS = 500


def previous_lexer() -> Callable[[str, str], object]:
    """The regex lexer's ``inspect`` from git history, without its cache."""
    source = subprocess.run(
        ["git", "show", f"{PREVIOUS}:service/udsyn/sparql.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    module = types.ModuleType("previous_sparql")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "previous_sparql.py", "exec"), module.__dict__)
    return module.inspect.__wrapped__


def median_time(work: Callable[[], object], repeat: int) -> float:
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(repeat):
            with contextlib.suppress(Exception):  # a refusal's cost is measured too
                work()
        rounds.append((time.perf_counter() - started) / repeat)
    return statistics.median(rounds)


def parse_table() -> list[str]:
    lexer = previous_lexer()
    questions = [question.text for question in shipped_questions()]
    cases = {
        "question library (30 queries, mean)": (questions, 3),
        "cheap lookup": (["SELECT ?p ?o WHERE { <https://w3id.org/udsyn/id/region/brasov> ?p ?o }"],
                         200),
        "`'\\` x 20,000 (40 KB, refused)": (["'\\" * 20_000], 1),
        "10,000 nested `{ }` (refused)": (["SELECT * WHERE " + "{" * 10_000 + "}" * 10_000], 1),
        "1 MB string literal": ([f'ASK {{ FILTER("{"a" * 1_000_000}" = "") }}'], 1),
    }  # fmt: skip
    parsers = {
        "udsyn (tree-sitter grammar)": lambda text: read_query(text, BASE, dict(VOCABULARIES)),
        "previous regex lexer": lambda text: lexer(text, BASE),
        "rdflib parseQuery": parseQuery,
    }
    lines = ["| input | " + " | ".join(parsers) + " |", "|---" * (len(parsers) + 1) + "|"]
    for label, (texts, repeat) in cases.items():
        cells = []
        for parse in parsers.values():
            seconds = statistics.mean(
                median_time(lambda t=text, p=parse: p(t), repeat) for text in texts
            )
            cells.append(f"{seconds * 1e3:.3f} ms")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def start(code: Path, store: Path, port: int) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(code), "UDSYN_STORE": str(store),
                   "UDSYN_PORT": str(port), "UDSYN_QUERY_WORKERS": "2"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "udsyn", "serve"], env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the service from {code} did not start")


def lookups_per_second(port: int, offset: int) -> float:
    subjects = ["region/brasov", "region/shanghai", "region/lower-silesia", "city/viborg"]
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        for number in range(REQUESTS):
            iri = f"{BASE}id/{subjects[number % len(subjects)]}"
            query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT {offset + number + 1000}"
            answer = client.get(f"http://127.0.0.1:{port}/sparql", params={"query": query})
            assert answer.status_code == 200, answer.text
        return REQUESTS / (time.perf_counter() - started)


def http_table() -> list[str]:
    with tempfile.TemporaryDirectory() as work:
        previous = Path(work) / "previous"
        subprocess.run(["git", "worktree", "add", "--detach", str(previous), PREVIOUS],
                       cwd=ROOT, capture_output=True, check=True)  # fmt: skip
        try:
            services = {
                "previous (regex lexer)": start(previous / "service", Path(work) / "a", 18761),
                "udsyn (grammar in the workers)": start(ROOT / "service", Path(work) / "b", 18762),
            }
            ports = dict(zip(services, (18761, 18762), strict=True))
            rates: dict[str, list[float]] = {name: [] for name in services}
            for round_number in range(ROUNDS):
                order = list(services)[:: 1 if round_number % 2 == 0 else -1]
                for name in order:  # alternating who goes first, on texts no cache has seen
                    rates[name].append(lookups_per_second(ports[name], round_number * 10_000))
        finally:
            for process in services.values():
                process.terminate()
                process.wait(timeout=20)
            subprocess.run(["git", "worktree", "remove", "--force", str(previous)], cwd=ROOT,
                           capture_output=True)  # fmt: skip
    names = list(rates)
    ratios = [ours / theirs for theirs, ours in zip(rates[names[0]], rates[names[1]], strict=True)]
    lines = [f"| service | varied lookups/s (1 connection, median of {ROUNDS} rounds) |",
             "|---|---|"]  # fmt: skip
    lines += [f"| {name} | {statistics.median(rates[name]):.0f} |" for name in names]
    low, high = min(ratios), max(ratios)
    lines += ["", f"Ratio, paired by round: {statistics.median(ratios):.2f}x "
                  f"(rounds from {low:.2f}x to {high:.2f}x)."]  # fmt: skip
    return lines


def main() -> None:
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores.", "",
             "Parse cost per query (first sight, no cache; median of 7 rounds):", "",
             *parse_table(), "", "The service end to end:", "", *http_table()]  # fmt: skip
    text = "\n".join(lines)
    print(text)
    write_between(README, START, END, text)


if __name__ == "__main__":
    main()
