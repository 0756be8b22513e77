"""What the graph says about one resource, read through the query workers.

Every query here is fixed text; the resource, the search text and the language are bound as
RDF terms (``bindings``), never written into the text. The answers come back as SPARQL JSON
results and are turned into pyoxigraph quads, from which both the RDF documents and the
pages are made.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
from fastapi import Request

from udsyn.runtime.worker import Job
from udsyn.sparql.grammar import Term

PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX uds: <https://w3id.org/udsyn/ontology#>
"""

# The resource's own statements, those that point to it, the facts of the graph it names (a
# passage's or a reading's), the labels of everything linked (values, subjects, properties,
# types) and each fact's source passage.
DESCRIBE = (
    PREFIXES
    + """SELECT DISTINCT ?s ?p ?o ?g WHERE {
  { GRAPH ?g { ?r ?p ?o } BIND(?r AS ?s) }
  UNION { GRAPH ?g { ?s ?p ?r } BIND(?r AS ?o) }
  UNION { GRAPH ?r { ?s ?p ?o } BIND(?r AS ?g) }
  UNION {
    { GRAPH ?g1 { ?r ?p1 ?s } FILTER(isIRI(?s)) }
    UNION { GRAPH ?g1 { ?s ?p1 ?r } }
    UNION { GRAPH ?g1 { ?r ?s ?o1 } }
    UNION { GRAPH ?g1 { ?x1 ?s ?r } }
    UNION { GRAPH ?r { ?s ?p1 ?o1 } }
    UNION { GRAPH ?r { ?x1 ?p1 ?s } FILTER(isIRI(?s)) }
    UNION { GRAPH ?r { ?x1 ?s ?o1 } }
    VALUES ?p { rdfs:label skos:prefLabel }
    GRAPH ?g { ?s ?p ?o }
  }
  UNION {
    { GRAPH ?s { ?r ?p1 ?o1 } } UNION { GRAPH ?s { ?x1 ?p1 ?r } }
    VALUES ?p { rdf:type rdfs:label uds:quotation uds:sourceLine uds:section dct:isPartOf }
    GRAPH ?g { ?s ?p ?o }
  }
}"""
)

# The concepts of a scheme with their labels and definitions in every language.
CONCEPTS = (
    PREFIXES
    + """SELECT ?s ?p ?o ?g WHERE {
  GRAPH ?g0 { ?s skos:inScheme ?r }
  VALUES ?p { skos:prefLabel skos:definition skos:notation }
  GRAPH ?g { ?s ?p ?o }
}"""
)

SEARCH = (
    PREFIXES
    + """SELECT DISTINCT ?s ?label WHERE {
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel }
  ?s ?p ?label
  FILTER(isIRI(?s) && isLiteral(?label) && CONTAINS(LCASE(STR(?label)), LCASE(STR(?q))))
} ORDER BY STRLEN(STR(?label)) LIMIT 200"""
)

COUNTS = (
    PREFIXES
    + """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?s a ?class FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(?base)))
} GROUP BY ?class ORDER BY DESC(?n) ?class"""
)

ENTRY_POINTS = (
    PREFIXES
    + """SELECT DISTINCT ?kind ?s ?sort WHERE {
  { ?x uds:partnerRegion ?y ; uds:party ?s . ?s a uds:RegionalAuthority
    BIND("home" AS ?kind) }
  UNION { ?s uds:documentedIn ?d BIND("home" AS ?kind) }
  UNION { ?s a uds:Decision ; uds:decisionDate ?sort BIND("decisions" AS ?kind) }
  UNION { ?x uds:partnerRegion ?s BIND("partners" AS ?kind) }
  UNION { ?x uds:hasFocusArea ?s BIND("focus" AS ?kind) }
  UNION { ?s a skos:ConceptScheme BIND("schemes" AS ?kind) }
  UNION { ?s a uds:Document BIND("documents" AS ?kind) }
}"""
)

LABELS = (
    PREFIXES
    + """SELECT DISTINCT ?s ?p ?o ?g WHERE {
  VALUES ?p { rdfs:label skos:prefLabel }
  GRAPH ?g { ?s ?p ?o }
  FILTER(isIRI(?s) && (STRSTARTS(STR(?s), STR(?base)) || STRSTARTS(STR(?s), STR(uds:))))
}"""
)


async def select(request: Request, text: str, bindings: Mapping[str, Term]) -> list[dict]:
    """The solutions of a fixed SELECT query, run by a query worker, as dicts of terms."""
    job = Job(text, "json", bindings=tuple(bindings.items()),
              max_rows=request.app.state.settings.max_rows)  # fmt: skip
    answer = await request.app.state.pool.run(job)
    solutions = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in solutions]


async def quads(request: Request, text: str, bindings: Mapping[str, Term]) -> list[ox.Quad]:
    """The quads a fixed ``?s ?p ?o ?g`` query selects."""
    rows = await select(request, text, bindings)
    return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]


async def describe(request: Request, iri: str) -> list[ox.Quad]:
    """What the graph says about ``iri``: empty when the graph does not hold it."""
    found = await quads(request, DESCRIBE, {"r": ox.NamedNode(iri)})
    return sorted(found, key=lambda quad: (quad.subject.value != iri, quad.object.value != iri))


async def concepts(request: Request, scheme: str) -> list[ox.Quad]:
    """The labels, definitions and notations of a concept scheme's concepts."""
    return await quads(request, CONCEPTS, {"r": ox.NamedNode(scheme)})


async def labels(request: Request) -> list[ox.Quad]:
    """Every label of a resource under the base or a term of the ontology."""
    base = ox.Literal(request.app.state.settings.base_iri)
    return await quads(request, LABELS, {"base": base})
