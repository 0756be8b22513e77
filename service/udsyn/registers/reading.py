"""Reading registers: spreadsheet rows (CSV, XLSX) and RDF records (Turtle, JSON-LD).

A spreadsheet gives :class:`Row` values, typed cell by cell with the CSVW layout; cells that
are not what their column asks for become :class:`Finding` values and are left out of the
row. An RDF file gives its triples and the line where each record starts. Anything that
cannot be read at all raises :class:`RegisterError` with the file and, where known, the line.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from udsyn.registers.findings import Finding
from udsyn.registers.layout import REQUIRED, CellError, column_names, read_cell

CONTEXT_URL = "https://w3id.org/udsyn/context.jsonld"
SPREADSHEETS = (".csv", ".xlsx")
RDF_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".jsonld": ox.RdfFormat.JSON_LD}
SUFFIXES = (*SPREADSHEETS, *RDF_FORMATS)
MAX_CELL = 10_000  # characters; a longer cell is not a register value


class RegisterError(Exception):
    """The register cannot be read at all (not a finding about its content)."""


@dataclass
class Row:
    """One record of a spreadsheet: its row number (the header is row 1) and typed cells."""

    number: int
    cells: dict[str, Any]
    malformed: set[str] = field(default_factory=set)

    @property
    def record(self) -> str | None:
        return self.cells.get("id")


@dataclass
class TableRegister:
    file: str
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class RdfRegister:
    file: str
    triples: list[ox.Triple]
    lines: dict[ox.NamedNode | ox.BlankNode, int]


def read_register(path: Path, base_iri: str) -> TableRegister | RdfRegister:
    """Read one register file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RegisterError(f"{path}: not a register; give a {', '.join(SUFFIXES)} file")
    try:
        if suffix == ".csv":
            return _table(str(path), _csv_rows(path))
        if suffix == ".xlsx":
            return _table(str(path), _xlsx_rows(path))
        return _rdf(path, base_iri)
    except OSError as error:
        raise RegisterError(f"{path}: {error.strerror or error}") from None


