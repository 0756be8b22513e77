"""The DCAT-AP 3 catalogue of a release: the catalogue, its datasets and their distributions,
the SPARQL endpoint as a data service, the publisher, and the EU authority concepts used.

Every node has an IRI (no blank nodes), and the triples are written sorted, so a release
date and a store give the same bytes every time. A catalogue too large for one response is
split into pages (:func:`catalogue_pages`), each complete in itself with the publisher and
the data service, linked by ``hydra:next`` as CKAN's DCAT harvester follows them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from udsyn.publish import vocabulary as v
from udsyn.publish.settings import PublishSettings


@dataclass(frozen=True)
class FileEntry:
    """A data file as a distribution: where it is, what it is, how big, its SHA-256."""

    name: str
    byte_size: int
    sha256: str
    sha1: str
    media_type: str
    file_type: str
    title_en: str
    title_da: str
    gzipped: bool = False


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset of the catalogue, with its distributions."""

    slug: str
    title_en: str
    title_da: str
    description_en: str
    description_da: str
    files: tuple[FileEntry, ...]


@dataclass(frozen=True)
class CatalogueFacts:
    """Everything the catalogue states, gathered from the store and the settings."""

    base_iri: str
    service_url: str
    publisher: PublishSettings
    date: datetime.date
    version: str
    temporal: tuple[datetime.date, datetime.date] | None
    datasets: tuple[DatasetEntry, ...]
    dcat_ap_2: bool = False  # DCAT-AP 2.1.1's reading: sizes as xsd:decimal, SHA-1 checksums

    @property
    def catalogue(self) -> str:
        return f"{self.base_iri}catalog"

    @property
    def endpoint(self) -> str:
        return f"{self.service_url}sparql"

    @property
    def data_service(self) -> str:
        return f"{self.base_iri}service/sparql"

    def dataset(self, entry: DatasetEntry) -> str:
        return f"{self.base_iri}dataset/{entry.slug}"

    def distribution(self, entry: FileEntry) -> str:
        return f"{self.base_iri}distribution/{entry.name}"


class _Graph:
    """Triples being gathered, with shorthand for the kinds of object the catalogue uses."""

    def __init__(self) -> None:
        self.triples: set[ox.Triple] = set()

    def add(self, subject: str, predicate: str, value: ox.NamedNode | ox.Literal) -> None:
        self.triples.add(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), value))

    def link(self, subject: str, predicate: str, iri: str) -> None:
        self.add(subject, predicate, ox.NamedNode(iri))

    def text(self, subject: str, predicate: str, en: str, da: str) -> None:
        self.add(subject, predicate, ox.Literal(en, language="en"))
        self.add(subject, predicate, ox.Literal(da, language="da"))

    def typed(self, subject: str, predicate: str, value: str, datatype: str) -> None:
        self.add(subject, predicate, ox.Literal(value, datatype=ox.NamedNode(v.XSD + datatype)))

    def concept(self, subject: str, predicate: str, concept: v.Concept) -> None:
        """Link to a controlled concept and describe it with its scheme."""
        self.link(subject, predicate, concept.iri)
        self.describe(concept)

    def describe(self, concept: v.Concept) -> None:
        """A concept with its label, its classes and its scheme (with the scheme's title)."""
        for kind in (v.SKOS + "Concept", *concept.types):
            self.link(concept.iri, v.RDF + "type", kind)
        self.link(concept.iri, v.SKOS + "inScheme", concept.scheme)
        self.add(concept.iri, v.SKOS + "prefLabel", ox.Literal(concept.label, language="en"))
        self.link(concept.scheme, v.RDF + "type", v.SKOS + "ConceptScheme")
        title = ox.Literal(v.SCHEME_TITLES[concept.scheme], language="en")
        self.add(concept.scheme, v.DCT + "title", title)
        self.add(concept.scheme, v.SKOS + "prefLabel", title)


def catalogue_triples(facts: CatalogueFacts) -> list[ox.Triple]:
    """The whole catalogue on one page."""
    return next(catalogue_pages(facts, page_size=max(1, len(facts.datasets))))[1]


