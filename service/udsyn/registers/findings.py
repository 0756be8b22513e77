"""What a register check found, and the forms it is written in (text, JSON, JUnit, SARIF).

The JSON form is the contract for scripts (docs/registers.md): exactly the keys
``{"findings": [{"file", "row", "column", "record", "severity", "rule", "message",
"suggestion"}], "summary": {"records", "violations", "warnings", "infos"}}``.
"""

from __future__ import annotations

import datetime
import json
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import groupby
from typing import Any
from xml.etree import ElementTree as ET

from udsyn import __version__

SEVERITIES = ("Violation", "Warning", "Info")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HELP_URI = "https://w3id.org/udsyn/docs/registers"


@dataclass(frozen=True)
class Finding:
    """One thing wrong with (or worth knowing about) one cell of a register.

    ``row`` is the spreadsheet row (the header is row 1), or for RDF the line where the record
    starts; ``column`` the layout's column name (or the property, for RDF input).
    """

    file: str
    row: int
    column: str | None
    record: str | None
    severity: str
    rule: str
    message: str
    suggestion: str | None = None

    def sort_key(self) -> tuple:
        return (
            self.file,
            self.row,
            self.column or "",
            SEVERITIES.index(self.severity),
            self.rule,
            self.message,
        )


@dataclass
class CheckReport:
    """The findings of a check of one or more registers."""

    findings: list[Finding] = field(default_factory=list)
    records: int = 0
    files: list[str] = field(default_factory=list)
    as_of: datetime.date = field(default_factory=datetime.date.today)
    shacl: Any = None  # pySHACL's sh:ValidationReport graph (an rdflib Graph)

    @property
    def violations(self) -> int:
        return self._count("Violation")

    @property
    def conforms(self) -> bool:
        return self.violations == 0

    def _count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def summary(self) -> dict[str, int]:
        return {
            "records": self.records,
            "violations": self.violations,
            "warnings": self._count("Warning"),
            "infos": self._count("Info"),
        }

    # -- the forms ----------------------------------------------------------------------------

    def to_json(self) -> str:
        document = {
            "findings": [asdict(finding) for finding in self.findings],
            "summary": self.summary(),
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    def to_shacl(self) -> str:
        """The SHACL validation report of the records, as Turtle."""
        if self.shacl is None:
            return ""
        self.shacl.bind("sh", "http://www.w3.org/ns/shacl#")
        return self.shacl.serialize(format="turtle")

    def to_text(self) -> str:
        """Findings grouped by file and record, each naming its cell."""
        lines: list[str] = []
        for file, in_file in groupby(self.findings, key=lambda f: f.file):
            lines.append(file)
            for (row, record), in_record in groupby(in_file, key=lambda f: (f.row, f.record)):
                lines.append(f"  row {row}" + (f" · {record}" if record else ""))
                for finding in in_record:
                    lines.append(f"    {_cell_line(finding)}")
                    if finding.suggestion:
                        lines.append(f"      → {finding.suggestion}")
        summary = self.summary()
        lines.append(
            f"{summary['records']} records checked as of {self.as_of.isoformat()}: "
            f"{summary['violations']} violations, {summary['warnings']} warnings, "
            f"{summary['infos']} notes"
        )
        return "\n".join(lines)

    def to_junit(self) -> str:
        """JUnit XML: a test case per record and column; a Violation is a failure."""
        suites = ET.Element("testsuites")
        stamp = datetime.datetime.now().replace(microsecond=0).isoformat()
        for number, file in enumerate(self.files):
            in_file = [finding for finding in self.findings if finding.file == file]
            cases = list(_junit_cases(in_file))
            failures = sum(1 for case in cases if case.find("failure") is not None)
            suite = ET.SubElement(
                suites,
                "testsuite",
                {
                    "package": "udsyn.check",
                    "id": str(number),
                    "name": file,
                    "timestamp": stamp,
                    "hostname": socket.gethostname() or "localhost",
                    "tests": str(len(cases)),
                    "failures": str(failures),
                    "errors": "0",
                    "time": "0",
                },
            )
            ET.SubElement(suite, "properties")
            suite.extend(cases)
            ET.SubElement(suite, "system-out").text = _notes(in_file)
            ET.SubElement(suite, "system-err")
        ET.indent(suites)
        return ET.tostring(suites, encoding="unicode", xml_declaration=True)

    def to_sarif(self) -> str:
        """SARIF 2.1.0: one result per finding, located at file, line and column."""
        rules = sorted({finding.rule for finding in self.findings})
        run = {
            "tool": {
                "driver": {
                    "name": "udsyn",
                    "version": __version__,
                    "informationUri": HELP_URI,
                    "rules": [{"id": rule, "name": rule.split(":")[-1]} for rule in rules],
                }
            },
            "results": [_sarif_result(finding, rules) for finding in self.findings],
        }
        log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(log, ensure_ascii=False, indent=2)


def _cell_line(finding: Finding) -> str:
    cell = f"{finding.column}: " if finding.column else ""
    return f"{finding.severity:<9} {cell}{finding.message} [{finding.rule}]"


def _junit_cases(findings: list[Finding]) -> Iterable[ET.Element]:
    cell = lambda f: (f.row, f.record or "", f.column or "")  # noqa: E731
    for (row, record, column), group in groupby(sorted(findings, key=cell), key=cell):
        violations = [finding for finding in group if finding.severity == "Violation"]
        if not violations:
            continue
        case = ET.Element(
            "testcase",
            {
                "name": f"row {row} {column}".strip() + (f" ({record})" if record else ""),
                "classname": violations[0].file,
                "time": "0",
            },
        )
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": violations[0].message,
                "type": violations[0].rule,
            },
        )
        failure.text = "\n".join(_cell_line(finding) for finding in violations)
        yield case


def _notes(findings: list[Finding]) -> str:
    return "\n".join(
        f"row {finding.row}: {_cell_line(finding)}"
        for finding in findings
        if finding.severity != "Violation"
    )


_SARIF_LEVEL = {"Violation": "error", "Warning": "warning", "Info": "note"}


def _sarif_result(finding: Finding, rules: list[str]) -> dict:
    message = finding.message + (f" ({finding.suggestion})" if finding.suggestion else "")
    return {
        "ruleId": finding.rule,
        "ruleIndex": rules.index(finding.rule),
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file},
                    "region": {"startLine": finding.row},
                },
                "logicalLocations": [
                    {
                        "name": finding.column or "",
                        "fullyQualifiedName": f"{finding.record or ''}/{finding.column or ''}",
                        "kind": "member",
                    }
                ],
            }
        ],
        "properties": {"record": finding.record, "column": finding.column},
    }
