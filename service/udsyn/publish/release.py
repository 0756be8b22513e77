"""A release: the files ``udsyn publish`` writes and ``/download/`` serves, built in memory
from what the store holds.

The same store and release date give the same bytes: every file is written in a fixed order,
gzip without a time stamp, and the catalogue without blank nodes.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from udsyn.publish import vocabulary as v
from udsyn.publish.catalogue import (
    CatalogueFacts,
    DatasetEntry,
    FileEntry,
    catalogue_triples,
)
from udsyn.publish.dumps import TURTLE, DataFile, graph_dumps, model_files, serialise
from udsyn.publish.register_view import register_csv
from udsyn.publish.settings import PublishSettings
from udsyn.publish.void import VoidFacts, void_triples
from udsyn.store import Store

CATALOGUE_FORMATS = {
    "catalog.ttl": ox.RdfFormat.TURTLE,
    "catalog.rdf": ox.RdfFormat.RDF_XML,
    "catalog.jsonld": ox.RdfFormat.JSON_LD,
}
CATALOGUE_2_1_1 = "catalog-dcat-ap-2.1.1.ttl"
MAIN_DATASET = "knowledge-graph"
RECORDS_DATASET = "partnership-records"
RECORDS_FILE = "partnership-records.ttl"
BATCH_GRAPHS = "id/graph/batch/"  # where accepted batches of records live (udsyn.records)
RECORD = ox.NamedNode(v.UDS + "PartnershipRecord")
DECIDED_BY = ox.NamedNode(v.UDS + "decidedBy")
RDF_TYPE = ox.NamedNode(v.RDF + "type")


@dataclass(frozen=True)
class Release:
    """The release's files by name, in the order a listing shows them, and what its
    catalogue states."""

    files: dict[str, bytes]
    facts: CatalogueFacts

    def write(self, folder: Path) -> None:
        """Write every file into ``folder`` (made if missing)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            (folder / name).write_bytes(content)


def build_release(
    store: Store,
    service_url: str,
    publisher: PublishSettings,
    date: datetime.date,
    version: str | None = None,
) -> Release:
    """Every file of a release of what ``store`` holds, dated ``date``.

    ``publisher`` must be resolved (:meth:`PublishSettings.resolved`).
    """
    quads = tuple(store.quads())
    data = [*graph_dumps(quads), *model_files(quads, store.base_iri)]
    data.append(DataFile("partner-register.csv", register_csv(store), None,
                         "Partner register (CSV)", "Partnerregister (CSV)"))  # fmt: skip
    records = _records(quads, store.base_iri)
    if records:
        data.append(
            DataFile(
                RECORDS_FILE,
                serialise(records, TURTLE),
                TURTLE,
                "Partnership records (Turtle)",
                "Partnerskabsposter (Turtle)",
            )
        )
    facts = CatalogueFacts(
        base_iri=store.base_iri,
        service_url=service_url,
        publisher=publisher,
        date=date,
        version=version or date.isoformat(),
        temporal=temporal_coverage(quads),
        datasets=_datasets(data),
    )
    files = {file.name: file.content for file in data}
    files.update(catalogue_files(catalogue_triples(facts)))
    dcat_ap_2 = catalogue_triples(dataclasses.replace(facts, dcat_ap_2=True))
    files[CATALOGUE_2_1_1] = ox.serialize(dcat_ap_2, format=ox.RdfFormat.TURTLE,
                                          prefixes=v.PREFIXES)  # fmt: skip
    files["void.ttl"] = void_file(quads, facts)
    files["README.md"] = readme(facts, files)
    return Release(files, facts)


def catalogue_files(triples: list[ox.Triple]) -> dict[str, bytes]:
    """The catalogue in Turtle, RDF/XML and JSON-LD."""
    return {
        name: ox.serialize(triples, format=rdf_format, prefixes=v.PREFIXES)
        for name, rdf_format in CATALOGUE_FORMATS.items()
    }


def void_file(quads: tuple[ox.Quad, ...], facts: CatalogueFacts) -> bytes:
    """The VoID description of the release as Turtle."""
    main = next(entry for entry in facts.datasets if entry.slug == MAIN_DATASET)
    described = VoidFacts(
        dataset=facts.dataset(main),
        base_iri=facts.base_iri,
        endpoint=facts.endpoint,
        dumps=[facts.publisher.download_base + file.name for file in main.files
               if file.name.startswith("udsyn.") and not file.gzipped],
        licence=facts.publisher.licence,
        publisher=facts.publisher.publisher,
        modified=facts.date.isoformat(),
        examples=_examples(quads),
    )  # fmt: skip
    return ox.serialize(void_triples(quads, described), format=ox.RdfFormat.TURTLE,
                        prefixes=v.PREFIXES)  # fmt: skip


def file_entry(file: DataFile) -> FileEntry:
    """What the catalogue says of a data file."""
    serialisation = file.serialisation
    return FileEntry(
        name=file.name,
        byte_size=len(file.content),
        sha256=hashlib.sha256(file.content).hexdigest(),
        sha1=hashlib.sha1(file.content).hexdigest(),
        media_type=serialisation.media_type if serialisation else "text/csv",
        file_type=serialisation.file_type if serialisation else "CSV",
        title_en=file.title_en,
        title_da=file.title_da,
        gzipped=file.gzipped,
    )


