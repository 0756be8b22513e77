"""`udsyn check`: partnership registers (CSV, XLSX, Turtle, JSON-LD) against the register
shapes and the strategy graph, each fault caught at its cell, in every output form."""

from __future__ import annotations

import csv
import datetime
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest
import xmlschema
from openpyxl import Workbook

from udsyn.loading import read_all, shipped_sources
from udsyn.registers import RegisterError, check_registers, check_whole_graph
from udsyn.registers.check import register_shapes_files
from udsyn.registers.reading import CONTEXT_URL
from udsyn.store import EmbeddedStore
from udsyn.validation import load_shapes

BASE = "https://w3id.org/udsyn/"
REGISTERS = Path(__file__).parent / "registers"
SCHEMAS = Path(__file__).parent / "schemas"
AS_OF = datetime.date(2026, 11, 30)

# register -> the finding it must give: (severity, row, column, rule)
FAULTS: dict[str, tuple[str, int, str, str]] = {
    "missing-partner": ("Violation", 2, "partner", "udsh:RecordRequiredShape"),
    "missing-start": ("Violation", 2, "start_date", "udsh:RecordStartRule"),
    "missing-column": ("Violation", 1, "partner_country", "udsh:RegisterColumns"),
    "malformed-date": ("Violation", 2, "start_date", "udsh:CellFormat"),
    "malformed-code": ("Violation", 2, "partner_country", "udsh:CellFormat"),
    "not-iso-code": ("Violation", 2, "partner_country", "udsh:RecordValuesShape"),
    "wrong-country": ("Violation", 2, "partner_country", "udsh:RecordPartnerCountryRule"),
    "unknown-kind": ("Violation", 2, "kind", "udsh:RecordValuesShape"),
    "unknown-status": ("Violation", 2, "status", "udsh:RecordValuesShape"),
    "unknown-focus-area": ("Violation", 2, "focus_areas", "udsh:RecordValuesShape"),
    "end-before-start": ("Violation", 2, "end_date", "udsh:RecordEndBeforeStartRule"),
    "decision-after-start": ("Violation", 2, "decision_date", "udsh:RecordDecisionAfterStartRule"),
    "active-but-ended": ("Violation", 2, "status", "udsh:RecordActiveButEndedRule"),
    "ended-without-end": ("Warning", 2, "end_date", "udsh:RecordEndedWithoutEndRule"),
    "duplicate-id": ("Violation", 3, "id", "udsh:RecordDuplicateIdRule"),
    "overlap": ("Violation", 3, "partner", "udsh:RecordOverlapRule"),
    "near-partner": ("Warning", 2, "partner", "udsh:PartnerNearMatch"),
    "office-elsewhere": ("Warning", 2, "office_city", "udsh:RecordOfficeCountryRule"),
    "new-partner": ("Info", 2, "partner", "udsh:NewPartner"),
}

# The same faults in the ontology's terms: the column is the property.
RDF_FAULTS: dict[str, tuple[str, str, str]] = {
    "end-before-start.ttl": ("Violation", "uds:endDate", "udsh:RecordEndBeforeStartRule"),
    "wrong-country.ttl": ("Violation", "uds:partnerCountry", "udsh:RecordPartnerCountryRule"),
    "unknown-kind.ttl": ("Violation", "dct:type", "udsh:RecordValuesShape"),
}


def check(store: EmbeddedStore, *paths: Path) -> list[tuple[str, int, str | None, str]]:
    report = check_registers(list(paths), store, as_of=AS_OF)
    return [(f.severity, f.row, f.column, f.rule) for f in report.findings]


def as_xlsx(csv_path: Path, folder: Path) -> Path:
    """The register as a spreadsheet program saves it: dates as dates, one sheet."""
    workbook = Workbook()
    sheet = workbook.active
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";" if "missing-column" in csv_path.name else ","))
    for row in rows:
        sheet.append([_typed(value) for value in row])
    path = folder / (csv_path.stem + ".xlsx")
    workbook.save(path)
    return path


def _typed(value: str) -> object:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return value


