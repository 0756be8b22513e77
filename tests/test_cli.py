"""The ``udsyn`` command, run as a user runs it: in a subprocess, exit codes included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from .conftest import OxigraphServer, free_port

EX = "http://example.org/"
PARTNERS = f"""@prefix ex: <{EX}> .
@prefix region: <id/region/> .
region:brasov ex:label "Brasov Amt"@da , "Brașov County"@en ; ex:country ex:romania .
region:shanghai ex:label "Shanghai"@en ; ex:country ex:china .
"""
COMMANDS = ["serve", "load", "query", "ask", "questions", "validate", "export", "status"]


def udsyn(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "udsyn", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


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
    first = listing.stdout.split("│")[1].strip() if "│" in listing.stdout else ""
    assert first, listing.stdout
    done = udsyn("--store", store, "ask", first, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "results" in json.loads(done.stdout) or "boolean" in json.loads(done.stdout)


def test_a_bad_parameter_value_names_the_parameter(tmp_path: Path) -> None:
    from udsyn.questions import shipped_questions

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