# -- spreadsheets ---------------------------------------------------------------------------


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegisterError(
            f"{path}: not UTF-8 (byte {error.start}); save the register as CSV UTF-8"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise RegisterError(f"{path}:{reader.line_num}: {error}") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise RegisterError(f"{path}: not an XLSX workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_xlsx_text(value) for value in values]
    finally:
        workbook.close()


def _xlsx_text(value: object) -> str:
    """A cell as the text a person typed: dates as ISO 8601, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(file: str, rows: Iterator[tuple[int, list[str]]]) -> TableRegister:
    register = TableRegister(file)
    header: list[str] | None = None
    for number, values in rows:
        if header is None:
            header = [value.strip() for value in values]
            register.findings += _header_findings(file, header)
            continue
        if not any(value.strip() for value in values):
            continue
        register.rows.append(_row(register, number, header, values))
    if header is None:
        raise RegisterError(f"{file}: empty; the first row must name the columns")
    return register


def _header_findings(file: str, header: list[str]) -> Iterator[Finding]:
    known = column_names()
    for name in REQUIRED:
        if name not in header:
            yield Finding(
                file,
                1,
                name,
                None,
                "Violation",
                "udsh:RegisterColumns",
                f"The register has no column '{name}'; add it to the header row.",
                f"the columns are: {', '.join(known)}",
            )
    for name in header:
        if name and name not in known:
            yield Finding(
                file,
                1,
                name,
                None,
                "Warning",
                "udsh:RegisterColumns",
                f"The column '{name}' is not part of the layout and is ignored.",
                _closest(name, known),
            )
        elif name and header.count(name) > 1:
            yield Finding(
                file,
                1,
                name,
                None,
                "Violation",
                "udsh:RegisterColumns",
                f"The column '{name}' appears {header.count(name)} times; keep one.",
                None,
            )


def _closest(name: str, known: tuple[str, ...]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{matches[0]}'?" if matches else None


def _row(register: TableRegister, number: int, header: list[str], values: list[str]) -> Row:
    raw = _raw_cells(register.file, number, header, values)
    row = Row(number, {})
    record = raw.get("id", "").strip() or None
    for name, text in raw.items():
        try:
            row.cells[name] = read_cell(name, text)
        except CellError as error:
            row.malformed.add(name)
            register.findings.append(
                Finding(
                    register.file,
                    number,
                    name,
                    record,
                    "Violation",
                    "udsh:CellFormat",
                    f"The {name} cell {error}; correct the cell.",
                    None,
                )
            )
    return row


def _raw_cells(file: str, number: int, header: list[str], values: list[str]) -> dict[str, str]:
    """The non-empty cells of the layout's columns (the first, if a column repeats)."""
    known = set(column_names())
    cells: dict[str, str] = {}
    for name, text in zip(header, values, strict=False):
        if name in known and name not in cells and text.strip():
            if len(text) > MAX_CELL:
                raise RegisterError(f"{file}:{number}: the {name} cell is too long")
            cells[name] = text
    return cells


# -- RDF records ----------------------------------------------------------------------------


def _rdf(path: Path, base_iri: str) -> RdfRegister:
    original = path.read_bytes()
    data = _local_context(path, original) if path.suffix.lower() == ".jsonld" else original
    try:
        quads = list(ox.parse(data, format=RDF_FORMATS[path.suffix.lower()], base_iri=base_iri))
    except SyntaxError as error:
        raise RegisterError(f"{path}: {error}") from None
    triples = [quad.triple for quad in quads]
    text = original.decode("utf-8", errors="replace")
    return RdfRegister(str(path), triples, _subject_lines(triples, text, base_iri))


def _local_context(path: Path, data: bytes) -> bytes:
    """The JSON-LD document with udsyn's context inlined; any other remote context refused.

    Nothing is ever fetched: a context given by URL is either udsyn's own (shipped in the
    package) or an error.
    """
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise RegisterError(f"{path}:{error.lineno}:{error.colno}: {error.msg}") from None
    return json.dumps(_inline_contexts(path, document)).encode()


def _inline_contexts(path: Path, node: Any) -> Any:
    if isinstance(node, list):
        return [_inline_contexts(path, item) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {key: _inline_contexts(path, value) for key, value in node.items()}
    if "@context" in node:
        inlined["@context"] = _context_value(path, node["@context"])
    return inlined


def _context_value(path: Path, context: Any) -> Any:
    if isinstance(context, list):
        return [_context_value(path, item) for item in context]
    if isinstance(context, str):
        if context != CONTEXT_URL:
            raise RegisterError(
                f"{path}: the remote JSON-LD context {context} is refused (udsyn fetches "
                f'nothing); use "{CONTEXT_URL}", which udsyn ships, or an inline context'
            )
        return shipped_context()["@context"]
    if isinstance(context, dict) and "@import" in context:
        raise RegisterError(
            f"{path}: @import of a remote context is refused (udsyn fetches nothing)"
        )
    return context


def shipped_context() -> dict:
    """udsyn's JSON-LD context for records, as shipped in the package."""
    return json.loads(files("udsyn.registers").joinpath("context.jsonld").read_text("utf-8"))


def _subject_lines(
    triples: list[ox.Triple], text: str, base_iri: str
) -> dict[ox.NamedNode | ox.BlankNode, int]:
    """The line where each subject first appears in the text (1 when it cannot be found)."""
    lines = text.splitlines()
    found: dict[ox.NamedNode | ox.BlankNode, int] = {}
    for subject in dict.fromkeys(triple.subject for triple in triples):
        found[subject] = _first_line(lines, _spellings(subject, base_iri))
    return found


def _spellings(subject: ox.NamedNode | ox.BlankNode, base_iri: str) -> list[str]:
    if isinstance(subject, ox.BlankNode):
        return []
    iri = subject.value
    written = [iri, iri.removeprefix(base_iri)]
    spellings = [f"<{form}>" for form in written] + [f'"{form}"' for form in written]
    tail = re.split(r"[/#]", iri)[-1]
    if tail:
        spellings.append(":" + tail)
    return spellings


def _first_line(lines: list[str], spellings: list[str]) -> int:
    for spelling in spellings:
        for number, line in enumerate(lines, start=1):
            if spelling in line:
                return number
    return 1
