"""Deterministic synthetic partnership graphs in the udsyn model, for benchmarks.

One home region (Region Midtjylland) holds cooperation agreements with partner regions
abroad. Every agreement has a start date, a status concept, focus areas, the decision that
made it (deciding body, date, recommending body) and, for some, an office abroad based in a
city. Places nest: city ``uds:locatedIn`` region ``uds:locatedIn`` country, so an office is
in its partner's country only through the path ``uds:locatedIn+``. EU offices sit in
Brussels instead, outside the partner's country.

The same ``--seed`` and ``--agreements`` give byte-identical output. The file is N-Triples
(absolute IRIs, one triple a line), which is also valid Turtle, so ``.ttl`` works too::

    python benchmarks/generate.py --agreements 10000 --out benchmarks/work/agreements-10000.nt
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/udsyn/"
ID = BASE + "id/"
UDS = "https://w3id.org/udsyn/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"

# The first three are the Growth Forum's real focus areas (data/vocabularies.trig).
FOCUS_AREAS: tuple[tuple[str, str, str], ...] = (
    ("energy-and-environment", "energi og miljø", "energy and environment"),
    ("business-and-health", "erhverv og sundhed", "business and health"),
    ("food", "fødevarer", "food"),
    ("experience-economy", "oplevelsesøkonomi", "experience economy"),
    ("welfare-innovation", "velfærdsinnovation", "welfare innovation"),
    ("education", "uddannelse", "education"),
    ("research-and-innovation", "forskning og innovation", "research and innovation"),
    ("culture", "kultur", "culture"),
    ("transport", "transport", "transport"),
    ("tourism", "turisme", "tourism"),
    ("trade-and-investment", "handel og investeringer", "trade and investment"),
    ("psychiatry-and-social", "psykiatri og social", "psychiatry and social services"),
)

LEVELS: tuple[tuple[str, str, str], ...] = (
    ("country", "land", "country"),
    ("region", "region", "region"),
    ("city", "by", "city"),
)

STATUSES: tuple[tuple[str, str, str, float], ...] = (
    ("active", "aktiv", "active", 0.55),
    ("continued", "videreført", "continued", 0.15),
    ("transferred", "overført", "transferred", 0.08),
    ("proposed", "foreslået", "proposed", 0.08),
    ("sought", "søgt", "sought", 0.05),
    ("possible", "mulig", "possible", 0.04),
    ("ended", "ophørt", "ended", 0.05),
)

OFFICE_KINDS: tuple[tuple[str, str, str, float], ...] = (
    ("BusinessOffice", "Erhvervskontor", "Business office", 0.45),
    ("RepresentationOffice", "Repræsentationskontor", "Representation office", 0.2),
    ("CulturalInstitute", "Kulturinstitut", "Cultural institute", 0.1),
    ("InnovationCentre", "Innovationscenter", "Innovation centre", 0.15),
    ("EUOffice", "EU-kontor", "EU office", 0.1),
)

# (slug, class, Danish label, English label); the first three as in data/strategy.trig
BODIES: tuple[tuple[str, str, str, str], ...] = (
    ("regionsraadet", "RegionalCouncil", "Regionsrådet",
     "Regional Council (Central Denmark Region)"),
    ("vaekstforum", "GrowthForum", "Vækstforum", "Growth Forum (Central Denmark Region)"),
    ("forberedelsesudvalget", "PreparatoryCommittee", "Forberedelsesudvalget",
     "Preparatory Committee (Central Denmark Region)"),
    ("erhvervsudvalget", "PoliticalBody", "Erhvervsudvalget", "Business Committee"),
)  # fmt: skip
DECIDING_WEIGHTS = (0.7, 0.15, 0.15, 0.0)
RECOMMENDING_WEIGHTS = (0.0, 0.6, 0.0, 0.4)

OFFICE_SHARE = 0.3
RECOMMENDATION_SHARE = 0.6
CITIES_PER_REGION = 2
FIRST_DAY = datetime.date(1990, 1, 1).toordinal()
LAST_DAY = datetime.date(2025, 12, 31).toordinal()

SYLLABLES = (
    "ka", "lo", "mer", "va", "ni", "sto", "bra", "ze", "run", "tal", "qui", "dor", "fe", "han",
    "li", "mos", "pa", "rei", "sa", "tu", "vel", "wi", "xa", "yor", "ga", "ber", "chi", "del",
)  # fmt: skip


# -- terms ------------------------------------------------------------------------------------


def iri(value: str) -> str:
    """An IRI term in N-Triples syntax."""
    return f"<{value}>"


def local(path: str) -> str:
    """An IRI term for a udsyn resource, ``path`` relative to ``id/``."""
    return iri(ID + path)


def uds(name: str) -> str:
    return iri(UDS + name)


def text(value: str, language: str) -> str:
    """A language-tagged literal in N-Triples syntax."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"@{language}'


