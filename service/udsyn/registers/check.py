"""``udsyn check``: registers checked against the register shapes and the graph in the store.

The check is incremental: the shapes see the records under check, the resources the records
refer to with what the graph holds about them (types, places, codes, schemes, class
hierarchy), and the agreements the graph already holds with the same partners; never the
whole graph. :func:`check_whole_graph` runs the same shapes over records and the whole graph
instead, as the reference a test compares with.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from udsyn.namespaces import VOCABULARIES
from udsyn.registers.findings import CheckReport, Finding
from udsyn.registers.mapping import (
    PROPERTY_COLUMNS,
    RDF_TYPE,
    KnownTerms,
    MappedRecord,
    RecordMapper,
    dct,
)
from udsyn.registers.reading import RdfRegister, Row, TableRegister, read_register
from udsyn.shipped import shipped_dir
from udsyn.store import Store
from udsyn.store.base import N_TRIPLES
from udsyn.validation import Finding as ShaclFinding
from udsyn.validation import load_shapes, shacl_report, to_rdflib

SHAPES = "https://w3id.org/udsyn/shapes#"
CHECK = ox.NamedNode(SHAPES + "check")
AS_OF = ox.NamedNode(SHAPES + "asOf")
CHECKED_IN = ox.NamedNode(SHAPES + "checkedIn")
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
PARTY = ox.NamedNode("https://w3id.org/udsyn/ontology#party")
PARTNERSHIP_RECORD = "https://w3id.org/udsyn/ontology#PartnershipRecord"
ENGINE = "pyshacl-turbo"  # same findings as pySHACL (a test compares), tens of times faster


def register_shapes_files() -> tuple[Path, ...]:
    return tuple(sorted((shipped_dir("shapes") / "registers").glob("*.ttl")))


@dataclass(frozen=True)
class Place:
    """Where a record comes from: its file, row (or line) and register id."""

    file: str
    row: int
    record: str | None
    rdf: bool = False


@dataclass
class Batch:
    """The records under check, as triples, and where each node of them comes from."""

    triples: list[ox.Triple] = field(default_factory=list)
    records: list[ox.NamedNode | ox.BlankNode] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    malformed: set[tuple[str, int, str]] = field(default_factory=set)

    def add_mapped(self, mapped: MappedRecord, place: Place) -> None:
        self.triples += mapped.triples
        self.records.append(mapped.subject)
        for node in mapped.nodes:
            self.places[_name(node)] = place
        self.findings += mapped.findings


# How a spreadsheet record's subject is minted: from its file's number and its row.
SubjectFor = Callable[[int, Row], ox.NamedNode]


def row_subject(file_number: int, row: Row) -> ox.NamedNode:
    """The subject a record has while it is checked: its file and row (ids may repeat)."""
    return ox.NamedNode(f"urn:udsyn:register:{file_number}:row:{row.number}")


def read_batch(
    paths: Sequence[Path], known: KnownTerms, subject_for: SubjectFor = row_subject
) -> tuple[Batch, list[str]]:
    """Read every register into one batch; raises RegisterError for unreadable files."""
    batch = Batch()
    mapper = RecordMapper(known)
    files: list[str] = []
    for path in paths:
        register = read_register(path, known.base_iri)
        files.append(register.file)
        if isinstance(register, TableRegister):
            _add_table(batch, mapper, register, len(files), subject_for)
        else:
            _add_rdf(batch, register)
    return batch, files


def _add_table(
    batch: Batch,
    mapper: RecordMapper,
    register: TableRegister,
    number: int,
    subject_for: SubjectFor,
) -> None:
    batch.findings += register.findings
    for row in register.rows:
        place = Place(register.file, row.number, row.record)
        batch.add_mapped(mapper.record(register.file, row, subject_for(number, row)), place)
        batch.malformed |= {(register.file, row.number, column) for column in row.malformed}


def _add_rdf(batch: Batch, register: RdfRegister) -> None:
    batch.triples += register.triples
    records = {
        t.subject
        for t in register.triples
        if t.predicate == RDF_TYPE and t.object.value == PARTNERSHIP_RECORD
    }
    identifiers = {
        t.subject: t.object.value for t in register.triples if t.predicate == dct("identifier")
    }
    for subject in sorted(records, key=lambda node: register.lines.get(node, 0)):
        batch.records.append(subject)
        place = Place(
            register.file, register.lines.get(subject, 1), identifiers.get(subject), rdf=True
        )
        batch.places[_name(subject)] = place
        for triple in register.triples:
            if triple.subject == subject and isinstance(triple.object, ox.NamedNode | ox.BlankNode):
                batch.places.setdefault(_name(triple.object), place)


# -- the context the shapes need ---------------------------------------------------------------

# One query per relation: with VALUES bound first, each is an index lookup per node.
_CONTEXT = (
    "CONSTRUCT { ?node a ?type } WHERE { VALUES ?node { %s } ?node a ?type }",
    "CONSTRUCT { ?node skos:inScheme ?s } WHERE { VALUES ?node { %s } ?node skos:inScheme ?s }",
    "CONSTRUCT { ?node skos:notation ?c } WHERE { VALUES ?node { %s } ?node skos:notation ?c }",
    """CONSTRUCT { ?node uds:locatedIn ?place . ?place a ?type ; skos:notation ?code } WHERE {
        VALUES ?node { %s } ?node uds:locatedIn+ ?place . ?place a ?type .
        OPTIONAL { ?place skos:notation ?code } }""",
)

_AGREEMENTS = """
CONSTRUCT {
  ?agreement uds:party ?partner ; a ?type ; dct:type ?kind ; dct:identifier ?id ;
             uds:startDate ?start ; uds:endDate ?end .
} WHERE {
  VALUES ?partner { %s }
  ?agreement uds:party|uds:partnerRegion ?partner ; a ?type .
  OPTIONAL { ?agreement dct:type ?kind }
  OPTIONAL { ?agreement dct:identifier ?id }
  OPTIONAL { ?agreement uds:startDate ?start }
  OPTIONAL { ?agreement uds:endDate ?end }
}"""

_CLASSES = "CONSTRUCT { ?class rdfs:subClassOf ?super } WHERE { ?class rdfs:subClassOf ?super }"

_CHUNK = 500  # IRIs per VALUES block


def context_triples(store: Store, batch: Batch) -> Iterable[ox.Triple]:
    """What the graph holds that the register shapes can reach from the batch."""
    yield from _construct(store, _CLASSES)
    named = [term for t in batch.triples for term in (t.subject, t.object)]
    referenced = sorted({term.value for term in named if isinstance(term, ox.NamedNode)})
    for chunk in _chunks(referenced):
        for text in _CONTEXT:
            yield from _construct(store, text % chunk)
    parties = {t.object for t in batch.triples if t.predicate == PARTY}
    partners = sorted(party.value for party in parties if isinstance(party, ox.NamedNode))
    for chunk in _chunks(partners):
        yield from _construct(store, _AGREEMENTS % chunk)


def _chunks(iris: list[str]) -> Iterable[str]:
    for start in range(0, len(iris), _CHUNK):
        yield " ".join(f"<{iri}>" for iri in iris[start : start + _CHUNK])


def _construct(store: Store, text: str) -> Iterable[ox.Triple]:
    answer = store.query(text, N_TRIPLES)
    for quad in ox.parse(answer, format=ox.RdfFormat.N_TRIPLES):
        yield quad.triple


def check_node(batch: Batch, as_of: datetime.date) -> list[ox.Triple]:
    """The node naming the records under check and the date the date rules judge by."""
    return [ox.Triple(CHECK, AS_OF, ox.Literal(as_of.isoformat(), datatype=XSD_DATE))] + [
        ox.Triple(record, CHECKED_IN, CHECK) for record in batch.records
    ]


# -- running the check ---------------------------------------------------------------------------


def check_registers(
    paths: Sequence[Path],
    store: Store,
    *,
    as_of: datetime.date | None = None,
    engine: str = ENGINE,
    known: KnownTerms | None = None,
) -> CheckReport:
    """Check the registers against the shapes and the graph in ``store``; writes nothing.

    ``engine`` is the SHACL engine: pyshacl-turbo, or pySHACL (the reference); ``known``
    what the store names, if the caller has read it already.
    """
    as_of = as_of or datetime.date.today()
    known = known or KnownTerms.from_store(store)
    batch, files = read_batch(paths, known)
    context = list(context_triples(store, batch))
    return _report(batch, files, known, as_of, context, engine)


def check_whole_graph(
    paths: Sequence[Path],
    store: Store,
    *,
    as_of: datetime.date | None = None,
    engine: str = ENGINE,
) -> CheckReport:
    """The same check over the records and every triple of the store (the reference)."""
    as_of = as_of or datetime.date.today()
    known = KnownTerms.from_store(store)
    batch, files = read_batch(paths, known)
    return _report(batch, files, known, as_of, list(store.triples()), engine)


def _report(
    batch: Batch,
    files: list[str],
    known: KnownTerms,
    as_of: datetime.date,
    context: list[ox.Triple],
    engine: str,
) -> CheckReport:
    graph = to_rdflib([*batch.triples, *check_node(batch, as_of), *context], known.base_iri)
    shapes = load_shapes(known.base_iri, register_shapes_files())
    shacl_findings, results = shacl_report(graph, shapes, engine)
    located = [_locate(finding, batch, known) for finding in shacl_findings]
    findings = [
        finding
        for finding in [*batch.findings, *(f for f in located if f is not None)]
        if finding.rule == "udsh:CellFormat"
        or (finding.file, finding.row, finding.column or "") not in batch.malformed
    ]
    findings.sort(key=Finding.sort_key)
    return CheckReport(findings, len(batch.records), files, as_of, shacl=results)


# Rules whose value is another agreement, which the message then names.
_NAMING_ANOTHER = ("udsh:RecordOverlapRule", "udsh:RecordDuplicateIdRule")


def _locate(finding: ShaclFinding, batch: Batch, known: KnownTerms) -> Finding | None:
    """The register cell a SHACL finding is about; ``None`` for findings outside the batch."""
    place = batch.places.get(finding.focus)
    if place is None:
        return None
    path = finding.path or ""
    column = _property_name(path) if place.rdf and path else PROPERTY_COLUMNS.get(path)
    message = finding.message
    if finding.source in _NAMING_ANOTHER and finding.value and finding.value.startswith("<"):
        message += f" (the other: {_other(finding.value[1:-1], place, batch, known.base_iri)})"
    return Finding(
        file=place.file,
        row=place.row,
        column=column,
        record=place.record,
        severity=finding.severity,
        rule=finding.source.split(" ")[0],
        message=message,
        suggestion=_suggestion(finding, column, known),
    )


def _property_name(iri: str) -> str:
    """A property as a prefixed name (``uds:endDate``), the column of RDF input."""
    for prefix, namespace in VOCABULARIES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _other(iri: str, place: Place, batch: Batch, base_iri: str) -> str:
    """Another record of the batch by row and id, or a stored resource by its IRI."""
    other = batch.places.get(iri)
    if other is None:
        return iri.removeprefix(base_iri)
    named = f"row {other.row}" + (f", {other.record}" if other.record else "")
    return named + (f", {other.file}" if other.file != place.file else "")


def _suggestion(finding: ShaclFinding, column: str | None, known: KnownTerms) -> str | None:
    if finding.constraint in ("ClassConstraintComponent", "InConstraintComponent") and column:
        return known.choices(column) or None
    return None


def _name(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"
