"""Reading RDF files into quads, with errors that say which file, line and column.

All parsing uses pyoxigraph's parsers, which never fetch anything: JSON-LD remote contexts
are refused and RDF/XML external entities are not resolved. RDF/XML entity declarations are
read first with expat (a real XML parser) and refused when they would expand past
:data:`MAX_ENTITY_EXPANSION` characters or name anything outside the file.

The shipped files declare ``@base <https://w3id.org/udsyn/>``, so any parser reads them with
absolute IRIs. A file's ``@base`` overrides the base a parser is given, so when udsyn is
configured with another base the loader moves every IRI under :data:`PUBLISHED_IDS` to the
same path under it (:func:`rebased`); the ontology and shapes namespaces never move.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse

from udsyn.config import DEFAULT_BASE_IRI
from udsyn.shipped import ONTOLOGY_IRI, data_files, ontology_files

FORMATS_BY_SUFFIX: dict[str, RdfFormat] = {
    ".ttl": RdfFormat.TURTLE,
    ".nt": RdfFormat.N_TRIPLES,
    ".nq": RdfFormat.N_QUADS,
    ".trig": RdfFormat.TRIG,
    ".rdf": RdfFormat.RDF_XML,
    ".owl": RdfFormat.RDF_XML,
    ".xml": RdfFormat.RDF_XML,
    ".jsonld": RdfFormat.JSON_LD,
    ".json": RdfFormat.JSON_LD,
}


class LoadError(Exception):
    """An input that cannot be read, with where the problem is."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = ":".join(str(part) for part in (self.path, line, column) if part is not None)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """One file to load, and the named graph its triples go to (``None``: the default graph)."""

    path: Path
    graph: NamedNode | None = None

    @property
    def format(self) -> RdfFormat:
        try:
            return FORMATS_BY_SUFFIX[self.path.suffix.lower()]
        except KeyError:
            known = ", ".join(sorted(FORMATS_BY_SUFFIX))
            raise LoadError(self.path, f"unknown file type; udsyn reads {known}") from None


def collect_sources(paths: Iterable[Path | str], graph: str | None = None) -> list[Source]:
    """The files named, with folders expanded to the RDF files inside them (recursively)."""
    target = NamedNode(graph) if graph else None
    sources: list[Source] = []
    for given in map(Path, paths):
        if given.is_dir():
            found = sorted(
                path for path in given.rglob("*") if path.suffix.lower() in FORMATS_BY_SUFFIX
            )
            if not found:
                raise LoadError(given, "the folder holds no RDF files")
            sources.extend(Source(path, target) for path in found)
        elif given.is_file():
            source = Source(given, target)
            source.format  # noqa: B018 - refuse an unknown file type before anything is read
            sources.append(source)
        else:
            raise LoadError(given, "no such file or folder")
    return sources


def shipped_sources() -> list[Source]:
    """The graph udsyn ships: the ontology in its own named graph, and the strategy data."""
    ontology = NamedNode(ONTOLOGY_IRI)
    return [Source(path, ontology) for path in ontology_files()] + [
        Source(path) for path in data_files()
    ]


MAX_ENTITY_EXPANSION = 1_000_000  # characters one entity reference may stand for


PUBLISHED_IDS = DEFAULT_BASE_IRI + "id/"  # the data's IRIs as the shipped files write them

Term = NamedNode | BlankNode | Literal | Triple


def rebased_term(term: Term, ids: str) -> Term:
    """``term`` with an IRI under :data:`PUBLISHED_IDS` moved under ``ids`` (also inside a
    triple term); every other term as it is."""
    if isinstance(term, NamedNode) and term.value.startswith(PUBLISHED_IDS):
        return NamedNode(ids + term.value[len(PUBLISHED_IDS) :])
    if isinstance(term, Triple):
        return Triple(*(rebased_term(part, ids) for part in term))
    return term


def rebased(quad: Quad, base_iri: str) -> Quad:
    """``quad`` with every IRI under :data:`PUBLISHED_IDS` (subject, predicate, object, graph
    name) moved to ``base_iri + "id/..."``."""
    ids = base_iri + "id/"
    graph = quad.graph_name
    return Quad(
        rebased_term(quad.subject, ids),
        rebased_term(quad.predicate, ids),
        rebased_term(quad.object, ids),
        graph if isinstance(graph, DefaultGraph) else rebased_term(graph, ids),
    )


def read_quads(source: Source, base_iri: str) -> Iterator[Quad]:
    """The quads of one file; relative IRIs resolve against ``base_iri``, and IRIs under
    :data:`PUBLISHED_IDS` (a file's ``@base`` wins over ``base_iri``) are moved under it."""
    if source.format == RdfFormat.RDF_XML:
        check_entities(source.path)
    moved = base_iri != DEFAULT_BASE_IRI
    try:
        with source.path.open("rb") as stream:
            for quad in parse(stream, format=source.format, base_iri=base_iri):
                if moved:
                    quad = rebased(quad, base_iri)
                if source.graph is not None and isinstance(quad.graph_name, DefaultGraph):
                    quad = Quad(quad.subject, quad.predicate, quad.object, source.graph)
                yield quad
    except SyntaxError as error:
        raise _located(source.path, error) from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(source.path, str(error)) from None


def read_all(
    sources: Iterable[Source],
    base_iri: str,
    on_file: Callable[[Source], None] | None = None,
) -> Iterator[Quad]:
    """The quads of every source in turn; ``on_file`` is told when a file is finished."""
    for source in sources:
        yield from read_quads(source, base_iri)
        if on_file is not None:
            on_file(source)


def _located(path: Path, error: SyntaxError) -> LoadError:
    details = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], tuple) else ()
    line = details[1] if len(details) > 1 else None
    column = details[2] if len(details) > 2 else None
    return LoadError(path, str(error.args[0] if error.args else error), line, column)