def catalogue_pages(
    facts: CatalogueFacts, page_size: int, page_iri: str = ""
) -> Iterator[tuple[int, list[ox.Triple]]]:
    """The catalogue in pages of ``page_size`` datasets: (page number, triples), from 1.

    With more than one page, each carries a ``hydra:PartialCollectionView`` named
    ``{page_iri}?page=N`` with its ``hydra:first``, ``hydra:last`` and ``hydra:next``.
    """
    chunks = [facts.datasets[i : i + page_size] for i in range(0, len(facts.datasets), page_size)]
    chunks = chunks or [()]
    for number, chunk in enumerate(chunks, start=1):
        graph = _Graph()
        _catalogue(graph, facts, chunk)
        if len(chunks) > 1:
            _paging(graph, page_iri, number, len(chunks), len(facts.datasets))
        yield number, sorted(graph.triples, key=str)


def _catalogue(graph: _Graph, facts: CatalogueFacts, datasets: Sequence[DatasetEntry]) -> None:
    catalogue = facts.catalogue
    graph.link(catalogue, v.RDF + "type", v.DCAT + "Catalog")
    graph.text(catalogue, v.DCT + "title",
               "udsyn: regional international relations",
               "udsyn: regionale internationale relationer")  # fmt: skip
    graph.text(catalogue, v.DCT + "description",
               "Linked open data on the international relations of Central Denmark Region: "
               "partner regions, offices abroad, networks, EU programmes and the decisions "
               "behind them, each fact traceable to its source.",
               "Linkede åbne data om Region Midtjyllands internationale relationer: "
               "samarbejdsregioner, kontorer i udlandet, netværk, EU-programmer og "
               "beslutningerne bag dem, hvert faktum sporbart til sin kilde.")  # fmt: skip
    _common(graph, catalogue, facts)
    graph.concept(catalogue, v.DCT + "language", v.DANISH)
    graph.concept(catalogue, v.DCT + "language", v.ENGLISH)
    graph.link(catalogue, v.DCAT + "themeTaxonomy", v.DATA_THEMES)
    graph.link(catalogue, v.FOAF + "homepage", facts.service_url)
    graph.link(facts.service_url, v.RDF + "type", v.FOAF + "Document")
    graph.link(catalogue, v.DCAT + "service", facts.data_service)
    _publisher(graph, facts)
    _data_service(graph, facts, datasets)
    for entry in datasets:
        graph.link(catalogue, v.DCAT + "dataset", facts.dataset(entry))
        _dataset(graph, facts, entry)


def _common(graph: _Graph, subject: str, facts: CatalogueFacts) -> None:
    """What the catalogue and every dataset state alike: publisher, dates, licence, place."""
    graph.link(subject, v.DCT + "publisher", facts.publisher.publisher)
    graph.typed(subject, v.DCT + "issued", facts.date.isoformat(), "date")
    graph.typed(subject, v.DCT + "modified", facts.date.isoformat(), "date")
    _licence(graph, subject, facts)
    _spatial(graph, subject)


def _licence(graph: _Graph, subject: str, facts: CatalogueFacts) -> None:
    licence = facts.publisher.licence
    graph.link(subject, v.DCT + "license", licence)
    graph.link(licence, v.RDF + "type", v.DCT + "LicenseDocument")
    if licence == v.LICENCE_CC_BY_4_0.iri:
        graph.describe(v.LICENCE_CC_BY_4_0)
        graph.concept(licence, v.DCT + "type", v.ATTRIBUTION)


def _spatial(graph: _Graph, subject: str) -> None:
    for place in (v.DENMARK, v.MIDTJYLLAND_NUTS):
        graph.concept(subject, v.DCT + "spatial", place)
    graph.text(v.MIDTJYLLAND_NUTS.iri, v.SKOS + "prefLabel", "Midtjylland", "Midtjylland")
    graph.add(v.MIDTJYLLAND_NUTS.iri, v.SKOS + "notation", ox.Literal("DK04"))