def udsyn(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "udsyn", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


# -- each fault at its cell ----------------------------------------------------------------------


def test_the_clean_register_passes(strategy_store: EmbeddedStore) -> None:
    findings = check(strategy_store, REGISTERS / "clean.csv")
    assert [f for f in findings if f[0] != "Info"] == []
    assert findings == [("Info", 6, "partner", "udsh:NewPartner")]  # Nordland, planned


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_is_caught_at_its_cell(strategy_store: EmbeddedStore, name: str) -> None:
    assert FAULTS[name] in check(strategy_store, REGISTERS / f"{name}.csv")


@pytest.mark.parametrize("name", sorted(set(FAULTS) - {"malformed-date"}))
def test_the_same_faults_in_a_spreadsheet(
    strategy_store: EmbeddedStore, name: str, tmp_path: Path
) -> None:
    workbook = as_xlsx(REGISTERS / f"{name}.csv", tmp_path)
    assert FAULTS[name] in check(strategy_store, workbook)


def test_a_spreadsheet_date_typed_as_text_is_still_checked(
    strategy_store: EmbeddedStore, tmp_path: Path
) -> None:
    workbook = as_xlsx(REGISTERS / "malformed-date.csv", tmp_path)
    assert FAULTS["malformed-date"] in check(strategy_store, workbook)


@pytest.mark.parametrize("name", sorted(RDF_FAULTS))
def test_the_same_faults_in_turtle(strategy_store: EmbeddedStore, name: str) -> None:
    severity, column, rule = RDF_FAULTS[name]
    findings = check(strategy_store, REGISTERS / name)
    assert (severity, 2 + 5, column, rule) in findings  # the record starts on line 7


def test_clean_turtle_passes(strategy_store: EmbeddedStore) -> None:
    assert check(strategy_store, REGISTERS / "clean.ttl") == []


def test_unknown_values_come_with_the_known_ones(strategy_store: EmbeddedStore) -> None:
    report = check_registers([REGISTERS / "unknown-kind.csv"], strategy_store, as_of=AS_OF)
    (finding,) = [f for f in report.findings if f.column == "kind"]
    assert "memorandum of understanding" in finding.suggestion
    assert "cooperation agreement" in finding.suggestion


def test_a_near_miss_names_the_partner_meant(strategy_store: EmbeddedStore) -> None:
    report = check_registers([REGISTERS / "near-partner.csv"], strategy_store, as_of=AS_OF)
    (finding,) = [f for f in report.findings if f.rule == "udsh:PartnerNearMatch"]
    assert "Lower Silesia" in finding.suggestion
    assert finding.suggestion.startswith("did you mean")


def test_a_malformed_cell_is_reported_once(strategy_store: EmbeddedStore) -> None:
    findings = check(strategy_store, REGISTERS / "malformed-date.csv")
    assert [f for f in findings if f[2] == "start_date"] == [FAULTS["malformed-date"]]


def test_the_date_rules_judge_by_the_date_given(strategy_store: EmbeddedStore) -> None:
    path = REGISTERS / "active-but-ended.csv"  # active, ended 2012-12-31
    before = check_registers([path], strategy_store, as_of=datetime.date(2012, 6, 1))
    assert not [f for f in before.findings if f.rule == "udsh:RecordActiveButEndedRule"]
    assert FAULTS["active-but-ended"] in check(strategy_store, path)


def test_a_duplicate_of_a_stored_agreement_is_caught(tmp_path: Path) -> None:
    header = "id,partner,partner_country,kind,status,start_date\n"
    new = tmp_path / "new.csv"
    new.write_text(
        header + "RM-2010-009,Leningrad Oblast,RU,cooperation agreement,active,2010-05-01\n"
    )
    again = tmp_path / "again.csv"
    again.write_text(
        header + "RM-2008-001,Leningrad Oblast,RU,cooperation agreement,active,2008-01-01\n"
    )
    with EmbeddedStore(BASE) as store:
        store.add_all(read_all(shipped_sources(), BASE))
        store.add_all(ox.parse(path=str(REGISTERS / "clean.ttl"), base_iri=BASE))
        duplicate = check_registers([new], store, as_of=AS_OF).findings
        rechecked = check_registers([again], store, as_of=AS_OF).findings
    (overlap,) = [f for f in duplicate if f.rule == "udsh:RecordOverlapRule"]
    assert (overlap.row, overlap.column) == (2, "partner")
    assert "id/agreement/rm-2008-001" in overlap.message
    # the stored record checked again is no duplicate of itself
    assert not [f for f in rechecked if f.rule == "udsh:RecordOverlapRule"]


# -- the incremental check against the reference ---------------------------------------------


@pytest.mark.parametrize("name", ["overlap", "wrong-country", "office-elsewhere", "clean"])
def test_the_incremental_check_finds_what_the_whole_graph_check_finds(
    strategy_store: EmbeddedStore, name: str
) -> None:
    paths = [REGISTERS / f"{name}.csv"]
    incremental = check_registers(paths, strategy_store, as_of=AS_OF)
    whole = check_whole_graph(paths, strategy_store, as_of=AS_OF, engine="pyshacl")
    assert incremental.findings == whole.findings


def test_the_fast_engine_finds_exactly_what_pyshacl_finds(strategy_store: EmbeddedStore) -> None:
    paths = sorted(REGISTERS.glob("*.csv")) + sorted(REGISTERS.glob("*.ttl"))
    fast = check_registers(paths, strategy_store, as_of=AS_OF, engine="pyshacl-turbo")
    reference = check_registers(paths, strategy_store, as_of=AS_OF, engine="pyshacl")
    assert fast.violations > 100
    assert fast.findings == reference.findings


def test_every_register_shape_has_a_negative_case() -> None:
    shapes = load_shapes(BASE, register_shapes_files())
    query = """PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT DISTINCT ?shape WHERE { ?shape a sh:NodeShape . FILTER(isIRI(?shape)) }"""
    names = {"udsh:" + str(row[0]).rsplit("#", 1)[-1] for row in shapes.query(query)}
    caught = {rule for (_, _, _, rule) in FAULTS.values()} | {
        r for (_, _, r) in RDF_FAULTS.values()
    }
    assert names - caught == {"udsh:RecordDatesShape", "udsh:RecordDecisionShape"}


def test_dates_of_the_wrong_type_in_turtle_are_caught(
    strategy_store: EmbeddedStore, tmp_path: Path
) -> None:
    record = (
        (REGISTERS / "clean.ttl")
        .read_text()
        .replace(
            '"2008-01-01"^^xsd:date ;\n    uds:servesFocusArea',
            '"1 January 2008" ;\n    uds:decidedBy <id/agreement/rm-2008-001/decision> ;\n'
            "    uds:servesFocusArea",
        )
    )
    record += (
        "\n<id/agreement/rm-2008-001/decision> a uds:Decision ;\n"
        '    uds:decisionDate "2007"^^xsd:gYear .\n'
    )
    path = tmp_path / "dates.ttl"
    path.write_text(record)
    findings = check(strategy_store, path)
    assert ("Violation", 8, "uds:startDate", "udsh:RecordDatesShape") in findings
    assert ("Violation", 8, "uds:decisionDate", "udsh:RecordDecisionShape") in findings


# -- JSON-LD: the shipped context, and nothing fetched ---------------------------------------------


def test_json_ld_with_the_shipped_context(strategy_store: EmbeddedStore) -> None:
    findings = check(strategy_store, REGISTERS / "records.jsonld")
    assert findings == [("Violation", 15, "uds:endDate", "udsh:RecordEndBeforeStartRule")]


def test_a_remote_json_ld_context_is_refused_and_never_fetched(
    strategy_store: EmbeddedStore, listener, tmp_path: Path
) -> None:
    document = json.loads((REGISTERS / "records.jsonld").read_text())
    document["@context"] = f"http://127.0.0.1:{listener.port}/context.jsonld"
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps(document))
    with pytest.raises(RegisterError, match=r"remote JSON-LD context .* is refused"):
        check_registers([path], strategy_store, as_of=AS_OF)
    result = udsyn("check", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "refused" in result.stderr
    assert listener.connections == 0
    assert CONTEXT_URL not in result.stderr.split("refused")[0]


# -- the command and its output forms ------------------------------------------------------------


def test_the_command_exits_by_what_it_found(tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "no-store")]
    assert udsyn(*store, "check", str(REGISTERS / "clean.csv")).returncode == 0
    failed = udsyn(*store, "check", str(REGISTERS / "end-before-start.csv"), "--format", "text")
    assert failed.returncode == 1
    assert "end_date" in failed.stdout and "row 2" in failed.stdout
    clean = str(REGISTERS / "clean.csv")
    bad_uses = (
        ["/nonexistent.csv"],
        [clean, "--format", "yaml"],
        [clean, "--as-of", "yesterday"],
        [str(tmp_path)],
    )
    for bad in bad_uses:
        result = udsyn(*store, "check", *bad)
        assert result.returncode == 2, bad
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_the_json_form_keeps_its_contract(tmp_path: Path) -> None:
    result = udsyn(
        "--store",
        str(tmp_path / "no"),
        "check",
        "--format",
        "json",
        "--as-of",
        "2026-11-30",
        str(REGISTERS / "overlap.csv"),
    )
    document = json.loads(result.stdout)
    assert set(document) == {"findings", "summary"}
    assert set(document["summary"]) == {"records", "violations", "warnings", "infos"}
    for finding in document["findings"]:
        assert set(finding) == {
            "file",
            "row",
            "column",
            "record",
            "severity",
            "rule",
            "message",
            "suggestion",
        }
    assert document["summary"]["records"] == 2
    assert document["summary"]["violations"] == 2