def _datasets(data: list[DataFile]) -> tuple[DatasetEntry, ...]:
    main = DatasetEntry(
        MAIN_DATASET,
        "udsyn: international relations of Central Denmark Region",
        "udsyn: Region Midtjyllands internationale relationer",
        "The knowledge graph of Central Denmark Region's international relations: partner "
        "regions, offices abroad, networks and their commissions, EU programmes and funds, "
        "and the decisions behind them, from the international strategy of December 2007, "
        "each fact with the sentence it comes from.",
        "Vidensgrafen over Region Midtjyllands internationale relationer: "
        "samarbejdsregioner, kontorer i udlandet, netværk og deres kommissioner, "
        "EU-programmer og -fonde og beslutningerne bag dem, fra den internationale strategi "
        "fra december 2007, hvert faktum med den sætning, det stammer fra.",
        tuple(file_entry(file) for file in data if file.name != RECORDS_FILE),
    )
    records = [file for file in data if file.name == RECORDS_FILE]
    if not records:
        return (main,)
    return (
        main,
        DatasetEntry(
            RECORDS_DATASET,
            "udsyn: partnership records",
            "udsyn: partnerskabsposter",
            "The partnership agreements of Central Denmark Region as its register records "
            "them, accepted into the knowledge graph.",
            "Region Midtjyllands partnerskabsaftaler, som registret angiver dem, optaget i "
            "vidensgrafen.",
            tuple(file_entry(file) for file in records),
        ),
    )


def _records(quads: tuple[ox.Quad, ...], base_iri: str) -> list[ox.Quad]:
    """The graphs of accepted batches of records, and whatever else the store states about
    partnership records and their decisions."""
    batches = base_iri + BATCH_GRAPHS
    records = {quad.subject for quad in quads
               if quad.predicate == RDF_TYPE and quad.object == RECORD}  # fmt: skip
    decisions = {quad.object for quad in quads
                 if quad.subject in records and quad.predicate == DECIDED_BY}  # fmt: skip
    return [quad for quad in quads if quad.subject in records | decisions
            or (isinstance(quad.graph_name, ox.NamedNode)
                and quad.graph_name.value.startswith(batches))]  # fmt: skip


def temporal_coverage(quads: tuple[ox.Quad, ...]) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day the graph's own dates speak of (years count whole)."""
    days: list[datetime.date] = []
    for quad in quads:
        value = quad.object
        if not (isinstance(value, ox.Literal) and quad.predicate.value.startswith(v.UDS)):
            continue
        try:
            if value.datatype.value == v.XSD + "date":
                days.append(datetime.date.fromisoformat(value.value))
            elif value.datatype.value == v.XSD + "gYear":
                year = int(value.value)
                days += [datetime.date(year, 1, 1), datetime.date(year, 12, 31)]
        except ValueError:
            continue  # an ill-formed value is for the shapes to report, not for coverage
    return (min(days), max(days)) if days else None


def _examples(quads: tuple[ox.Quad, ...]) -> list[str]:
    """A strategy, an agreement and a decision: the first of each kind by IRI."""
    examples = []
    for kind in ("Strategy", "CooperationAgreement", "Decision"):
        typed = sorted(quad.subject.value for quad in quads
                       if quad.predicate == RDF_TYPE and quad.object == ox.NamedNode(v.UDS + kind)
                       and isinstance(quad.subject, ox.NamedNode))  # fmt: skip
        examples += typed[:1]
    return examples


def readme(facts: CatalogueFacts, files: dict[str, bytes]) -> bytes:
    """A short README for the portal: what this is, who publishes it, the files."""
    start, end = facts.temporal or (None, None)
    lines = [
        "# udsyn: international relations of Central Denmark Region",
        "",
        f"Release {facts.version}, {facts.date.isoformat()}. Published by "
        f"{facts.publisher.publisher_name_en} ({facts.publisher.publisher_name_da}) under "
        f"{facts.publisher.licence}.",
        "",
        "Linked open data on the region's partner regions, offices abroad, networks, EU "
        "programmes and the decisions behind them, from the international strategy of "
        "December 2007, in Danish and English.",
        "",
        f"- Catalogue (DCAT-AP 3): `catalog.ttl`, `catalog.rdf`, `catalog.jsonld`; "
        f"harvest address {facts.service_url}catalog",
        f"- The same catalogue for DCAT-AP 2.1.1 readers (sizes as decimals, SHA-1 "
        f"checksums): `{CATALOGUE_2_1_1}`",
        f"- SPARQL endpoint: {facts.endpoint}",
        "- VoID description: `void.ttl`",
        f"- Downloads: {facts.publisher.download_base}",
    ]
    if start and end:
        lines.append(f"- Temporal coverage: {start.isoformat()} to {end.isoformat()}")
    lines += ["", "| file | bytes |", "| --- | --- |"]
    lines += [f"| `{name}` | {len(content)} |" for name, content in files.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")
