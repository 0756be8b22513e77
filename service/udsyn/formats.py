"""Result and RDF formats: names, media types, and content negotiation."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class Format:
    """A serialisation udsyn can write: its short name, media type and pyoxigraph format."""

    name: str
    media_type: str
    native: QueryResultsFormat | RdfFormat
    aliases: tuple[str, ...] = ()
    extension: str = ""

    @property
    def is_rdf(self) -> bool:
        return isinstance(self.native, RdfFormat)


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", QueryResultsFormat.JSON,
           ("application/json",), ".srj"),
    Format("xml", "application/sparql-results+xml", QueryResultsFormat.XML,
           ("application/xml", "text/xml"), ".srx"),
    Format("csv", "text/csv", QueryResultsFormat.CSV, (), ".csv"),
    Format("tsv", "text/tab-separated-values", QueryResultsFormat.TSV, (), ".tsv"),
)  # fmt: skip

GRAPH_FORMATS: tuple[Format, ...] = (
    # The aliases include the format names clients such as SPARQLWrapper send as `format`.
    Format("turtle", "text/turtle", RdfFormat.TURTLE, ("application/x-turtle", "ttl", "n3"),
           ".ttl"),
    Format("ntriples", "application/n-triples", RdfFormat.N_TRIPLES,
           ("text/plain", "nt", "n-triples"), ".nt"),
    Format("jsonld", "application/ld+json", RdfFormat.JSON_LD, ("application/json", "json-ld"),
           ".jsonld"),
    Format("rdfxml", "application/rdf+xml", RdfFormat.RDF_XML,
           ("application/xml", "text/xml", "rdf+xml", "xml", "rdf"), ".rdf"),
)  # fmt: skip

DATASET_FORMATS: tuple[Format, ...] = (
    Format("trig", "application/trig", RdfFormat.TRIG, (), ".trig"),
    Format("nquads", "application/n-quads", RdfFormat.N_QUADS, (), ".nq"),
)


class NotAcceptable(ValueError):
    """None of the formats a client accepts can be written for this kind of result."""


class UnknownFormat(NotAcceptable):
    """A format asked for by a name that none of the formats on offer has."""


def choose_format(accept: str | None, named: str | None, choices: tuple[Format, ...]) -> Format:
    """The answer format: the one ``named`` (a ``format`` parameter) or the best for ``accept``.

    A name none of the choices has raises :class:`UnknownFormat`; an Accept header none of them
    satisfies, :class:`NotAcceptable`.
    """
    return by_name(named, choices) if named else negotiate(accept, choices)


def by_name(name: str, choices: tuple[Format, ...]) -> Format:
    """The format called ``name`` (a short name or a media type) among ``choices``."""
    wanted = name.strip().lower()
    for candidate in choices:
        if wanted in (candidate.name, candidate.media_type, *candidate.aliases):
            return candidate
    known = ", ".join(dict.fromkeys(candidate.name for candidate in choices))
    raise UnknownFormat(f"unknown format {name!r}; choose one of {known}")


def negotiate(accept: str | None, choices: tuple[Format, ...]) -> Format:
    """The best of ``choices`` for an HTTP ``Accept`` header (q-values honoured).

    Among equally acceptable formats the earlier choice wins, so the first one is the default.
    """
    best = _best(accept, choices)
    if best is None:
        offered = ", ".join(candidate.media_type for candidate in choices)
        raise NotAcceptable(f"cannot answer in any of {accept!r}; available: {offered}")
    return best


@functools.lru_cache(maxsize=256)  # clients send the same few Accept headers again and again
def _best(accept: str | None, choices: tuple[Format, ...]) -> Format | None:
    if not accept or not accept.strip():
        return choices[0]
    best: tuple[float, int, Format] | None = None
    for rank, candidate in enumerate(choices):
        quality = _quality(accept, candidate)
        if quality > 0 and (best is None or (quality, -rank) > (best[0], -best[1])):
            best = (quality, rank, candidate)
    return None if best is None else best[2]


def _quality(accept: str, candidate: Format) -> float:
    """How much the client wants ``candidate``: its most specific matching range decides."""
    kind = candidate.media_type.partition("/")[0]
    names = {candidate.media_type, *candidate.aliases}
    found: tuple[int, float] | None = None
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        media_range = media_range.lower()
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range in names:
            specificity = 3 if media_range == candidate.media_type else 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if found is None or specificity > found[0]:
            found = (specificity, quality)
    return found[1] if found else 0.0
