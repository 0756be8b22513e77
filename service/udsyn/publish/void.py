"""The VoID description of a release: how much the graph holds and where to get it.

Counts are taken from the quads themselves: triples (distinct, over the merged graph),
entities (subjects under the base IRI), classes and properties with a partition each, and one
subset per named graph with its triples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from udsyn.publish import vocabulary as v

SD_NAME = "http://www.w3.org/ns/sparql-service-description#name"
RDF_TYPE = ox.NamedNode(v.RDF + "type")


@dataclass(frozen=True)
class VoidFacts:
    """What the VoID description names besides the counts."""

    dataset: str
    base_iri: str
    endpoint: str
    dumps: Sequence[str]
    licence: str
    publisher: str
    modified: str
    examples: Sequence[str]


def void_triples(quads: Sequence[ox.Quad], facts: VoidFacts) -> list[ox.Triple]:
    """The VoID description of the graph ``quads`` make up."""
    triples = {quad.triple for quad in quads}
    out: set[ox.Triple] = set()

    def add(subject: str, predicate: str, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        out.add(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value))

    def count(subject: str, predicate: str, number: int) -> None:
        add(subject, v.VOID + predicate, ox.Literal(str(number), datatype=_INTEGER))

    dataset = facts.dataset
    add(dataset, v.RDF + "type", ox.NamedNode(v.VOID + "Dataset"))
    add(dataset, v.DCT + "title", ox.Literal("udsyn knowledge graph", language="en"))
    add(dataset, v.DCT + "title", ox.Literal("udsyn-vidensgrafen", language="da"))
    add(dataset, v.DCT + "license", ox.NamedNode(facts.licence))
    add(dataset, v.DCT + "publisher", ox.NamedNode(facts.publisher))
    add(dataset, v.DCT + "modified", ox.Literal(facts.modified, datatype=_DATE))
    add(dataset, v.VOID + "sparqlEndpoint", ox.NamedNode(facts.endpoint))
    add(dataset, v.VOID + "uriSpace", ox.Literal(facts.base_iri))
    for dump in facts.dumps:
        add(dataset, v.VOID + "dataDump", ox.NamedNode(dump))
    for example in facts.examples:
        add(dataset, v.VOID + "exampleResource", ox.NamedNode(example))
    for namespace in sorted(_vocabularies(triples)):
        add(dataset, v.VOID + "vocabulary", ox.NamedNode(namespace))

    classes = Counter(t.object for t in triples if t.predicate == RDF_TYPE)
    properties = Counter(t.predicate for t in triples)
    count(dataset, "triples", len(triples))
    count(dataset, "entities", len({t.subject for t in triples if _minted(t.subject, facts)}))
    count(dataset, "classes", len(classes))
    count(dataset, "properties", len(properties))
    count(dataset, "distinctSubjects", len({t.subject for t in triples}))
    count(dataset, "distinctObjects", len({t.object for t in triples}))
    for number, (kind, entities) in enumerate(sorted(classes.items(), key=_by_iri), start=1):
        partition = f"{dataset}#class-{number}"
        add(dataset, v.VOID + "classPartition", ox.NamedNode(partition))
        add(partition, v.VOID + "class", kind)
        count(partition, "entities", entities)
    for number, (predicate, used) in enumerate(sorted(properties.items(), key=_by_iri), start=1):
        partition = f"{dataset}#property-{number}"
        add(dataset, v.VOID + "propertyPartition", ox.NamedNode(partition))
        add(partition, v.VOID + "property", predicate)
        count(partition, "triples", used)
    graphs = Counter(quad.graph_name for quad in quads if isinstance(quad.graph_name, ox.NamedNode))
    for number, (graph, size) in enumerate(sorted(graphs.items(), key=_by_iri), start=1):
        subset = f"{dataset}#graph-{number}"
        add(dataset, v.VOID + "subset", ox.NamedNode(subset))
        add(subset, v.RDF + "type", ox.NamedNode(v.VOID + "Dataset"))
        add(subset, SD_NAME, graph)
        count(subset, "triples", size)
    return sorted(out, key=str)


_INTEGER = ox.NamedNode(v.XSD + "integer")
_DATE = ox.NamedNode(v.XSD + "date")


def _by_iri(item: tuple[object, int]) -> str:
    return str(item[0])


def _minted(term: object, facts: VoidFacts) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(facts.base_iri)


def _vocabularies(triples: set[ox.Triple]) -> set[str]:
    """The namespaces of the properties and classes used (up to the last ``#`` or ``/``)."""
    terms = {t.predicate.value for t in triples}
    terms |= {t.object.value for t in triples if t.predicate == RDF_TYPE
              and isinstance(t.object, ox.NamedNode)}  # fmt: skip
    return {term[: max(term.rfind("#"), term.rfind("/")) + 1] for term in terms}
