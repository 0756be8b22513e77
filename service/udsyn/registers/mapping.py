"""From register rows to RDF in the ontology's terms, and what the graph already knows.

A row becomes a ``uds:PartnershipRecord`` (docs/registers.md shows the mapping). Names are
resolved against the graph: a partner, body, unit or city by its label in any language, a
kind, status or focus area by a label of its scheme, a country by its ISO 3166-1 code. What
does not resolve stays in the record as the text given, so that a shape can say what is
wrong with it; a partner that is simply new is minted under the base IRI.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from udsyn.namespaces import UDS
from udsyn.registers.findings import Finding
from udsyn.registers.reading import Row
from udsyn.store import Store

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOS_NOTATION = ox.NamedNode(SKOS + "notation")
FOAF_AGENT = ox.NamedNode("http://xmlns.com/foaf/0.1/Agent")
DCT = "http://purl.org/dc/terms/"
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
ISO_COUNTRY = ox.NamedNode(UDS + "ISO3166-1-alpha-2")


def uds(name: str) -> ox.NamedNode:
    return ox.NamedNode(UDS + name)


def dct(name: str) -> ox.NamedNode:
    return ox.NamedNode(DCT + name)


# The property each column fills; findings about a property are findings about its column.
COLUMN_PROPERTIES: dict[str, ox.NamedNode] = {
    "id": dct("identifier"),
    "partner": uds("party"),
    "partner_country": uds("partnerCountry"),
    "kind": dct("type"),
    "status": uds("status"),
    "decided_by": uds("decidingBody"),
    "decision_date": uds("decisionDate"),
    "start_date": uds("startDate"),
    "end_date": uds("endDate"),
    "focus_areas": uds("servesFocusArea"),
    "office": uds("associatedOffice"),
    "office_city": uds("basedIn"),
    "contact_unit": uds("unitInCharge"),
    "source": dct("source"),
}
PROPERTY_COLUMNS = {prop.value: column for column, prop in COLUMN_PROPERTIES.items()}

SCHEMES = {
    "kind": "id/scheme/agreement-kinds",
    "status": "id/scheme/agreement-statuses",
    "focus_areas": "id/scheme/focus-areas",
}
REGISTER_STATUSES = ("planned", "active", "suspended", "ended")

# Classes first (a few dozen), then their members' labels: an index lookup per class.
_PARTY_CLASSES = """
SELECT DISTINCT ?class WHERE {
  # each path from a fixed class: a server may refuse a path with no fixed end (Virtuoso)
  { ?class rdfs:subClassOf* uds:Region }
  UNION { ?class rdfs:subClassOf* org:Organization }
  UNION { ?class rdfs:subClassOf* foaf:Group }
  FILTER NOT EXISTS { ?class rdfs:subClassOf* uds:OfficeAbroad }
}"""

_NAMES = """
SELECT DISTINCT ?resource ?label WHERE {
  VALUES ?class { %s }
  ?resource a ?class ; rdfs:label|skos:prefLabel|skos:altLabel ?label .
}"""

_PLACE = """
SELECT ?place WHERE {
  VALUES ?label { %s }
  ?place rdfs:label|skos:prefLabel|skos:altLabel ?label ; a/rdfs:subClassOf* uds:Place .
} ORDER BY ?place LIMIT 1"""
_TAGS = ({}, {"language": "da"}, {"language": "en"})

_CONCEPTS = """
SELECT DISTINCT ?concept ?label ?scheme ?shown WHERE {
  VALUES ?scheme { %s }
  # English preferred labels are also shown in suggestions, marked by a string: no EXISTS in
  # BIND and no booleans, which not every server has or writes alike (Virtuoso)
  { ?concept skos:inScheme ?scheme ; skos:prefLabel|skos:altLabel|rdfs:label ?label }
  UNION
  { ?concept skos:inScheme ?scheme ; skos:prefLabel ?label .
    FILTER (LANGMATCHES(LANG(?label), "en")) BIND ("shown" AS ?shown) }
}"""

_COUNTRIES = """
SELECT ?country ?code WHERE {
  ?country skos:notation ?code . FILTER (DATATYPE(?code) = uds:ISO3166-1-alpha-2)
}"""


def slug(text: str) -> str:
    """A path segment for an IRI: lower case ASCII letters, digits and hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "x"


def _key(label: str) -> str:
    return " ".join(label.casefold().split())