class _DoctypeRead(Exception):
    """The document type declaration has been read; the rest of the file is not needed."""


def check_entities(path: Path) -> None:
    """Refuse an XML file whose entities name other files or expand past the limit.

    Reads only the document type declaration, with expat, which expands nothing here.
    """
    declared: dict[str, str] = {}
    where: dict[str, int] = {}
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def entity(name, _parameter, value, _base, system_id, public_id, _notation) -> None:
        if value is None or system_id or public_id:
            raise LoadError(path, f"the entity {name!r} refers outside the file; udsyn does not "
                            "read external entities", parser.CurrentLineNumber)  # fmt: skip
        declared[name] = value
        where[name] = parser.CurrentLineNumber

    def end_doctype() -> None:
        raise _DoctypeRead

    parser.EntityDeclHandler = entity
    parser.EndDoctypeDeclHandler = end_doctype
    parser.StartElementHandler = lambda *_: end_doctype()
    try:
        with path.open("rb") as stream:
            parser.ParseFile(stream)
    except (_DoctypeRead, expat.ExpatError):
        pass  # syntax errors are reported by the RDF/XML parser, with their place
    sizes: dict[str, int] = {}
    for name in declared:
        if _expanded_size(name, declared, sizes, ()) > MAX_ENTITY_EXPANSION:
            raise LoadError(
                path,
                f"the entity {name!r} expands to more than {MAX_ENTITY_EXPANSION} characters; "
                "udsyn refuses entity expansion of that size",
                where[name],
            )


_REFERENCE = re.compile(r"&([A-Za-z_:][\w.:-]*);")


def _expanded_size(
    name: str, declared: dict[str, str], sizes: dict[str, int], seen: tuple[str, ...]
) -> int:
    """How many characters a reference to ``name`` stands for once fully expanded."""
    if name in sizes:
        return sizes[name]
    if name in seen or name not in declared:
        return 0  # a cycle or a predefined entity: the XML parser refuses or keeps it small
    value = declared[name]
    size = len(_REFERENCE.sub("", value))
    for reference in _REFERENCE.findall(value):
        size += _expanded_size(reference, declared, sizes, (*seen, name))
        if size > MAX_ENTITY_EXPANSION:
            break
    sizes[name] = size
    return size
