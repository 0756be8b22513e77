"""The vocabularies udsyn speaks, with their customary prefixes."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

UDS = "https://w3id.org/udsyn/ontology#"

VOCABULARIES: dict[str, str] = {
    "uds": UDS,
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "time": "http://www.w3.org/2006/time#",
    "schema": "http://schema.org/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def compact(term: NamedNode | BlankNode | Literal | Triple | None, base_iri: str) -> str:
    """A short, readable form of a term: prefixed names, base-relative IRIs, literal text.

    A vocabulary's prefix wins over the base, so the ontology's terms read ``uds:Decision``
    even where the ontology's namespace lies under the base.
    """
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        iri = term.value
        for name, namespace in VOCABULARIES.items():
            if iri.startswith(namespace) and iri != namespace:
                return f"{name}:{iri[len(namespace) :]}"
        if iri.startswith(base_iri):
            return f"<{iri[len(base_iri) :]}>"
        return f"<{iri}>"
    if isinstance(term, Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)


def serialisation_prefixes(base_iri: str) -> dict[str, str]:
    """Prefixes for writing Turtle and TriG: the vocabularies, and the base as ``@base``."""
    return dict(VOCABULARIES)