def date(ordinal: int) -> str:
    """An ``xsd:date`` literal for a day number (``datetime.date.toordinal``)."""
    return f'"{datetime.date.fromordinal(ordinal).isoformat()}"^^{iri(XSD_DATE)}'


A = iri(RDF_TYPE)
LEVEL = "concept/administrative-level/"
LABEL = iri(RDFS + "label")
PREF_LABEL = iri(SKOS + "prefLabel")
IN_SCHEME = iri(SKOS + "inScheme")
CONCEPT = iri(SKOS + "Concept")


def triple(subject: str, predicate: str, obj: str) -> str:
    return f"{subject} {predicate} {obj} .\n"


def labelled(subject: str, da: str, en: str) -> Iterator[str]:
    """The bilingual ``rdfs:label`` of a resource."""
    yield triple(subject, LABEL, text(da, "da"))
    yield triple(subject, LABEL, text(en, "en"))


# -- the world: places, bodies and vocabularies ----------------------------------------------


@dataclass(frozen=True)
class Place:
    """A generated place: its IRI term and its name (for labels)."""

    term: str
    name: str


@dataclass(frozen=True)
class World:
    """The places partner agreements point to."""

    countries: list[Place]
    regions: list[Place]
    region_country: list[int]  # index into countries, per region
    cities: list[Place]  # CITIES_PER_REGION per region, in region order
    brussels: Place


