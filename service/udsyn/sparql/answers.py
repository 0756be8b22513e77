"""Writing answers with a row limit counted on what the engine streams.

The limit is never put into the query: solutions and triples are counted as the engine (or a
remote server's answer) yields them, and the answer is refused at the first one past the
limit, so no work is spent on the rest and no truncated answer is ever written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import pyoxigraph as ox

from udsyn.formats import Format


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

    pyoxigraph writes them as TSV, which holds one row a line (line breaks inside values are
    escaped), into a sink that counts lines and stops the writer at the first row too many.
    TSV is the answer, or is read back and written in the format asked for: every step is
    pyoxigraph's own, so each format reads exactly as an unlimited answer does.
    """
    counted = _LineLimit(max_rows + 1)  # the header line, then one line a row
    solutions.serialize(counted, format=ox.QueryResultsFormat.TSV)
    if answer_format.native == ox.QueryResultsFormat.TSV:
        output.write(counted.buffer)
        return
    rows = ox.parse_query_results(bytes(counted.buffer), format=ox.QueryResultsFormat.TSV)
    rows.serialize(output, format=answer_format.native)


class _LineLimit:
    """A file-like buffer that raises :class:`TooManyRows` once it holds too many lines."""

    def __init__(self, most_lines: int) -> None:
        self.most_lines = most_lines
        self.lines = 0
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        if self.lines > self.most_lines:
            raise TooManyRows(self.most_lines - 1, "rows")
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass


def _distinct_within(triples: Iterable[ox.Triple], max_rows: int) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple in seen:
            continue
        seen.add(triple)
        if len(seen) > max_rows:
            raise TooManyRows(max_rows, "triples")
        yield triple
