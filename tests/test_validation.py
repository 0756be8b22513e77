"""The validation module and ``udsyn validate``: the shipped graph conforms and is consistent;
broken and inconsistent records are reported; the command's exit codes and formats hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from udsyn.loading import Source
from udsyn.shipped import data_files
from udsyn.store import EmbeddedStore
from udsyn.validation import (
    Finding,
    ReasonerResult,
    ValidationReport,
    check_consistency,
    graph_from_files,
    graph_from_store,
    inconsistency_findings,
    run_checks,
)

from .conftest import BASE

UDS = "https://w3id.org/udsyn/ontology#"

PREFIXES = """@prefix uds: <https://w3id.org/udsyn/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <id/test/> .
"""
# Offices are agents and regions are places, which the ontology declares disjoint.
OFFICE_AND_REGION = (
    PREFIXES + 'ex:thing a uds:OfficeAbroad , uds:Region ; rdfs:label "x"@da , "x"@en .\n'
)
# A partnership record with a decision that has no deciding body or date.
BROKEN_RECORD = (
    PREFIXES
    + """ex:decision a uds:Decision ; rdfs:label "Beslutning"@da , "Decision"@en ;
    uds:decides <id/agreement/midtjylland-brasov> .
"""
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def udsyn(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("UDSYN_")}
    return subprocess.run(
        [sys.executable, "-m", "udsyn", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=600,
    )


# -- the shipped graph ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_report(strategy_store: EmbeddedStore) -> ValidationReport:
    """Every check, HermiT included, on the shipped graph (one reasoner run for the module)."""
    return run_checks(graph_from_store(strategy_store), reasoner=True)


def test_the_shipped_graph_has_no_violations(shipped_report: ValidationReport) -> None:
    violations = shipped_report.by_severity("Violation")
    assert violations == [], "\n".join(f"{v.focus} {v.source}: {v.message}" for v in violations)
    assert shipped_report.conforms


def test_the_shipped_graph_is_owl_consistent(shipped_report: ValidationReport) -> None:
    assert shipped_report.reasoner is not None
    assert shipped_report.reasoner.consistent is True, shipped_report.reasoner.detail
    assert shipped_report.reasoner.unsatisfiable == ()


def test_shacl_on_the_shipped_graph_takes_seconds_not_minutes(
    shipped_report: ValidationReport,
) -> None:
    assert shipped_report.shacl_seconds < 30


# -- OWL consistency ------------------------------------------------------------------------


def test_an_office_that_is_a_region_is_inconsistent(tmp_path: Path) -> None:
    graph = graph_from_files([Source(write(tmp_path, "bad.ttl", OFFICE_AND_REGION))], BASE)
    result, findings = check_consistency(graph)
    assert (result.ran, result.consistent, result.detail) == (True, False, "inconsistent")
    thing = f"{BASE}id/test/thing"
    assert [f.focus for f in findings] == [thing]
    assert findings[0].severity == "Violation"
    assert findings[0].message.startswith("The ontology and data are logically inconsistent")
    assert "uds:OfficeAbroad" in findings[0].message and "uds:Region" in findings[0].message


def test_a_reasoner_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    graph = graph_from_files([], BASE)
    started = time.monotonic()
    result, findings = check_consistency(graph, timeout=0.2)
    assert time.monotonic() - started < 10
    assert result.consistent is None and "did not finish within" in result.detail
    assert [f.severity for f in findings] == ["Warning"]


def test_a_functional_property_with_two_values_is_named(tmp_path: Path) -> None:
    record = PREFIXES + (
        'ex:d a uds:Decision ; uds:decisionDate "2007-01-10"^^xsd:date , "2007-01-11"^^xsd:date .'
    )
    graph = graph_from_files([Source(write(tmp_path, "d.ttl", record))], BASE)
    findings = inconsistency_findings(graph)
    assert [(f.focus, f.path) for f in findings] == [
        (f"{BASE}id/test/d", "https://w3id.org/udsyn/ontology#decisionDate")
    ]
    assert "uds:decisionDate is functional" in findings[0].message


# -- building graphs -------------------------------------------------------------------------------


def test_a_record_file_is_checked_with_the_ontology_and_schemes(tmp_path: Path) -> None:
    record = PREFIXES + "ex:s uds:status <id/concept/agreement-status/active> ."
    graph = graph_from_files([Source(write(tmp_path, "r.ttl", record))], BASE)
    subjects = {str(s) for s in graph.subjects()}
    assert "https://w3id.org/udsyn/ontology#Cooperation" in subjects
    assert f"{BASE}id/concept/agreement-status/active" in subjects
    assert f"{BASE}id/organisation/region-midtjylland" not in subjects  # data is not added
    full = graph_from_files([], BASE, with_shipped_data=True)
    assert f"{BASE}id/organisation/region-midtjylland" in {str(s) for s in full.subjects()}


def test_relative_iris_in_shapes_follow_the_base(tmp_path: Path) -> None:
    other = "https://example.org/kg/"
    record = PREFIXES + (
        'ex:c a uds:FocusArea ; skos:prefLabel "c"@da , "c"@en ;'
        " skos:inScheme <id/scheme/focus-areas> ."
    )
    graph = graph_from_files([Source(write(tmp_path, "c.ttl", record))], other)
    report = run_checks(graph, reasoner=False)
    assert report.base_iri == other
    assert not [f for f in report.findings if f.source.startswith("udsh:FocusAreaSchemeShape")]


# -- the report ------------------------------------------------------------------------------------


def sample_report() -> ValidationReport:
    return ValidationReport(
        findings=[
            Finding(
                "Violation",
                f"{BASE}id/test/d",
                "https://w3id.org/udsyn/ontology#decisionDate",
                None,
                "The decision needs a date.",
                "udsh:DecisionShape uds:decisionDate",
            ),
            Finding(
                "Warning",
                f"{BASE}id/city/x",
                None,
                f"<{BASE}id/country/y>",
                "Check the place.",
                "udsh:OneCountryRule",
            ),
        ],
        reasoner=ReasonerResult(True, True, "consistent", 1.5),
        base_iri=BASE,
        shacl_seconds=0.25,
        shape_files=["udsyn-shapes.ttl"],
    )


def test_the_text_report_groups_findings_by_severity() -> None:
    text = sample_report().to_text()
    assert text.index("Violations (1)") < text.index("Warnings (1)")
    assert "  <id/test/d>  uds:decisionDate\n    The decision needs a date." in text
    assert "value: <id/country/y>" in text
    assert "OWL (HermiT): consistent (1.5 s)" in text
    assert "findings: 1 violation, 1 warning, 0 info" in text
    assert text.endswith("result: the graph does not conform")


def test_the_json_report_carries_everything() -> None:
    document = json.loads(sample_report().to_json())
    assert document["conforms"] is False
    assert document["counts"] == {"Violation": 1, "Warning": 1, "Info": 0}
    assert document["reasoner"]["consistent"] is True
    assert document["findings"][0] == {
        "severity": "Violation",
        "focus": f"{BASE}id/test/d",
        "path": "https://w3id.org/udsyn/ontology#decisionDate",
        "value": None,
        "message": "The decision needs a date.",
        "source": "udsh:DecisionShape uds:decisionDate",
        "constraint": None,
    }


# -- the command ---------------------------------------------------------------------------------


def test_validate_passes_the_shipped_data_files(tmp_path: Path) -> None:
    done = udsyn("validate", *map(str, data_files()), "--no-reasoner", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: the graph conforms" in done.stdout


def test_validate_fails_a_broken_record_with_its_violations(tmp_path: Path) -> None:
    record = write(tmp_path, "record.ttl", BROKEN_RECORD)
    done = udsyn("validate", str(record), "--no-reasoner", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Violations (" in done.stdout
    assert "The decision has no deciding body" in done.stdout
    assert "<id/test/decision>  uds:decidingBody" in done.stdout


def test_validate_prints_json_and_keeps_the_reasoner_quiet(tmp_path: Path) -> None:
    record = write(tmp_path, "record.ttl", BROKEN_RECORD)
    done = udsyn("validate", str(record), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)  # nothing but the report on standard output
    assert document["conforms"] is False
    assert document["reasoner"]["consistent"] is True
    assert document["counts"]["Violation"] >= 2
    sources = {f["source"] for f in document["findings"] if f["severity"] == "Violation"}
    assert {"udsh:DecisionShape uds:decidingBody", "udsh:DecisionShape uds:decisionDate"} <= sources


def test_validate_reports_an_unparsable_file_in_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.ttl", PREFIXES + "\nex:a uds:party ex:b\nex:c .\n")
    done = udsyn("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{bad}:8:1:" in lines[0], done.stderr


def test_validate_checks_the_store(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert udsyn("--store", store, "load", "--shipped", cwd=tmp_path).returncode == 0
    done = udsyn("--store", store, "validate", "--no-reasoner", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["counts"]["Violation"] == 0


def test_a_record_may_refer_to_the_shipped_graph(tmp_path: Path) -> None:
    record = write(
        tmp_path,
        "record.ttl",
        PREFIXES
        + """<id/agreement/midtjylland-example> a uds:CooperationAgreement ;
    rdfs:label "Samarbejdsaftale"@da , "Cooperation agreement"@en ;
    uds:party <id/organisation/region-midtjylland> ;
    uds:partnerRegion <id/region/brasov> ;
    uds:startDate "2008-01-01"^^xsd:date .