def sizes(agreements: int) -> tuple[int, int]:
    """How many countries and partner regions a graph of ``agreements`` agreements has."""
    countries = max(8, min(150, agreements // 500))
    regions = max(countries, agreements // 4)
    return countries, regions


def name(rng: random.Random, taken: set[str]) -> str:
    """A pronounceable, unique, capitalised made-up name."""
    while True:
        candidate = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if candidate not in taken:
            taken.add(candidate)
            return candidate.capitalize()


def make_world(rng: random.Random, agreements: int) -> World:
    country_count, region_count = sizes(agreements)
    taken: set[str] = set()
    countries = [
        Place(local(f"country/c{index:03d}"), name(rng, taken)) for index in range(country_count)
    ]
    regions = [
        Place(local(f"region/r{index:06d}"), name(rng, taken)) for index in range(region_count)
    ]
    region_country = [rng.randrange(country_count) for _ in range(region_count)]
    cities = [
        Place(local(f"city/r{index:06d}-{number}"), name(rng, taken))
        for index in range(region_count)
        for number in range(CITIES_PER_REGION)
    ]
    return World(countries, regions, region_country, cities, Place(local("city/bruxelles"), ""))


def place_triples(place: str, kind: str, level: str, da: str, en: str) -> Iterator[str]:
    """A place with its class, bilingual label and administrative level."""
    yield triple(place, A, uds(kind))
    yield from labelled(place, da, en)
    yield triple(place, uds("administrativeLevel"), local(LEVEL + level))


def world_triples(world: World) -> Iterator[str]:
    """Countries, partner regions and cities, each nested with ``uds:locatedIn``."""
    for country in world.countries:
        yield from place_triples(
            country.term, "Country", "country", f"{country.name}ien", f"{country.name}ia"
        )
    for index, region in enumerate(world.regions):
        country = world.countries[world.region_country[index]]
        yield from place_triples(
            region.term, "Region", "region", f"Region {region.name}", f"{region.name} Region"
        )
        yield triple(region.term, uds("locatedIn"), country.term)
        for city in world.cities[index * CITIES_PER_REGION : (index + 1) * CITIES_PER_REGION]:
            yield from place_triples(city.term, "City", "city", city.name, city.name)
            yield triple(city.term, uds("locatedIn"), region.term)


def home_triples() -> Iterator[str]:
    """The home region, its authority, its political bodies, and Brussels (IRIs as in data/)."""
    denmark, home = local("country/denmark"), local("region/midtjylland")
    yield from place_triples(denmark, "Country", "country", "Danmark", "Denmark")
    yield from place_triples(home, "Region", "region", "Region Midtjylland",
                             "Central Denmark Region")  # fmt: skip
    yield triple(home, uds("locatedIn"), denmark)
    authority = local("organisation/region-midtjylland")
    yield triple(authority, A, uds("RegionalAuthority"))
    yield from labelled(authority, "Region Midtjylland", "Central Denmark Region")
    yield triple(authority, uds("governs"), home)
    for slug, kind, da, en in BODIES:
        body = local(f"organisation/{slug}")
        yield triple(body, A, uds(kind))
        yield from labelled(body, da, en)
    belgium, capital = local("country/belgium"), local("region/brussels-capital")
    yield from place_triples(belgium, "Country", "country", "Belgien", "Belgium")
    yield from place_triples(capital, "Region", "region", "Region Bruxelles-Hovedstaden",
                             "Brussels-Capital Region")  # fmt: skip
    yield triple(capital, uds("locatedIn"), belgium)
    brussels = local("city/bruxelles")
    yield from place_triples(brussels, "City", "city", "Bruxelles", "Brussels")
    yield triple(brussels, uds("locatedIn"), capital)


def scheme_triples(
    scheme: str, prefix: str, kind: str, concepts: tuple[tuple, ...], da: str, en: str
) -> Iterator[str]:
    """A SKOS scheme ``id/scheme/<scheme>`` of top concepts ``id/<prefix><slug>``."""
    scheme_term = local(f"scheme/{scheme}")
    yield triple(scheme_term, A, iri(SKOS + "ConceptScheme"))
    yield from labelled(scheme_term, da, en)
    yield triple(scheme_term, PREF_LABEL, text(da, "da"))
    yield triple(scheme_term, PREF_LABEL, text(en, "en"))
    for slug, label_da, label_en, *_ in concepts:
        concept = local(prefix + slug)
        yield triple(scheme_term, iri(SKOS + "hasTopConcept"), concept)
        yield triple(concept, A, CONCEPT)
        yield triple(concept, A, uds(kind))
        yield triple(concept, PREF_LABEL, text(label_da, "da"))
        yield triple(concept, PREF_LABEL, text(label_en, "en"))
        yield triple(concept, IN_SCHEME, scheme_term)
        yield triple(concept, iri(SKOS + "topConceptOf"), scheme_term)


# -- agreements ---------------------------------------------------------------------------------


def agreement_triples(rng: random.Random, world: World, number: int) -> Iterator[str]:
    """One agreement with its decision and, sometimes, its office abroad."""
    code = f"{number:06d}"
    agreement, decision = local(f"agreement/a{code}"), local(f"decision/d{code}")
    region_index = rng.randrange(len(world.regions))
    region = world.regions[region_index]
    start = rng.randint(FIRST_DAY + 120, LAST_DAY)
    status = rng.choices(STATUSES, weights=[row[3] for row in STATUSES])[0][0]
    areas = rng.sample(FOCUS_AREAS, rng.randint(1, 3))

    yield triple(agreement, A, uds("CooperationAgreement"))
    yield from labelled(
        agreement, f"Samarbejdsaftale med {region.name} ({code})",
        f"Cooperation agreement with {region.name} ({code})",
    )  # fmt: skip
    yield triple(agreement, uds("party"), local("organisation/region-midtjylland"))
    yield triple(agreement, uds("partnerRegion"), region.term)
    yield triple(agreement, uds("startDate"), date(start))
    yield triple(agreement, uds("status"), local(f"concept/agreement-status/{status}"))
    for slug, *_ in areas:
        yield triple(agreement, uds("servesFocusArea"), local(f"focus-area/{slug}"))
    yield triple(agreement, uds("decidedBy"), decision)
    yield from decision_triples(rng, decision, agreement, start, region.name, code)
    if rng.random() < OFFICE_SHARE:
        yield from office_triples(rng, world, agreement, region_index, code)


def decision_triples(
    rng: random.Random, decision: str, agreement: str, start: int, partner: str, code: str
) -> Iterator[str]:
    """The decision that made an agreement, taken up to 120 days before it started."""
    body = rng.choices(BODIES, weights=DECIDING_WEIGHTS)[0][0]
    yield triple(decision, A, uds("Decision"))
    yield from labelled(
        decision, f"Beslutning om samarbejde med {partner} ({code})",
        f"Decision on cooperation with {partner} ({code})",
    )  # fmt: skip
    yield triple(decision, uds("decidingBody"), local(f"organisation/{body}"))
    yield triple(decision, uds("decisionDate"), date(start - rng.randint(0, 120)))
    yield triple(decision, uds("decides"), agreement)
    if rng.random() < RECOMMENDATION_SHARE:
        adviser = rng.choices(BODIES, weights=RECOMMENDING_WEIGHTS)[0][0]
        yield triple(decision, uds("onRecommendationOf"), local(f"organisation/{adviser}"))


def office_triples(
    rng: random.Random, world: World, agreement: str, region_index: int, code: str
) -> Iterator[str]:
    """An office abroad attached to an agreement: in a city of the partner's region, or
    (EU offices) in Brussels."""
    office = local(f"office/o{code}")
    kind, da, en, _ = rng.choices(OFFICE_KINDS, weights=[row[3] for row in OFFICE_KINDS])[0]
    if kind == "EUOffice":
        city = world.brussels
    else:
        first = region_index * CITIES_PER_REGION
        city = world.cities[first + rng.randrange(CITIES_PER_REGION)]
    place = city.name or "Bruxelles"
    yield triple(office, A, uds(kind))
    yield from labelled(office, f"{da} i {place} ({code})", f"{en} in {place} ({code})")
    yield triple(office, uds("basedIn"), city.term)
    yield triple(office, uds("establishedBy"), local("organisation/region-midtjylland"))
    yield triple(agreement, uds("associatedOffice"), office)


# -- the whole graph ----------------------------------------------------------------------------


def generate(agreements: int, seed: int = 2007) -> Iterator[str]:
    """Every line of the graph, in a fixed order for a given seed."""
    rng = random.Random(seed)
    world = make_world(rng, agreements)
    yield from home_triples()
    yield from scheme_triples(
        "focus-areas", "focus-area/", "FocusArea", FOCUS_AREAS, "Fokusområder", "Focus areas"
    )
    yield from scheme_triples(
        "agreement-statuses", "concept/agreement-status/", "AgreementStatus", STATUSES,
        "Aftalestatus", "Agreement statuses",
    )  # fmt: skip
    yield from scheme_triples(
        "administrative-levels", LEVEL, "AdministrativeLevel", LEVELS,
        "Administrative niveauer", "Administrative levels",
    )  # fmt: skip
    yield from world_triples(world)
    for number in range(1, agreements + 1):
        yield from agreement_triples(rng, world, number)


def write(agreements: int, out: Path, seed: int = 2007) -> int:
    """Write the graph to ``out``; returns how many triples it holds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8", newline="\n") as stream:
        buffer: list[str] = []
        for line in generate(agreements, seed):
            buffer.append(line)
            if len(buffer) >= 50_000:
                stream.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        stream.write("".join(buffer))
        count += len(buffer)
    return count


def middle_agreement(agreements: int) -> str:
    """The IRI of an agreement in the middle of a generated graph (for lookups)."""
    return f"{ID}agreement/a{max(1, agreements // 2):06d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, required=True, help="how many agreements")
    parser.add_argument("--out", type=Path, required=True, help="the .nt (or .ttl) file to write")
    parser.add_argument("--seed", type=int, default=2007, help="random seed (default 2007)")
    args = parser.parse_args(argv)
    if args.agreements < 1:
        parser.error("--agreements must be at least 1")
    count = write(args.agreements, args.out, args.seed)
    print(f"{args.out}: {args.agreements:,} agreements, {count:,} triples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
