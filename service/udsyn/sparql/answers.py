"""Writing answers with a row limit counted on what the engine streams.

The limit is never put into the query: solutions and triples are counted as the engine (or a
remote server's answer) yields them, and the answer is refused at the first one past the
limit, so no work is spent on the rest and no truncated answer is ever written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import pyoxigraph as ox

from udsyn.formats import Format

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class TooManyRows(ValueError):
    """The answer holds more rows (or triples) than the service returns."""

    def __init__(self, limit: int, unit: str) -> None:
        super().__init__(
            f"the answer has more than {limit} {unit}, the most this service returns; "
            "add a LIMIT or narrow the query"
        )


def write_answer(
    result: ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple],
    answer_format: Format,
    output: BinaryIO,
    max_rows: int | None = None,
) -> None:
    """Serialise a query result, refusing it with :class:`TooManyRows` past ``max_rows``."""
    if isinstance(result, ox.QueryBoolean):
        result.serialize(output, format=answer_format.native)
    elif isinstance(result, ox.QuerySolutions):
        if max_rows is None:
            result.serialize(output, format=answer_format.native)
        else:
            write_solutions(result, answer_format, output, max_rows)
    elif max_rows is None:
        ox.serialize(result, output, format=answer_format.native)
    else:
        write_triples(result, answer_format, output, max_rows)


def write_triples(
    triples: Iterable[ox.Triple], answer_format: Format, output: BinaryIO, max_rows: int
) -> None:
    """Serialise triples, distinct ones counted, refusing past ``max_rows``."""
    ox.serialize(_distinct_within(triples, max_rows), output, format=answer_format.native)


def write_solutions(
    solutions: ox.QuerySolutions, answer_format: Format, output: BinaryIO, max_rows: int
) -> None:
    """Serialise solutions, refusing past ``max_rows``.

    The counted solutions are written as SPARQL JSON results; any other format is made
    from that by pyoxigraph's own writers, so every format reads exactly as unlimited
    answers do.
    """
    names = [variable.value for variable in solutions.variables]
    rows = []
    for count, solution in enumerate(solutions, start=1):
        if count > max_rows:
            raise TooManyRows(max_rows, "rows")
        pairs = zip(names, solution, strict=True)  # a solution's terms in variable order
        rows.append({name: _json_term(term) for name, term in pairs if term is not None})
    document = json.dumps(
        {"head": {"vars": names}, "results": {"bindings": rows}}, ensure_ascii=False
    ).encode()
    if answer_format.native == ox.QueryResultsFormat.JSON:
        output.write(document)
        return
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    parsed.serialize(output, format=answer_format.native)


def _distinct_within(triples: Iterable[ox.Triple], max_rows: int) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple in seen:
            continue
        seen.add(triple)
        if len(seen) > max_rows:
            raise TooManyRows(max_rows, "triples")
        yield triple


def _json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict:
    """A term as SPARQL 1.1 JSON results write it (triples as in SPARQL 1.2)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        written: dict = {"type": "literal", "value": term.value}
        if term.language:
            written["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            written["datatype"] = term.datatype.value
        return written
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }
