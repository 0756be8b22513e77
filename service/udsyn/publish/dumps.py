"""The release's data files: the whole graph in six serialisations, each also gzipped, and the
ontology, the concept schemes and the shapes as files of their own.

Every file is written with absolute IRIs (prefixed names at most, never ``@base``), in a
fixed order, so the same store always gives the same bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from udsyn.loading import Source as FileSource
from udsyn.loading import read_all
from udsyn.namespaces import VOCABULARIES
from udsyn.shipped import ONTOLOGY_IRI, shape_files, shipped_dir


@dataclass(frozen=True)
class Serialisation:
    """How a data file is written: its RDF format, IANA media type and EU file-type code."""

    format: ox.RdfFormat
    media_type: str
    file_type: str
    label: str

    @property
    def keeps_graphs(self) -> bool:
        return self.format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


NQUADS = Serialisation(ox.RdfFormat.N_QUADS, "application/n-quads", "RDF_N_QUADS", "N-Quads")
TRIG = Serialisation(ox.RdfFormat.TRIG, "application/trig", "RDF_TRIG", "TriG")
TURTLE = Serialisation(ox.RdfFormat.TURTLE, "text/turtle", "RDF_TURTLE", "Turtle")
NTRIPLES = Serialisation(
    ox.RdfFormat.N_TRIPLES, "application/n-triples", "RDF_N_TRIPLES", "N-Triples"
)
JSONLD = Serialisation(ox.RdfFormat.JSON_LD, "application/ld+json", "JSON_LD", "JSON-LD")
RDFXML = Serialisation(ox.RdfFormat.RDF_XML, "application/rdf+xml", "RDF_XML", "RDF/XML")

# The whole graph: with its source graphs first, then merged.
GRAPH_DUMPS = {
    "udsyn.nq": NQUADS,
    "udsyn.trig": TRIG,
    "udsyn.ttl": TURTLE,
    "udsyn.nt": NTRIPLES,
    "udsyn.jsonld": JSONLD,
    "udsyn.rdf": RDFXML,
}
GZIP_MEDIA_TYPE = "application/gzip"

VOCABULARIES_GRAPH = "id/graph/vocabularies"


@dataclass(frozen=True)
class DataFile:
    """One file of the release that holds data, with what a catalogue says of it."""

    name: str
    content: bytes
    serialisation: Serialisation | None  # None: the partner-register CSV
    title_en: str
    title_da: str
    gzipped: bool = False


def serialise(quads: Iterable[ox.Quad], serialisation: Serialisation) -> bytes:
    """Quads in a fixed order (merged into triples unless the format keeps graphs)."""
    if serialisation.keeps_graphs:
        content: list = sorted(set(quads), key=_order)
    else:
        content = sorted({quad.triple for quad in quads}, key=_order)
    prefixes = None if serialisation.format in _NO_PREFIXES else VOCABULARIES
    return ox.serialize(content, format=serialisation.format, prefixes=prefixes)


_NO_PREFIXES = (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES)


def _order(statement: ox.Quad | ox.Triple) -> tuple[str, ...]:
    if isinstance(statement, ox.Quad):
        return (str(statement.graph_name), *_order(statement.triple))
    return (str(statement.subject), str(statement.predicate), str(statement.object))


def gzipped(content: bytes) -> bytes:
    """``content`` gzipped without a name or time stamp, so the bytes depend on it alone."""
    return gzip.compress(content, compresslevel=9, mtime=0)


def graph_dumps(quads: Sequence[ox.Quad]) -> list[DataFile]:
    """The whole graph in every serialisation, each followed by its gzipped copy."""
    files: list[DataFile] = []
    for name, serialisation in GRAPH_DUMPS.items():
        content = serialise(quads, serialisation)
        what = "with its source graphs" if serialisation.keeps_graphs else "merged"
        hvad = "med kildegraferne" if serialisation.keeps_graphs else "samlet"
        title_en = f"The whole graph, {what} ({serialisation.label})"
        title_da = f"Hele grafen, {hvad} ({serialisation.label})"
        files.append(DataFile(name, content, serialisation, title_en, title_da))
        files.append(
            DataFile(f"{name}.gz", gzipped(content), serialisation,
                     f"{title_en}, gzipped", f"{title_da}, gzip-komprimeret", gzipped=True)
        )  # fmt: skip
    return files


def model_files(quads: Sequence[ox.Quad], base_iri: str) -> list[DataFile]:
    """The ontology and the concept schemes as the store holds them, and the shipped shapes."""
    ontology = _graph(quads, ONTOLOGY_IRI)
    schemes = _graph(quads, base_iri + VOCABULARIES_GRAPH)
    shapes = stable_blank_nodes(read_all(_shape_sources(), base_iri))
    return [
        DataFile("udsyn-ontology.ttl", serialise(ontology, TURTLE), TURTLE,
                 "The udsyn ontology (OWL)", "udsyn-ontologien (OWL)"),
        DataFile("udsyn-concept-schemes.ttl", serialise(schemes, TURTLE), TURTLE,
                 "The concept schemes (SKOS)", "Begrebsskemaerne (SKOS)"),
        DataFile("udsyn-shapes.ttl", serialise(shapes, TURTLE), TURTLE,
                 "The SHACL shapes", "SHACL-formerne"),
    ]  # fmt: skip


_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def stable_blank_nodes(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with their blank nodes renamed in order of first appearance, so that files
    parsed anew (which gives fresh blank nodes) serialise to the same bytes."""
    names: dict[ox.BlankNode, ox.BlankNode] = {}

    def rename(term: _Term) -> _Term:
        if isinstance(term, ox.BlankNode):
            return names.setdefault(term, ox.BlankNode(f"b{len(names)}"))
        return term

    return [
        ox.Quad(rename(quad.subject), quad.predicate, rename(quad.object), quad.graph_name)
        for quad in quads
    ]


def _graph(quads: Sequence[ox.Quad], graph: str) -> list[ox.Quad]:
    name = ox.NamedNode(graph)
    return [quad for quad in quads if quad.graph_name == name]


def _shape_sources() -> list[FileSource]:
    registers = sorted((shipped_dir("shapes") / "registers").glob("*.ttl"))
    return [FileSource(path) for path in [*shape_files(), *registers]]
