"""The store interface every backend provides, and the errors it raises.

A store answers queries over the union of its graphs by default, refuses queries that would
reach out or change data (decided on a real parse, :mod:`udsyn.sparql`), and adds data in one
transaction. Use it as a context manager to release it when done.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import pyoxigraph as ox

from udsyn.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name
from udsyn.namespaces import VOCABULARIES
from udsyn.sparql import QueryInfo, QueryRefused, analyse, bind_values
from udsyn.sparql.grammar import Term

JSON_RESULTS = by_name("json", RESULT_FORMATS)
N_TRIPLES = by_name("ntriples", GRAPH_FORMATS)


class StoreError(Exception):
    """Something went wrong in the store; the message says what, for a person."""


class QueryFailed(StoreError):
    """The store could not run the query: it is malformed, refused or failed while running."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


@dataclass(frozen=True)
class Dataset:
    """The graphs a query runs on, as the SPARQL protocol's default- and named-graph-uri.

    A graph the store does not hold is an empty graph: answered over, never fetched.
    """

    default_graphs: Sequence[str] = field(default_factory=tuple)
    named_graphs: Sequence[str] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


class Store(ABC):
    """A SPARQL 1.1 dataset udsyn can query and load."""

    def __init__(self, base_iri: str) -> None:
        self.base_iri = base_iri

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- queries ---------------------------------------------------------------------------

    def check(self, text: str) -> QueryInfo:
        """What the query is, after refusing anything that would fetch or change data.

        The project's vocabularies' prefixes (``uds:``, ``rdfs:`` ...) need no declaring.
        """
        try:
            return analyse(text, self.base_iri, VOCABULARIES)
        except QueryRefused as refusal:
            raise QueryFailed(str(refusal)) from None

    def query(
        self,
        text: str,
        answer_format: Format,
        dataset: Dataset | None = None,
        *,
        max_rows: int | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> bytes:
        """The answer to ``text``, serialised in ``answer_format``.

        ``bindings`` give variables their values, as RDF terms. With ``max_rows``, an answer of more
        rows (or, for CONSTRUCT and DESCRIBE, distinct triples) is refused, not cut.
        """
        buffer = io.BytesIO()
        self.write_answer(text, answer_format, buffer, dataset, max_rows=max_rows,
                          bindings=bindings)  # fmt: skip
        return buffer.getvalue()

    def write_answer(
        self,
        text: str,
        answer_format: Format,
        output: BinaryIO,
        dataset: Dataset | None = None,
        *,
        max_rows: int | None = None,
        bindings: Mapping[str, Term] | None = None,
    ) -> None:
        """Write the answer to ``output`` as it is produced (no limit unless ``max_rows``)."""
        bound, info, dataset = self._prepared(text, dataset, bindings, answer_format)
        if info.rows_within(max_rows):  # its own LIMIT keeps it within: nothing to count
            max_rows = None
        self._run(bound, info, answer_format, output, dataset, max_rows)

    def _prepared(
        self,
        text: str,
        dataset: Dataset | None,
        bindings: Mapping[str, Term] | None,
        answer_format: Format | None = None,
    ) -> tuple[str, QueryInfo, Dataset]:
        """The query checked (against the answer format, if one is given), its bindings in
        place, and the dataset it runs over."""
        info = self.check(text)
        if answer_format is not None and info.returns_graph != answer_format.is_rdf:
            raise QueryFailed(f"a {info.form} query cannot be answered as {answer_format.name}")
        try:
            bound = self._bind(text, info, bindings or {})
        except QueryRefused as refusal:
            raise QueryFailed(str(refusal)) from None
        # The protocol's dataset replaces the query's FROM and FROM NAMED, as SPARQL says.
        return bound, info, dataset or Dataset(info.default_graphs, info.named_graphs)

    def _bind(self, text: str, info: QueryInfo, bindings: Mapping[str, Term]) -> str:
        """The query with its parameters bound (a ``VALUES`` block; servers may differ)."""
        return bind_values(text, info, bindings)

    def select(
        self,
        text: str,
        dataset: Dataset | None = None,
        *,
        bindings: Mapping[str, Term] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        """The solutions of a SELECT query as pyoxigraph terms (an ASK gives its boolean)."""
        answer = self.query(text, JSON_RESULTS, dataset, bindings=bindings)
        return ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)

    def ask(self, text: str) -> bool:
        return bool(self.select(text))

    def is_empty(self) -> bool:
        return not self.ask("ASK { ?s ?p ?o }")

    def triple_count(self) -> int:
        """How many distinct triples the union of all graphs holds."""
        solutions = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        )
        return int(next(iter(solutions))["n"].value)

    def triples(self) -> Iterator[ox.Triple]:
        """Every distinct triple of the union of all graphs."""
        answer = self.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
            N_TRIPLES,
        )
        for quad in ox.parse(answer, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple

    # -- what each backend provides ---------------------------------------------------------

    @abstractmethod
    def _run(
        self,
        text: str,
        info: QueryInfo,
        answer_format: Format,
        output: BinaryIO,
        dataset: Dataset,
        max_rows: int | None,
    ) -> None:
        """Run a checked (and bound) query and write its serialised answer to ``output``."""

    @abstractmethod
    def graph_names(self) -> set[str]:
        """The IRIs of the named graphs the store holds."""

    @abstractmethod
    def quads(self) -> Iterator[ox.Quad]:
        """Every quad, named graphs included."""

    @abstractmethod
    def update(self, text: str) -> None:
        """Apply a SPARQL 1.1 Update (udsyn's own, never a user's) in one transaction."""

    @abstractmethod
    def add_all(self, quads: Iterable[ox.Quad]) -> int:
        """Add every quad in one transaction; if anything fails, nothing is added.

        Returns how many quads were read.
        """

    @property
    @abstractmethod
    def description(self) -> str:
        """Where the data lives, for people."""

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release the store (a no-op where there is nothing to release)."""


class Counter:
    """Passes quads through and counts them."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._quads = quads
        self.count = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self._quads:
            self.count += 1
            yield quad