def _publisher(graph: _Graph, facts: CatalogueFacts) -> None:
    details = facts.publisher
    publisher = details.publisher
    graph.link(publisher, v.RDF + "type", v.FOAF + "Agent")
    graph.link(publisher, v.RDF + "type", v.FOAF + "Organization")
    graph.text(publisher, v.FOAF + "name", details.publisher_name_en, details.publisher_name_da)
    graph.concept(publisher, v.DCT + "type", v.REGIONAL_AUTHORITY)
    if details.contact_url:
        graph.link(publisher, v.FOAF + "homepage", details.contact_url)
        graph.link(details.contact_url, v.RDF + "type", v.FOAF + "Document")


def _contact(graph: _Graph, subject: str, facts: CatalogueFacts) -> None:
    details = facts.publisher
    contact = f"{facts.catalogue}#contact-point"
    graph.link(subject, v.DCAT + "contactPoint", contact)
    graph.link(contact, v.RDF + "type", v.VCARD + "Kind")
    graph.link(contact, v.RDF + "type", v.VCARD + "Organization")
    graph.add(contact, v.VCARD + "fn", ox.Literal(details.contact_name))
    if details.contact_url:
        graph.link(contact, v.VCARD + "hasURL", details.contact_url)
    if details.contact_email:
        graph.link(contact, v.VCARD + "hasEmail", f"mailto:{details.contact_email}")


def _themes(graph: _Graph, subject: str) -> None:
    graph.concept(subject, v.DCAT + "theme", v.GOVERNMENT)
    graph.concept(subject, v.DCAT + "theme", v.INTERNATIONAL)
    for keyword_en, keyword_da in (
        ("international relations", "internationale relationer"),
        ("partner regions", "samarbejdsregioner"),
        ("regional development", "regional udvikling"),
        ("linked data", "linkede data"),
    ):
        graph.text(subject, v.DCAT + "keyword", keyword_en, keyword_da)


def _data_service(graph: _Graph, facts: CatalogueFacts, datasets: Sequence[DatasetEntry]) -> None:
    """The SPARQL endpoint, serving the datasets described alongside it."""
    service = facts.data_service
    graph.link(service, v.RDF + "type", v.DCAT + "DataService")
    graph.text(service, v.DCT + "title", "udsyn SPARQL endpoint", "udsyn SPARQL-endpoint")
    graph.text(service, v.DCT + "description",
               "Read-only SPARQL 1.1 Protocol endpoint over the whole graph.",
               "SPARQL 1.1-endpoint (kun læsning) over hele grafen.")  # fmt: skip
    graph.link(service, v.DCAT + "endpointURL", facts.endpoint)
    graph.link(service, v.DCAT + "endpointDescription", facts.endpoint)
    graph.link(service, v.DCT + "conformsTo", v.SPARQL_PROTOCOL)
    graph.link(v.SPARQL_PROTOCOL, v.RDF + "type", v.DCT + "Standard")
    graph.text(v.SPARQL_PROTOCOL, v.DCT + "title", "SPARQL 1.1 Protocol", "SPARQL 1.1 Protocol")
    graph.link(service, v.DCT + "publisher", facts.publisher.publisher)
    graph.link(service, v.DCT + "license", facts.publisher.licence)
    graph.concept(service, v.DCT + "accessRights", v.PUBLIC)
    _contact(graph, service, facts)
    _themes(graph, service)
    for entry in datasets:
        graph.link(service, v.DCAT + "servesDataset", facts.dataset(entry))


