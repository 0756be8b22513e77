"""The lists the strategy itself has, on the pages they belong to: the partner regions with
their offices and activities on the page of the region that holds the agreements, and the
decisions in date order on the page of the strategy its document sets out.

Each table is a named question asked through the query workers with the resource bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import Request

from udsyn.web.describe import select
from udsyn.web.pages import UDS, Link, href

PARTY = UDS + "party"
DOCUMENTED_IN = UDS + "documentedIn"


@dataclass(frozen=True)
class Table:
    """A question's answer as a table: its title, column names and rows of cells."""

    title: str
    question: str
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[Link | str, ...], ...], ...]


def page_questions(iri: str, quads: list[ox.Quad]) -> list[tuple[str, str | None]]:
    """The questions whose answers belong on the page of ``iri``, each with the parameter
    the resource fills (``None``: the question takes no resource)."""
    chosen: list[tuple[str, str | None]] = []
    if any(q.predicate.value == PARTY and q.object.value == iri for q in quads):
        chosen.append(("partner-regions-by-country", "party"))
    if any(q.subject.value == iri and q.predicate.value == DOCUMENTED_IN for q in quads):
        chosen.append(("decisions", None))
    return chosen


async def tables(request: Request, iri: str, quads: list[ox.Quad], lang: str) -> list[Table]:
    """The tables of the page of ``iri`` that have rows."""
    base = request.app.state.settings.base_iri
    found = []
    for name, parameter in page_questions(iri, quads):
        question = request.app.state.questions.get(name)
        values = {"lang": lang, **({parameter: iri} if parameter else {})}
        rows = await select(request, question.text, question.bind(values, base))
        if rows:
            found.append(table(question.title, name, rows, base))
    return found


def table(title: str, question: str, rows: list[dict], base: str) -> Table:
    """Rows of an answer as cells: an IRI with its ``…Label`` column as one link; rows that
    differ in one column only are one row listing that column's values."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    shown = tuple(name for name in names if not (name.endswith("Label") and name[:-5] in names))
    merged: list[list[tuple[Link | str, ...]]] = []
    for row in rows:
        cells = [(cell(row, name, base),) for name in shown]
        last = merged[-1] if merged else None
        differing = [at for at, value in enumerate(cells) if last and value != last[at]]
        if last and len(differing) == 1 and cells[differing[0]][0] not in last[differing[0]]:
            last[differing[0]] += cells[differing[0]]
        elif not last or differing:
            merged.append(cells)
    return Table(title, question, shown, tuple(tuple(row) for row in merged))


def cell(row: dict, name: str, base: str) -> Link | str:
    """One cell: a link for an IRI (labelled by its ``…Label`` column), else the text."""
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, ox.NamedNode):
        label = row.get(name + "Label")
        text = label.value if label is not None else value.value.rpartition("/")[2]
        tag = getattr(label, "language", None) or ""
        return Link(href(value.value, base), text, tag, value.value)
    return value.value