@dataclass
class Names:
    """Labels of one category (lower-cased) and the resources they name."""

    by_label: dict[str, set[str]] = field(default_factory=dict)
    spelled: dict[str, str] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)
    _keys: list[str] | None = field(default=None, repr=False)
    _near: dict[str, str | None] = field(default_factory=dict, repr=False)

    def add(self, iri: str, label: str, *, shown: bool = False) -> None:
        self.by_label.setdefault(_key(label), set()).add(iri)
        self.spelled.setdefault(_key(label), label)
        if shown:
            self.shown.add(label)

    def find(self, text: str) -> str | None:
        found = self.by_label.get(_key(text))
        return min(found) if found else None

    def near(self, text: str) -> str | None:
        """The known label closest to ``text``, as spelled in the graph, if one is close
        (a similarity of 80 in 100, as difflib's ratio counts it)."""
        key = _key(text)
        if key not in self._near:
            if self._keys is None:
                self._keys = list(self.by_label)
            match = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=80)
            self._near[key] = self.spelled[match[0]] if match else None
        return self._near[key]

    def labels(self) -> list[str]:
        """The labels to offer a person: the English preferred ones."""
        return sorted(self.shown, key=str.casefold)


@dataclass
class KnownTerms:
    """What the graph already names: parties, places, concepts of the schemes, countries."""

    store: Store
    parties: Names = field(default_factory=Names)
    schemes: dict[str, Names] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)

    @property
    def base_iri(self) -> str:
        return self.store.base_iri

    @classmethod
    def from_store(cls, store: Store) -> KnownTerms:
        known = cls(store, schemes={column: Names() for column in SCHEMES})
        classes = " ".join(str(row["class"]) for row in store.select(_PARTY_CLASSES))
        for solution in store.select(_NAMES % classes):
            known.parties.add(solution["resource"].value, solution["label"].value)
        scheme_column = {store.base_iri + path: column for column, path in SCHEMES.items()}
        values = " ".join(f"<{iri}>" for iri in scheme_column)
        for solution in store.select(_CONCEPTS % values):
            names = known.schemes[scheme_column[solution["scheme"].value]]
            shown = solution["shown"] is not None
            names.add(solution["concept"].value, solution["label"].value, shown=shown)
        for solution in store.select(_COUNTRIES):
            known.countries.setdefault(solution["code"].value, solution["country"].value)
        return known

    def place(self, name: str) -> str | None:
        """The place the graph names so (in any language, or without one), if there is one."""
        spellings = " ".join(str(ox.Literal(name, **tag)) for tag in _TAGS)
        for solution in self.store.select(_PLACE % spellings):
            return solution["place"].value
        return None

    def choices(self, column: str) -> str:
        """The values a concept column accepts, for a suggestion."""
        if column == "status":
            return "one of: " + ", ".join(REGISTER_STATUSES)
        names = self.schemes.get(column)
        return "known: " + "; ".join(names.labels()) if names else ""


@dataclass
class MappedRecord:
    """A record's triples, with the nodes that belong to it (for locating findings)."""

    subject: ox.NamedNode
    triples: list[ox.Triple]
    nodes: set[ox.NamedNode]
    findings: list[Finding]


