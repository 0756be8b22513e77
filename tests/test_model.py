"""The knowledge model itself: ontology metadata, bilingual terms, schemes and provenance."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from udsyn.shipped import ONTOLOGY_IRI
from udsyn.store import EmbeddedStore

from .conftest import BASE

UDS = "https://w3id.org/udsyn/ontology#"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_2eaaab2dc27a2109.txt"
PREFIXES = f"""
PREFIX uds: <{UDS}>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX vann: <http://purl.org/vocab/vann/>
"""


def values(store: EmbeddedStore, query: str) -> list[tuple[str, ...]]:
    solutions = store.select(PREFIXES + query)
    names = [variable.value for variable in solutions.variables]
    return [tuple(row[name].value if row[name] else "" for name in names) for row in solutions]


def test_the_ontology_describes_itself(strategy_store: EmbeddedStore) -> None:
    found = dict(
        values(
            strategy_store,
            f"""SELECT ?p ?o WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{ <{ONTOLOGY_IRI}> ?p ?o }}
                 FILTER(?p IN (owl:versionIRI, owl:versionInfo, dct:license,
                               vann:preferredNamespacePrefix, vann:preferredNamespaceUri)) }}""",
        )
    )
    assert found == {
        "http://www.w3.org/2002/07/owl#versionIRI": f"{ONTOLOGY_IRI}/0.1.0",
        "http://www.w3.org/2002/07/owl#versionInfo": "0.1.0",
        "http://purl.org/dc/terms/license": "https://creativecommons.org/licenses/by/4.0/",
        "http://purl.org/vocab/vann/preferredNamespacePrefix": "uds",
        "http://purl.org/vocab/vann/preferredNamespaceUri": UDS,
    }
    described = values(
        strategy_store,
        f"""SELECT (lang(?d) AS ?lang) WHERE {{ <{ONTOLOGY_IRI}> dct:description ?d }}
            ORDER BY ?lang""",
    )
    assert described == [("da",), ("en",)]
    assert strategy_store.ask(
        PREFIXES + f"ASK {{ <{ONTOLOGY_IRI}> a owl:Ontology ; dct:creator ?c }}"
    )


def terms(store: EmbeddedStore) -> list[str]:
    return [
        term
        for (term,) in values(
            store,
            f"""SELECT DISTINCT ?t WHERE {{
                  ?t a ?kind FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
                  FILTER(STRSTARTS(STR(?t), "{UDS}")) }} ORDER BY ?t""",
        )
    ]


def test_the_ontology_has_its_terms(strategy_store: EmbeddedStore) -> None:
    found = {term.removeprefix(UDS) for term in terms(strategy_store)}
    needed = {
        "RegionalAuthority", "PoliticalBody", "RegionalCouncil", "GrowthForum",
        "PreparatoryCommittee", "AdministrativeUnit", "Department", "Secretariat", "Municipality",
        "Association", "NetworkOfRegions", "Commission", "EUInstitutionOrBody", "OfficeAbroad",
        "BusinessOffice", "RepresentationOffice", "CulturalInstitute", "Library", "NationalAgency",
        "Country", "Region", "City", "CooperationAgreement", "Decision", "Programme", "Fund",
        "FundingPeriod", "Strategy", "Vision", "Purpose", "Principle", "FocusArea",
        "SourcePassage", "locatedIn", "party", "partnerRegion", "continues", "servesFocusArea",
        "decidingBody", "decisionDate", "onRecommendationOf", "startDate", "endDate", "status",
    }  # fmt: skip
    assert needed <= found, sorted(needed - found)


def test_every_term_has_danish_and_english_labels_and_a_definition(
    strategy_store: EmbeddedStore,
) -> None:
    lacking = values(
        strategy_store,
        f"""SELECT ?t ?missing WHERE {{
              ?t a ?kind FILTER(?kind IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
              FILTER(STRSTARTS(STR(?t), "{UDS}"))
              {{ FILTER NOT EXISTS {{ ?t rdfs:label ?l FILTER(lang(?l) = "da") }}
                 BIND("label@da" AS ?missing) }}
              UNION {{ FILTER NOT EXISTS {{ ?t rdfs:label ?l FILTER(lang(?l) = "en") }}
                 BIND("label@en" AS ?missing) }}
              UNION {{ FILTER NOT EXISTS {{ ?t skos:definition ?d FILTER(lang(?d) = "en") }}
                 BIND("definition@en" AS ?missing) }}
              UNION {{ FILTER NOT EXISTS {{ ?t rdfs:isDefinedBy <{ONTOLOGY_IRI}> }}
                 BIND("isDefinedBy" AS ?missing) }}
            }} ORDER BY ?t""",
    )
    assert lacking == []
    assert len(terms(strategy_store)) >= 100


def test_terms_are_aligned_with_the_standards_they_build_on(
    strategy_store: EmbeddedStore,
) -> None:
    aligned = values(
        strategy_store,
        """SELECT ?term ?parent WHERE {
             VALUES (?term ?parent) {
               (uds:OfficeAbroad <http://www.w3.org/ns/org#Organization>)
               (uds:Decision <http://www.w3.org/ns/prov#Activity>)
               (uds:SourcePassage <http://www.w3.org/ns/prov#Entity>)
               (uds:Participation <http://www.w3.org/ns/org#Membership>)
             }
             ?term rdfs:subClassOf+ ?parent }""",
    )
    assert len(aligned) == 4
    assert strategy_store.ask(
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX uds: <" + UDS + "> "
        "ASK { ?a owl:disjointWith ?b }"
    )


@pytest.mark.parametrize("scheme", ["focus-area", "organisation-kind", "agreement-status"])
def test_concept_schemes_are_in_the_data(strategy_store: EmbeddedStore, scheme: str) -> None:
    concepts = values(
        strategy_store,
        f"""SELECT ?c WHERE {{
              ?s a skos:ConceptScheme FILTER(CONTAINS(STR(?s), "{scheme}"))
              ?c skos:inScheme ?s ; skos:prefLabel ?da , ?en
              FILTER(lang(?da) = "da" && lang(?en) = "en") }}""",
    )
    assert concepts, scheme


def test_nothing_lies_in_the_default_graph(strategy_store: EmbeddedStore) -> None:
    default = strategy_store.native.query("ASK { ?s ?p ?o }", default_graph=ox.DefaultGraph())
    assert bool(default) is False


def test_every_fact_graph_is_a_described_source(strategy_store: EmbeddedStore) -> None:
    undescribed = values(
        strategy_store,
        f"""SELECT DISTINCT ?g WHERE {{
              GRAPH ?g {{ ?s ?p ?o }}
              FILTER(?g != <{ONTOLOGY_IRI}>)
              FILTER NOT EXISTS {{ ?g a uds:SourcePassage ; uds:quotation ?q ; uds:sourceLine ?l }}
              FILTER NOT EXISTS {{ ?g a ?kind FILTER(?kind != uds:SourcePassage) }}
            }}""",
    )
    assert undescribed == []


def test_every_minted_resource_can_be_traced_to_a_source(strategy_store: EmbeddedStore) -> None:
    untraced = values(
        strategy_store,
        f"""SELECT DISTINCT ?s WHERE {{
              ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/"))
              FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?q ?x }} }}
            }}""",
    )
    assert untraced == []


@pytest.mark.skipif(not SEED.is_file(), reason="the source text is not beside the checkout")
def test_every_quotation_stands_in_the_source_text(strategy_store: EmbeddedStore) -> None:
    def normal(text: str) -> str:
        text = re.sub(r"<[^>]+>", " ", text)  # the seed's tables carry a little HTML
        return " ".join(text.replace("*", " ").split())

    source = normal(SEED.read_text(encoding="utf-8"))
    quotations = values(
        strategy_store,
        "SELECT ?passage ?q WHERE { ?passage a uds:SourcePassage ; uds:quotation ?q }",
    )
    assert len(quotations) >= 60
    missing = [(p, q) for p, q in quotations if normal(q) not in source]
    assert missing == []


@pytest.mark.parametrize(
    "subject, predicate, line",
    [
        ("id/decision/2007-01-10-partner-regions", "decisionDate", 48),
        ("id/office/darob-center", "supportedBy", 90),
    ],
)
def test_a_fact_leads_back_to_its_passage(
    strategy_store: EmbeddedStore, subject: str, predicate: str, line: int
) -> None:
    found = values(
        strategy_store,
        f"""SELECT DISTINCT ?line WHERE {{
              GRAPH ?passage {{ <{BASE}{subject}> ?p ?o
                FILTER(STRENDS(STR(?p), "{predicate}")) }}
              ?passage uds:sourceLine ?line }}""",
    )
    assert found == [(str(line),)]
