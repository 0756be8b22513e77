"""The partnership-register layout: its columns, typed by CSVW table metadata.

The metadata (``partnership-register.csv-metadata.json``) says what each cell must look like
(a date, a two-letter code, a ``;``-separated list); the `csvw` package reads each cell with it.
What the values must mean is for the shapes in ``shapes/registers/``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from csvw import Column, Table

METADATA = Path(__file__).with_name("partnership-register.csv-metadata.json")

# Columns a record cannot do without (start_date too, unless the record is planned: a rule).
REQUIRED = ("id", "partner", "partner_country", "kind", "status")

_EXPECTED = {
    "date": "an ISO 8601 date (YYYY-MM-DD)",
    "partner_country": "an ISO 3166-1 alpha-2 code in capitals (e.g. PL)",
}


@dataclass(frozen=True)
class CellError(Exception):
    """A cell that is not what its column's datatype asks for."""

    column: str
    raw: str
    expected: str

    def __str__(self) -> str:
        return f"'{self.raw}' is not {self.expected}"


@cache
def _columns() -> dict[str, Column]:
    table = Table.from_file(METADATA)
    return {column.name: column for column in table.tableSchema.columns}


def column_names() -> tuple[str, ...]:
    """The register's columns, in the order of the layout."""
    return tuple(_columns())


def read_cell(column: str, raw: str) -> str | datetime.date | list[str] | None:
    """The cell's typed value (``None`` when empty), or :class:`CellError`."""
    definition = _columns()[column]
    text = raw.strip()
    try:
        value = definition.read(text)
    except ValueError:
        base = definition.datatype.base if definition.datatype else "string"
        raise CellError(column, text, _EXPECTED.get(column, _EXPECTED.get(base, base))) from None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, list):
        return [item.strip() for item in value if item.strip()]
    return value or None
