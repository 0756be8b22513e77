"""The ``udsyn`` command, run as a user runs it: in a subprocess, exit codes included."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from udsyn import __version__
from udsyn.config import _ENVIRONMENT, _FILE_KEYS, _REMOTE_ENVIRONMENT
from udsyn.questions import shipped_questions

from .conftest import Listener, OxigraphServer, RunningService, free_port
from .support import one_error_line, udsyn

EX = "http://example.org/"
PARTNERS = f"""@prefix ex: <{EX}> .
@prefix region: <id/region/> .
region:brasov ex:label "Brasov Amt"@da , "Brașov County"@en ; ex:country ex:romania .
region:shanghai ex:label "Shanghai"@en ; ex:country ex:china .
"""
COMMANDS = ["serve", "load", "query", "ask", "questions", "validate", "export", "status"]


@pytest.fixture
def store_with_partners(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    (tmp_path / "partners.ttl").write_text(PARTNERS, encoding="utf-8")
    done = udsyn("--store", str(store), "load", str(tmp_path / "partners.ttl"))
    assert done.returncode == 0, done.stderr
    assert "loaded 5 quads from 1 files" in done.stdout
    return store


def test_every_command_has_help_with_an_example() -> None:
    overview = udsyn("--help")
    assert overview.returncode == 0
    for command in COMMANDS:
        assert command in overview.stdout
        help_text = udsyn(command, "--help")
        assert help_text.returncode == 0, command
        assert "Example" in help_text.stdout, command


def test_query_prints_a_table(store_with_partners: Path) -> None:
    done = udsyn("--store", str(store_with_partners), "query",
                 f"SELECT ?r WHERE {{ ?r <{EX}country> <{EX}china> }}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "<id/region/shanghai>" in done.stdout
    assert "1 rows" in done.stderr


@pytest.mark.parametrize(
    "output, check",
    [
        ("csv", lambda text: text.splitlines() == ["r", "https://w3id.org/udsyn/id/region/brasov"]),
        ("tsv", lambda text: text.splitlines()[1] == "<https://w3id.org/udsyn/id/region/brasov>"),
        ("json", lambda text: json.loads(text)["results"]["bindings"][0]["r"]["value"]
         == "https://w3id.org/udsyn/id/region/brasov"),
    ],
)  # fmt: skip
def test_query_output_formats(store_with_partners: Path, output: str, check) -> None:
    done = udsyn("--store", str(store_with_partners), "query", "--format", output,
                 f"SELECT ?r WHERE {{ ?r <{EX}country> <{EX}romania> }}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert check(done.stdout)


def test_construct_defaults_to_turtle(store_with_partners: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text(f"CONSTRUCT WHERE {{ ?r <{EX}country> ?c }}", encoding="utf-8")
    done = udsyn("--store", str(store_with_partners), "query", "--file", str(query_file))
    assert done.returncode == 0, done.stderr
    triples = list(ox.parse(done.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert len(triples) == 2


def test_a_bad_file_exits_2_with_file_line_and_column(
    store_with_partners: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(f'<{EX}a> <{EX}p> "x" .\n<{EX}b> <{EX}p> .\n', encoding="utf-8")
    done = udsyn("--store", str(store_with_partners), "load", str(bad))
    assert done.returncode == 2
    assert f"{bad}:2:" in done.stderr
    assert "Traceback" not in done.stderr
    count = udsyn("--store", str(store_with_partners), "query", "--format", "csv",
                  "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")  # fmt: skip
    assert count.stdout.splitlines()[1] == "5"


def test_a_malformed_query_exits_2(store_with_partners: Path) -> None:
    done = udsyn("--store", str(store_with_partners), "query", "SELECT * WHERE { ?s }")
    assert done.returncode == 2
    assert "malformed query" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2() -> None:
    assert udsyn("query").returncode == 2
    assert udsyn("no-such-command").returncode == 2
    assert udsyn("export", "--format", "yaml").returncode == 2


def test_export_round_trips(store_with_partners: Path, tmp_path: Path) -> None:
    formats = {
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "turtle": ox.RdfFormat.TURTLE,
        "jsonld": ox.RdfFormat.JSON_LD,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "trig": ox.RdfFormat.TRIG,
        "nquads": ox.RdfFormat.N_QUADS,
    }
    for name, rdf_format in formats.items():
        target = tmp_path / f"export.{name}"
        done = udsyn("--store", str(store_with_partners), "export", "--format", name,
                     "--output", str(target))  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len(list(ox.parse(target.read_bytes(), format=rdf_format))) == 5, name


def test_an_unknown_question_lists_the_close_ones(tmp_path: Path) -> None:
    done = udsyn("--store", str(tmp_path / "s"), "ask", "partner")
    assert done.returncode == 2
    assert "no question named 'partner'" in done.stderr
    assert "did you mean" in done.stderr


def test_ask_runs_a_named_question_on_the_shipped_graph(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert udsyn("--store", store, "load", "--shipped").returncode == 0
    listing = udsyn("--store", store, "questions")
    assert listing.returncode == 0
    rows = list(csv.reader(io.StringIO(listing.stdout)))
    assert rows[0] == ["name", "title", "parameters"]
    assert [row[0] for row in rows[1:]] == [q.name for q in shipped_questions()]
    first = rows[1][0]
    done = udsyn("--store", store, "ask", first, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "results" in json.loads(done.stdout) or "boolean" in json.loads(done.stdout)


def test_a_bad_parameter_value_names_the_parameter(tmp_path: Path) -> None:
    question = next(
        (q for q in shipped_questions() if any(p.type == "iri" for p in q.parameters)), None
    )
    if question is None:
        pytest.fail("the question library has no question with an IRI parameter")
    parameter = next(p for p in question.parameters if p.type == "iri")
    done = udsyn("--store", str(tmp_path / "s"), "ask", question.name,
                 "--param", f"{parameter.name}=not an iri")  # fmt: skip
    assert done.returncode == 2
    assert f"parameter {parameter.name!r}" in done.stderr


def test_the_cli_works_on_a_remote_server(oxigraph_server: OxigraphServer, tmp_path: Path) -> None:
    oxigraph_server.clear()
    (tmp_path / "partners.ttl").write_text(PARTNERS, encoding="utf-8")
    remote = ["--endpoint", f"{oxigraph_server.url}/query",
              "--update-endpoint", f"{oxigraph_server.url}/update"]  # fmt: skip
    loaded = udsyn(*remote, "load", str(tmp_path / "partners.ttl"))
    assert loaded.returncode == 0, loaded.stderr
    assert "SPARQL server at" in loaded.stdout
    done = udsyn(*remote, "query", "--format", "csv",
                 f"SELECT ?r WHERE {{ ?r <{EX}country> <{EX}china> }}")  # fmt: skip
    assert done.stdout.splitlines() == ["r", "https://w3id.org/udsyn/id/region/shanghai"]


def test_a_server_that_is_down_exits_2_with_a_clear_message() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    done = udsyn("--endpoint", url, "query", "ASK {}")
    assert done.returncode == 2
    assert f"cannot reach the SPARQL server at {url}" in done.stderr
    assert "Traceback" not in done.stderr


# -- what a new analyst tripped over (issue 8) -----------------------------------------------

UNKNOWN_PREFIX = "unknown prefix `foo:` at line 2, column 6; declare it with PREFIX foo: <…>"
TYPE_LABEL = re.compile(r"<(bool|str|int|float|path|text|list\[[^\]]*\])>", re.IGNORECASE)


@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("shipped") / "store"
    done = udsyn("--store", str(store), "load", "--shipped")
    assert done.returncode == 0, done.stderr
    return store


# Each command with bad input: (arguments, what the one line must say). In the arguments,
# {store} is a store holding the shipped graph, {none} a folder with no store, {dir} a
# folder, {missing} a path that does not exist, {broken} a Turtle file that does not parse,
# {query} a query file, and {busy} a port something else listens on.
BAD_INPUT = {
    "unknown option": (["--no-such-option"], "No such option"),
    "unknown command": (["no-such-command"], "No such command"),
    "bad setting": (["--store", "{store}", "status", "UDSYN_PORT=eighty"], "UDSYN_PORT"),
    "load nothing": (["--store", "{none}", "load"], "udsyn load: "),
    "load a missing file": (["--store", "{none}", "load", "{missing}.ttl"], "{missing}.ttl"),
    "load a broken file": (["--store", "{none}", "load", "{broken}"], "{broken}:2:"),
    "query nothing": (["--store", "{store}", "query"], "give the query inline or with --file"),
    "query twice": (["--store", "{store}", "query", "ASK {}", "-f", "{query}"], "not both"),
    "query a missing file": (["--store", "{store}", "query", "-f", "{missing}.rq"],
                             "{missing}.rq' does not exist"),
    "query a folder": (["--store", "{store}", "query", "-f", "{dir}"], "is a directory"),
    "malformed query": (["--store", "{store}", "query", "SELECT ?s WHERE { ?s ?p }"],
                        "malformed query: error at 1:"),
    "unknown prefix": (["--store", "{store}", "query", "SELECT * WHERE {\n  ?s foo:x ?o }"],
                       UNKNOWN_PREFIX),
    "unknown format": (["--store", "{store}", "query", "--format", "xlsx", "ASK {}"],
                       "choose one of table, json"),
    "SELECT as Turtle": (["--store", "{store}", "query", "--format", "turtle",
                          "SELECT * WHERE { ?s ?p ?o }"], "a SELECT query answers as table"),
    "query no store": (["--store", "{none}", "query", "ASK {}"], "there is no store at"),
    "ask an unknown question": (["--store", "{store}", "ask", "partner"], "did you mean"),
    "ask without a value": (["--store", "{store}", "ask", "focus-areas", "-p", "lang"],
                            "--param takes key=value"),
    "ask an unknown parameter": (["--store", "{store}", "ask", "focus-areas", "-p", "hue=red"],
                                 "parameter 'hue'"),
    "ask a malformed language": (["--store", "{store}", "ask", "focus-areas", "-p", "lang=xx-1"],
                                 "the graph holds text in da, en"),
    "ask a format": (["--store", "{store}", "ask", "focus-areas", "--format", "nope"],
                     "choose one of table, json, xml, csv, tsv"),
    "questions with an argument": (["questions", "extra"], "udsyn questions: "),
    "validate a missing file": (["validate", "{missing}.ttl"], "{missing}.ttl"),
    "validate a format": (["validate", "--format", "yaml", "{broken}"], "text or json"),
    "validate no store": (["--store", "{none}", "validate"], "there is no store at"),
    "export a format": (["--store", "{store}", "export", "--format", "yaml"],
                        "unknown format 'yaml'"),
    "export into nowhere": (["--store", "{store}", "export", "-o", "{missing}/x.ttl"],
                            "cannot write {missing}/x.ttl"),
    "status of no store": (["--store", "{none}", "status"], "there is no store at"),
    "check a missing register": (["--store", "{store}", "check", "{missing}.csv"],
                                 "{missing}.csv"),
    "serve a busy port": (["--store", "{none}", "serve", "--port", "{busy}"],
                          "cannot listen on 127.0.0.1:{busy}"),
    "serve no port": (["--store", "{none}", "serve", "--port", "70000"],
                      "cannot listen on 127.0.0.1:70000"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_one_line_and_exit_code_2(
    case: str, shipped_store: Path, tmp_path: Path, listener: Listener
) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(f'<{EX}a> <{EX}p> "x" .\n<{EX}b> <{EX}p> .\n', encoding="utf-8")
    query = tmp_path / "q.rq"
    query.write_text("ASK {}", encoding="utf-8")
    places = {
        "store": str(shipped_store), "none": str(tmp_path / "none"), "dir": str(tmp_path),
        "missing": str(tmp_path / "missing"), "broken": str(broken), "query": str(query),
        "busy": str(listener.port),
    }  # fmt: skip
    arguments, expected = BAD_INPUT[case]
    filled = [fill(argument, places) for argument in arguments]
    settings = dict(a.split("=", 1) for a in filled if a.startswith("UDSYN_"))
    done = udsyn(*(a for a in filled if not a.startswith("UDSYN_")), **settings)
    assert done.returncode == 2, done.stderr
    assert fill(expected, places) in one_error_line(done)
    assert done.stdout == ""
    if case.startswith("serve"):  # refused before the shipped graph is loaded
        assert not (tmp_path / "none").exists()


def fill(text: str, places: dict[str, str]) -> str:
    for name, value in places.items():
        text = text.replace("{" + name + "}", value)
    return text


def test_version_alone_prints_the_version() -> None:
    done = udsyn("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"udsyn {__version__}"


def test_a_syntax_error_points_where_the_analyst_wrote_it(
    shipped_store: Path, service: RunningService, oxigraph_server: OxigraphServer
) -> None:
    text = "SELECT ?s\nWHERE { ?s ?p }"
    local = one_error_line(udsyn("--store", str(shipped_store), "query", text))
    remote = one_error_line(udsyn("--endpoint", f"{oxigraph_server.url}/query", "query", text))
    over_http = httpx.get(f"{service.url}/sparql", params={"query": text}, timeout=30)
    assert over_http.status_code == 400
    assert "error at 2:" in local
    assert local == remote == f"error: {over_http.text.strip()}"


def test_an_unknown_prefix_is_one_line_on_the_cli_and_over_http(
    shipped_store: Path, service: RunningService, oxigraph_server: OxigraphServer
) -> None:
    text = "SELECT * WHERE {\n  ?s foo:x ?o }"
    local = one_error_line(udsyn("--store", str(shipped_store), "query", text))
    remote = one_error_line(udsyn("--endpoint", f"{oxigraph_server.url}/query", "query", text))
    over_http = httpx.get(f"{service.url}/sparql", params={"query": text}, timeout=30)
    assert over_http.status_code == 400
    assert over_http.text == UNKNOWN_PREFIX + "\n"
    assert local == remote == f"error: {UNKNOWN_PREFIX}"


def test_the_vocabularies_prefixes_need_no_declaring_on_the_cli_or_over_http(
    shipped_store: Path, service: RunningService
) -> None:
    text = "SELECT ?d WHERE { ?d a uds:Decision ; rdfs:label ?l } ORDER BY ?d"
    local = udsyn("--store", str(shipped_store), "query", "--format", "csv", text)
    assert local.returncode == 0, local.stderr
    over_http = httpx.get(f"{service.url}/sparql", params={"query": text, "format": "csv"},
                          timeout=30)  # fmt: skip
    assert over_http.status_code == 200, over_http.text
    assert local.stdout.splitlines() == over_http.text.splitlines()
    assert len(local.stdout.splitlines()) > 6


def test_a_language_must_be_one_the_graph_holds(shipped_store: Path) -> None:
    for tag, said in (("xx-1", "'xx-1' is not a BCP 47 language tag"),
                      ("fr", "there is no text in 'fr'")):  # fmt: skip
        done = udsyn("--store", str(shipped_store), "ask", "focus-areas", "-p", f"lang={tag}")
        assert done.returncode == 2
        line = one_error_line(done)
        assert said in line and line.endswith("the graph holds text in da, en")
    danish = udsyn("--store", str(shipped_store), "ask", "focus-areas", "-p", "lang=DA")
    assert danish.returncode == 0, danish.stderr
    assert "fødevarer@da" in danish.stdout


def test_a_piped_table_is_csv_with_every_value_in_full(shipped_store: Path) -> None:
    done = udsyn("--store", str(shipped_store), "ask", "focus-areas")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0][:2] == ["area", "areaLabel"]
    assert rows[1][:2] == ["<id/focus-area/business-and-health>", "business and health@en"]
    assert all(len(row) == len(rows[0]) for row in rows)
    assert "…" not in done.stdout
    assert done.stderr.strip() == (
        f"{len(rows) - 1} rows; owner=id/organisation/vaekstforum (default), lang=en (default)"
    )


def test_a_table_on_a_terminal_shows_prefixed_names(shipped_store: Path) -> None:
    text = "SELECT DISTINCT ?type WHERE { ?x a ?type FILTER(?type = uds:Decision) }"
    screen = on_a_terminal(["--store", str(shipped_store), "query", text], columns=60)
    assert "┃ type" in screen
    assert "uds:Decision" in screen
    assert "https://w3id.org/udsyn/ontology#" not in screen


def on_a_terminal(arguments: list[str], columns: int) -> str:
    """What ``udsyn`` shows on a terminal of the given width (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UDSYN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "udsyn", *arguments], stdin=follower, stdout=follower,
        stderr=follower, env={**env, "COLUMNS": str(columns), "TERM": "xterm"},
    )  # fmt: skip
    os.close(follower)
    screen = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the command ends
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, screen.decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))