class RecordMapper:
    """Maps rows to records, resolving names against what the graph knows."""

    def __init__(self, known: KnownTerms) -> None:
        self.known = known
        self.base = known.base_iri

    def record(self, file: str, row: Row, subject: ox.NamedNode) -> MappedRecord:
        mapped = MappedRecord(subject, [], {subject}, [])
        cells = row.cells
        add = self._adder(mapped)
        add(subject, RDF_TYPE, uds("PartnershipRecord"))
        if "id" in cells:
            add(subject, dct("identifier"), ox.Literal(cells["id"]))
        if "partner" in cells:
            add(subject, uds("party"), self._partner(file, row, mapped))
        if "partner_country" in cells:
            add(subject, uds("partnerCountry"), self._country(cells["partner_country"], mapped))
        for column in ("kind", "status"):
            if column in cells:
                add(subject, COLUMN_PROPERTIES[column], self._concept(column, cells[column]))
        for area in cells.get("focus_areas") or []:
            add(subject, uds("servesFocusArea"), self._concept("focus_areas", area))
        for column in ("start_date", "end_date"):
            if column in cells:
                add(subject, COLUMN_PROPERTIES[column], _date(cells[column]))
        self._decision(mapped, cells)
        self._office(mapped, cells)
        if "contact_unit" in cells:
            add(
                subject,
                uds("unitInCharge"),
                self._named(self.known.parties, cells["contact_unit"], "id/organisation/"),
            )
        if "source" in cells:
            add(subject, dct("source"), _source(cells["source"]))
        return mapped

    @staticmethod
    def _adder(mapped: MappedRecord):
        def add(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
            mapped.triples.append(ox.Triple(s, p, o))

        return add

    # -- resolving names --------------------------------------------------------------------

    def _partner(self, file: str, row: Row, mapped: MappedRecord) -> ox.NamedNode:
        name = row.cells["partner"]
        if _is_iri(name):
            return ox.NamedNode(name)
        found = self.known.parties.find(name)
        if found:
            return ox.NamedNode(found)
        near = self.known.parties.near(name)
        if near:
            mapped.findings.append(
                Finding(
                    file,
                    row.number,
                    "partner",
                    row.record,
                    "Warning",
                    "udsh:PartnerNearMatch",
                    f"The partner '{name}' is not known, but its name is close to a known one.",
                    f"did you mean '{near}'?",
                )
            )
        else:
            mapped.findings.append(
                Finding(
                    file,
                    row.number,
                    "partner",
                    row.record,
                    "Info",
                    "udsh:NewPartner",
                    f"The partner '{name}' is new to the graph; it will be added as a new party.",
                    None,
                )
            )
        partner = ox.NamedNode(self.base + "id/partner/" + slug(name))
        mapped.triples += [ox.Triple(partner, RDF_TYPE, FOAF_AGENT), *_named_as(partner, name)]
        return partner

    def _country(self, code: str, mapped: MappedRecord) -> ox.NamedNode | ox.Literal:
        """The country of an ISO 3166-1 alpha-2 code: the graph's, or one minted from the code
        list; a code that is no such code stays text, for the shapes to report."""
        known = self.known.countries.get(code)
        if known:
            return ox.NamedNode(known)
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            return ox.Literal(code)
        iri = ox.NamedNode(self.base + "id/country/" + slug(country.name))
        mapped.triples += [
            ox.Triple(iri, RDF_TYPE, uds("Country")),
            ox.Triple(iri, SKOS_NOTATION, ox.Literal(code, datatype=ISO_COUNTRY)),
            ox.Triple(iri, RDFS_LABEL, ox.Literal(country.name, language="en")),
            ox.Triple(
                iri, RDFS_LABEL, ox.Literal(_danish_country_name(country.name), language="da")
            ),
        ]
        return iri

    def _concept(self, column: str, text: str) -> ox.NamedNode | ox.Literal:
        if _is_iri(text):
            return ox.NamedNode(text)
        found = self.known.schemes[column].find(text)
        return ox.NamedNode(found) if found else ox.Literal(text)

    def _named(self, names: Names, text: str, folder: str) -> ox.NamedNode:
        if _is_iri(text):
            return ox.NamedNode(text)
        found = names.find(text)
        return ox.NamedNode(found or self.base + folder + slug(text))

    def _decision(self, mapped: MappedRecord, cells: dict) -> None:
        if "decided_by" not in cells and "decision_date" not in cells:
            return
        decision = ox.NamedNode(mapped.subject.value + "/decision")
        mapped.nodes.add(decision)
        identifier = cells.get("id", "")
        triples = [
            ox.Triple(mapped.subject, uds("decidedBy"), decision),
            ox.Triple(decision, uds("decides"), mapped.subject),
            ox.Triple(decision, RDF_TYPE, uds("Decision")),
            ox.Triple(
                decision, RDFS_LABEL, ox.Literal(f"Beslutning om {identifier}", language="da")
            ),
            ox.Triple(decision, RDFS_LABEL, ox.Literal(f"Decision on {identifier}", language="en")),
        ]
        if "decided_by" in cells:
            body = self._named(self.known.parties, cells["decided_by"], "id/organisation/")
            triples.append(ox.Triple(decision, uds("decidingBody"), body))
        if "decision_date" in cells:
            triples.append(ox.Triple(decision, uds("decisionDate"), _date(cells["decision_date"])))
        mapped.triples += triples

    def _office(self, mapped: MappedRecord, cells: dict) -> None:
        if "office" not in cells and "office_city" not in cells:
            return
        name = cells.get("office") or f"office in {cells['office_city']}"
        office = ox.NamedNode(self.base + "id/office/" + slug(name))
        mapped.nodes.add(office)
        mapped.triples += [
            ox.Triple(mapped.subject, uds("associatedOffice"), office),
            ox.Triple(office, RDF_TYPE, uds("OfficeAbroad")),
            *_named_as(office, name),
        ]
        if "office_city" in cells:
            name = cells["office_city"]
            found = name if _is_iri(name) else self.known.place(name)
            city = ox.NamedNode(found or self.base + "id/city/" + slug(name))
            mapped.triples.append(ox.Triple(office, uds("basedIn"), city))


def _named_as(node: ox.NamedNode, name: str) -> list[ox.Triple]:
    """A name from a register, as the Danish and the English label: a register gives one
    name and does not say its language, and proper names mostly serve both."""
    return [ox.Triple(node, RDFS_LABEL, ox.Literal(name, language=tag)) for tag in ("da", "en")]


def _danish_country_name(english: str) -> str:
    """The Danish name of a country from the ISO 3166-1 translations pycountry ships."""
    import gettext

    import pycountry

    danish = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=["da"], fallback=True
    )
    return danish.gettext(english)


def _is_iri(text: str) -> bool:
    return re.match(r"^https?://\S+$", text) is not None


def _date(value: datetime.date) -> ox.Literal:
    return ox.Literal(value.isoformat(), datatype=XSD_DATE)


def _source(text: str) -> ox.NamedNode | ox.Literal:
    return ox.NamedNode(text) if _is_iri(text) else ox.Literal(text)