def _dataset(graph: _Graph, facts: CatalogueFacts, entry: DatasetEntry) -> None:
    dataset = facts.dataset(entry)
    graph.link(dataset, v.RDF + "type", v.DCAT + "Dataset")
    graph.text(dataset, v.DCT + "title", entry.title_en, entry.title_da)
    graph.text(dataset, v.DCT + "description", entry.description_en, entry.description_da)
    _common(graph, dataset, facts)
    graph.concept(dataset, v.DCT + "language", v.DANISH)
    graph.concept(dataset, v.DCT + "language", v.ENGLISH)
    graph.concept(dataset, v.DCT + "accrualPeriodicity", v.IRREGULAR)
    graph.concept(dataset, v.DCT + "accessRights", v.PUBLIC)
    graph.add(dataset, v.DCAT + "version", ox.Literal(facts.version))
    graph.add(dataset, v.OWL + "versionInfo", ox.Literal(facts.version))
    graph.link(dataset, v.DCAT + "landingPage", facts.service_url)
    _contact(graph, dataset, facts)
    _themes(graph, dataset)
    if facts.temporal is not None:
        period = f"{dataset}#temporal"
        graph.link(dataset, v.DCT + "temporal", period)
        graph.link(period, v.RDF + "type", v.DCT + "PeriodOfTime")
        graph.typed(period, v.DCAT + "startDate", facts.temporal[0].isoformat(), "date")
        graph.typed(period, v.DCAT + "endDate", facts.temporal[1].isoformat(), "date")
    for file in entry.files:
        graph.link(dataset, v.DCAT + "distribution", facts.distribution(file))
        _distribution(graph, facts, file)


def _distribution(graph: _Graph, facts: CatalogueFacts, file: FileEntry) -> None:
    distribution = facts.distribution(file)
    url = facts.publisher.download_base + file.name
    graph.link(distribution, v.RDF + "type", v.DCAT + "Distribution")
    graph.text(distribution, v.DCT + "title", file.title_en, file.title_da)
    graph.text(distribution, v.DCT + "description", file.title_en + ".", file.title_da + ".")
    graph.link(distribution, v.DCAT + "accessURL", url)
    graph.link(distribution, v.DCAT + "downloadURL", url)
    graph.link(distribution, v.DCAT + "mediaType", v.media_type(file.media_type))
    graph.link(v.media_type(file.media_type), v.RDF + "type", v.DCT + "MediaType")
    if file.gzipped:
        graph.link(distribution, v.DCAT + "compressFormat", v.media_type("application/gzip"))
        graph.link(v.media_type("application/gzip"), v.RDF + "type", v.DCT + "MediaType")
    graph.concept(distribution, v.DCT + "format", v.file_type(file.file_type))
    size_type = "decimal" if facts.dcat_ap_2 else "nonNegativeInteger"
    graph.typed(distribution, v.DCAT + "byteSize", str(file.byte_size), size_type)
    name, algorithm, digest = (
        ("sha1", v.SHA1, file.sha1) if facts.dcat_ap_2 else ("sha256", v.SHA256, file.sha256)
    )
    checksum = f"{distribution}#{name}"
    graph.link(distribution, v.SPDX + "checksum", checksum)
    graph.link(checksum, v.RDF + "type", v.SPDX + "Checksum")
    graph.link(checksum, v.SPDX + "algorithm", algorithm)
    graph.link(algorithm, v.RDF + "type", v.SPDX + "ChecksumAlgorithm")
    graph.typed(checksum, v.SPDX + "checksumValue", digest, "hexBinary")
    graph.link(distribution, v.DCT + "license", facts.publisher.licence)
    graph.concept(distribution, v.DCATAP + "availability", v.STABLE)
    graph.typed(distribution, v.DCT + "issued", facts.date.isoformat(), "date")
    graph.typed(distribution, v.DCT + "modified", facts.date.isoformat(), "date")


def _paging(graph: _Graph, page_iri: str, number: int, pages: int, total: int) -> None:
    view = f"{page_iri}?page={number}"
    graph.link(view, v.RDF + "type", v.HYDRA + "PartialCollectionView")
    graph.link(view, v.HYDRA + "first", f"{page_iri}?page=1")
    graph.link(view, v.HYDRA + "last", f"{page_iri}?page={pages}")
    if number > 1:
        graph.link(view, v.HYDRA + "previous", f"{page_iri}?page={number - 1}")
    if number < pages:
        graph.link(view, v.HYDRA + "next", f"{page_iri}?page={number + 1}")
    graph.typed(view, v.HYDRA + "totalItems", str(total), "integer")