def test_help_names_what_options_take_never_python_types() -> None:
    for command in ["", *COMMANDS]:
        shown = udsyn(*([command] if command else []), "--help").stdout
        assert TYPE_LABEL.search(shown) is None, f"udsyn {command} --help:\n{shown}"
        help_line = next(line for line in shown.splitlines() if "--help" in line)
        assert help_line.split("--help")[1].split()[:1] == ["Show"], help_line
    assert "--format" in udsyn("query", "--help").stdout
    assert "FORMAT" in udsyn("query", "--help").stdout


def test_status_says_which_count_is_which(shipped_store: Path) -> None:
    def count(text: str) -> int:
        done = udsyn("--store", str(shipped_store), "query", "--format", "csv", text)
        return int(done.stdout.splitlines()[1])

    quads = count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    triples = count("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }")
    assert quads > triples  # the shipped graph states some triples in more than one graph
    done = udsyn("--store", str(shipped_store), "status")
    assert done.returncode == 0, done.stderr
    assert f"quads (a triple once per graph that states it): {quads}" in done.stdout
    assert f"distinct triples (the union of the graphs): {triples}" in done.stdout


def test_the_config_file_uses_the_names_of_the_readme(shipped_store: Path, tmp_path: Path) -> None:
    (tmp_path / "udsyn.toml").write_text(f'[udsyn]\nstore = "{shipped_store}"\n')
    done = udsyn("status", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"embedded store at {shipped_store}" in done.stdout
    (tmp_path / "udsyn.toml").write_text(f'[udsyn]\nstore_path = "{shipped_store}"\n')
    line = one_error_line(udsyn("status", cwd=tmp_path))
    assert "unknown setting 'store_path' in [udsyn] (did you mean 'store'?)" in line


def test_the_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for variable in (*_ENVIRONMENT, *_REMOTE_ENVIRONMENT, "UDSYN_CONFIG"):
        assert f"`{variable}`" in readme, variable
    for key in _FILE_KEYS:
        assert f"`{key}`" in readme, key


def test_status_names_a_slow_open_and_its_write_ahead_log(tmp_path: Path) -> None:
    from udsyn.cli.data import slow_open_note

    loaded = tmp_path / "loaded"
    assert udsyn("--store", str(loaded), "load", "--shipped").returncode == 0
    assert "opening the store took" not in udsyn("--store", str(loaded), "status").stdout
    unflushed = tmp_path / "unflushed"  # written by another program that does not flush
    store = ox.Store(str(unflushed))
    store.extend(ox.Quad(ox.NamedNode(f"urn:s{n}"), ox.NamedNode("urn:p"), ox.Literal(n))
                 for n in range(20_000))  # fmt: skip
    del store
    note = slow_open_note(2.5, unflushed)
    megabytes = float(re.search(r"holds ([\d.]+) MB", note).group(1))
    assert note.startswith("opening the store took 2.5 s") and megabytes > 0.5