def test_junit_validates_and_fails_once_per_broken_cell(tmp_path: Path) -> None:
    paths = [str(REGISTERS / name) for name in ("clean.ttl", "duplicate-id.csv")]
    result = udsyn("--store", str(tmp_path / "no"), "check", "--format", "junit", *paths)
    assert result.returncode == 1
    schema = xmlschema.XMLSchema(SCHEMAS / "JUnit.xsd")
    schema.validate(result.stdout.encode())
    suites = schema.to_dict(result.stdout.encode())["testsuite"]
    failures = {suite["@name"]: suite["@failures"] for suite in suites}
    assert failures == {paths[0]: 0, paths[1]: 2}  # the id cell of rows 2 and 3


def test_sarif_validates_and_locates_each_finding(tmp_path: Path) -> None:
    path = str(REGISTERS / "end-before-start.csv")
    result = udsyn("--store", str(tmp_path / "no"), "check", "--format", "sarif", path)
    log = json.loads(result.stdout)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)
    (finding,) = log["runs"][0]["results"]
    assert finding["ruleId"] == "udsh:RecordEndBeforeStartRule"
    assert finding["level"] == "error"
    location = finding["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == path
    assert location["physicalLocation"]["region"]["startLine"] == 2
    assert location["logicalLocations"][0]["name"] == "end_date"


def test_the_shacl_form_is_a_validation_report(tmp_path: Path) -> None:
    path = str(REGISTERS / "end-before-start.csv")
    result = udsyn("--store", str(tmp_path / "no"), "check", "--format", "shacl", path)
    report = ox.Store()
    report.load(result.stdout.encode(), format=ox.RdfFormat.TURTLE)
    answer = report.query("""PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?conforms (COUNT(?result) AS ?n) WHERE {
          ?report a sh:ValidationReport ; sh:conforms ?conforms ; sh:result ?result
        } GROUP BY ?conforms""")
    (row,) = list(answer)
    assert row["conforms"].value == "false" and int(row["n"].value) == 1


def test_the_check_writes_nothing_to_the_store(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    assert udsyn("--store", str(store_path), "load", "--shipped").returncode == 0
    with EmbeddedStore(BASE, str(store_path), read_only=True) as store:
        before = sum(1 for _ in store.quads())
    result = udsyn(
        "--store",
        str(store_path),
        "check",
        str(REGISTERS / "clean.csv"),
        str(REGISTERS / "overlap.csv"),
    )
    assert result.returncode == 1
    with EmbeddedStore(BASE, str(store_path), read_only=True) as store:
        assert sum(1 for _ in store.quads()) == before