""",
    )
    alone = udsyn("validate", "--no-reasoner", "--format", "json", str(record), cwd=tmp_path)
    with_shipped = udsyn(
        "validate",
        "--no-reasoner",
        "--format",
        "json",
        "--with-shipped-data",
        str(record),
        cwd=tmp_path,
    )
    alone_report = json.loads(alone.stdout)
    shipped_report = json.loads(with_shipped.stdout)
    assert alone.returncode == 1 and alone_report["counts"]["Violation"] > 0
    assert {f["focus"] for f in shipped_report["findings"]} <= {
        f"{BASE}id/agreement/midtjylland-example"
    }
    assert shipped_report["counts"]["Violation"] == 0, shipped_report["findings"]
    assert with_shipped.returncode == 0


def test_validating_an_empty_store_is_an_error(tmp_path: Path) -> None:
    EmbeddedStore(BASE, str(tmp_path / "empty")).close()
    done = udsyn("--store", str(tmp_path / "empty"), "validate", cwd=tmp_path)
    assert done.returncode == 2
    assert "is empty" in done.stderr


@pytest.mark.parametrize(
    "date, violations, warnings",
    [
        ('"not a date"', 1, 0),  # the datatype rule's finding, and no range warning
        ('"1907-01-10"^^xsd:date', 0, 1),  # a real date out of range: one warning, not two
        ('"2007-01-10"^^xsd:date', 0, 0),
    ],
)
def test_the_date_range_warning_is_for_dates_only_and_said_once(
    tmp_path: Path, date: str, violations: int, warnings: int
) -> None:
    turtle = PREFIXES + f"ex:decision a uds:Decision ; uds:decisionDate {date} .\n"
    record = write(tmp_path, "decision.ttl", turtle)
    report = run_checks(graph_from_files([Source(record)], BASE), reasoner=False)
    about_the_date = [f for f in report.findings if f.path == UDS + "decisionDate"]
    outside = [f for f in about_the_date if "lies outside the years 1945 to 2100" in f.message]
    assert len(outside) == warnings, [f.message for f in about_the_date]
    assert all(f.severity == "Warning" for f in outside)
    assert len([f for f in about_the_date if f.severity == "Violation"]) == violations
