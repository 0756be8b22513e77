"""Batches of partnership records: checked, stored all or nothing, audited, retractable.

A batch is the records of one request. It is checked exactly as ``udsyn check`` checks (a
Violation refuses the whole batch) and stored in one transaction: its records in their own
named graph (``id/graph/batch/<id>``), its provenance (PROV-O: who, when, which files with
their SHA-256 and row counts, which records) in the audit graph (``id/graph/audit``). A
retraction drops the batch's graph and records the retraction in the audit graph, in one
transaction too. Records are minted from their register id: ``id/agreement/<id>``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from udsyn.registers.check import Batch, check_registers, read_batch
from udsyn.registers.findings import CheckReport
from udsyn.registers.mapping import RDF_TYPE, RDFS_LABEL, KnownTerms, slug
from udsyn.registers.reading import Row
from udsyn.store import Store

log = logging.getLogger("udsyn.records")

PROV = "http://www.w3.org/ns/prov#"
UDS = "https://w3id.org/udsyn/ontology#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
AUDIT_GRAPH = "id/graph/audit"
BATCH_GRAPHS = "id/graph/batch/"
BATCHES = "id/batch/"
STEWARDS = "id/steward/"


def _prov(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROV + name)


def _uds(name: str) -> ox.NamedNode:
    return ox.NamedNode(UDS + name)


def _dct(name: str) -> ox.NamedNode:
    return ox.NamedNode(DCT + name)


@dataclass(frozen=True)
class Upload:
    """A register as sent: its file name (whose suffix names the format) and its bytes."""

    name: str
    data: bytes

    @property
    def safe_name(self) -> str:
        """The file name without folders or control characters (the suffix is kept)."""
        name = Path(self.name.replace("\\", "/")).name
        name = "".join(char for char in name if char.isprintable()).strip()
        return name if name not in ("", ".", "..") else "register"


@dataclass
class Outcome:
    """What became of an accepted batch."""

    batch: str
    report: CheckReport
    stored: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class BatchRefused(Exception):
    """The batch has violations; nothing was stored."""

    def __init__(self, report: CheckReport) -> None:
        super().__init__(f"{report.violations} violations; nothing was stored")
        self.report = report


class RecordConflict(Exception):
    """Records already stored with other content, and the request did not ask to replace."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(
            f"already stored with other content: {', '.join(ids)}; send the batch again with "
            "replace=true to store the new versions (the old ones stay in the history)"
        )
        self.ids = ids


class UnknownBatch(Exception):
    """No batch has this id (or it was retracted already)."""


# -- checking -------------------------------------------------------------------------------


def validate(
    store: Store, uploads: Sequence[Upload], as_of: datetime.date | None = None
) -> CheckReport:
    """The findings of ``udsyn check`` for the uploads, against the store; writes nothing."""
    with _files(uploads) as (paths, names):
        report = check_registers(paths, store, as_of=as_of)
    return _renamed(report, names)


class _files:
    """The uploads as files in a private folder, named as sent (their suffix says the format)."""

    def __init__(self, uploads: Sequence[Upload]) -> None:
        self.uploads = uploads
        self.folder = tempfile.TemporaryDirectory(prefix="udsyn-batch-")

    def __enter__(self) -> tuple[list[Path], dict[str, str]]:
        paths, names = [], {}
        for number, upload in enumerate(self.uploads):
            path = Path(self.folder.name) / str(number) / upload.safe_name
            path.parent.mkdir()
            path.write_bytes(upload.data)
            paths.append(path)
            names[str(path)] = upload.safe_name
        return paths, names

    def __exit__(self, *_exc: object) -> None:
        self.folder.cleanup()


def _renamed(report: CheckReport, names: dict[str, str]) -> CheckReport:
    report.findings = [replace(f, file=names.get(f.file, f.file)) for f in report.findings]
    report.files = [names.get(file, file) for file in report.files]
    return report


# -- accepting ------------------------------------------------------------------------------


@dataclass
class Checked:
    """A batch checked against the store: the findings and, if it conforms, its records as
    they are to be stored (under their own IRIs)."""

    report: CheckReport
    batch: Batch | None


def check_batch(
    store: Store, uploads: Sequence[Upload], as_of: datetime.date | None = None
) -> Checked:
    """What accepting a batch reads: the check of ``udsyn check`` and, if it finds no
    violation, the records minted from their register ids. Writes nothing."""
    base = store.base_iri
    known = KnownTerms.from_store(store)
    with _files(uploads) as (paths, names):
        report = _renamed(check_registers(paths, store, as_of=as_of, known=known), names)
        if not report.conforms:
            return Checked(report, None)
        batch, _ = read_batch(paths, known, lambda _number, row: record_iri(base, row))
    return Checked(report, batch)


def accept(
    store: Store,
    uploads: Sequence[Upload],
    holder: str,
    *,
    checked: Checked | None = None,
    replace_existing: bool = False,
    as_of: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Check the uploads and store them as one batch, or raise and store nothing.

    ``checked`` is their :func:`check_batch` against the store as it is now, if done already
    (the service checks in a process of its own); otherwise they are checked here.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    base = store.base_iri
    checked = checked or check_batch(store, uploads, as_of)
    if checked.batch is None:
        raise BatchRefused(checked.report)
    report, batch = checked.report, checked.batch
    batch_id = now.strftime("%Y%m%dT%H%M%S.%fZ-") + secrets.token_hex(3)  # sorts by time
    records = _record_nodes(batch)
    content = _contents(batch.triples, records)
    existing = _stored(store, records)
    changed = [
        r for r in records if existing.get(r.value) and existing[r.value] != content[r.value]
    ]
    unchanged = {r for r in records if existing.get(r.value) == content[r.value]}
    if changed and not replace_existing:
        raise RecordConflict(sorted(_identifier(batch, r) for r in changed))
    if len(unchanged) == len(records):
        return Outcome("", report, unchanged=[_identifier(batch, r) for r in records])
    graph = ox.NamedNode(base + BATCH_GRAPHS + batch_id)
    skipped = {node for r in unchanged for node in (r.value, r.value + "/decision")}
    kept = [t for t in batch.triples if t.subject.value not in skipped]
    stored = [r for r in records if r not in unchanged]
    audit = list(_audit(base, batch_id, holder, now, uploads, stored, batch))
    new_quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in kept]
    new_quads += _labels(batch, stored, graph)
    log.info("storing batch %s: %d records, %d quads", batch_id, len(stored), len(new_quads))
    if changed:
        _store_with_history(store, new_quads + audit, changed, base)
    else:
        store.add_all(new_quads + audit)
    log.info("stored batch %s by %s", batch_id, holder)
    return Outcome(
        batch_id,
        report,
        stored=[_identifier(batch, r) for r in stored],
        replaced=[_identifier(batch, r) for r in changed],
        unchanged=[_identifier(batch, r) for r in records if r in unchanged],
    )


def record_iri(base: str, row: Row) -> ox.NamedNode:
    """A stored record's IRI, minted from its register id."""
    return ox.NamedNode(base + "id/agreement/" + slug(str(row.record or f"row-{row.number}")))


def _record_nodes(batch: Batch) -> list[ox.NamedNode]:
    return [record for record in batch.records if isinstance(record, ox.NamedNode)]


def _own_nodes(record: ox.NamedNode) -> tuple[str, str]:
    """The nodes whose triples make up a record: itself and its decision."""
    return record.value, record.value + "/decision"


def _contents(
    triples: Iterable[ox.Triple], records: list[ox.NamedNode]
) -> dict[str, frozenset[tuple[str, str, str]]]:
    """Each record's own triples (its node's and its decision's), by record IRI."""
    owner = {node: record.value for record in records for node in _own_nodes(record)}
    found: dict[str, set[tuple[str, str, str]]] = {record.value: set() for record in records}
    for t in triples:
        record = owner.get(t.subject.value)
        if record is not None and t.predicate != RDFS_LABEL:  # labels are minted on storing
            found[record].add((str(t.subject), str(t.predicate), str(t.object)))
    return {record: frozenset(content) for record, content in found.items()}


def _stored(store: Store, records: list[ox.NamedNode]) -> dict[str, frozenset]:
    """The records' triples as the batch graphs hold them now, by record IRI."""
    stored = list(_old_quads(store, records))
    return {
        record: content
        for record, content in _contents((q.triple for q in stored), records).items()
        if content
    }


def _identifier(batch: Batch, record: ox.NamedNode) -> str:
    place = batch.places.get(record.value)
    return (place.record if place else None) or record.value


def _labels(batch: Batch, records: list[ox.NamedNode], graph: ox.NamedNode) -> Iterable[ox.Quad]:
    for record in records:
        identifier = _identifier(batch, record)
        yield ox.Quad(
            record, RDFS_LABEL, ox.Literal(f"Partnerskabspost {identifier}", language="da"), graph
        )
        yield ox.Quad(
            record, RDFS_LABEL, ox.Literal(f"Partnership record {identifier}", language="en"), graph
        )


def _audit(
    base: str,
    batch_id: str,
    holder: str,
    now: datetime.datetime,
    uploads: Sequence[Upload],
    records: list[ox.NamedNode],
    batch: Batch,
) -> Iterable[ox.Quad]:
    """The batch's provenance, in the audit graph."""
    audit = ox.NamedNode(base + AUDIT_GRAPH)
    activity = ox.NamedNode(base + BATCHES + batch_id)
    steward = ox.NamedNode(base + STEWARDS + slug(holder))
    when = ox.Literal(
        now.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime")
    )
    triples = [
        (activity, RDF_TYPE, _prov("Activity")),
        (activity, RDF_TYPE, _uds("RecordBatch")),
        (activity, RDFS_LABEL, ox.Literal(f"Batch {batch_id}", language="en")),
        (activity, RDFS_LABEL, ox.Literal(f"Bunke {batch_id}", language="da")),
        (activity, _dct("identifier"), ox.Literal(batch_id)),
        (activity, _prov("wasAssociatedWith"), steward),
        (activity, _prov("endedAtTime"), when),
        (activity, _prov("generated"), ox.NamedNode(base + BATCH_GRAPHS + batch_id)),
        (steward, RDF_TYPE, _prov("Agent")),
        (steward, RDFS_LABEL, ox.Literal(holder)),
    ]
    for number, upload in enumerate(uploads, start=1):
        file = ox.NamedNode(f"{activity.value}/file/{number}")
        triples += [
            (activity, _prov("used"), file),
            (file, RDF_TYPE, _prov("Entity")),
            (file, _dct("title"), ox.Literal(upload.safe_name)),
            (file, _uds("sha256"), ox.Literal(hashlib.sha256(upload.data).hexdigest())),
            (
                file,
                _uds("rowCount"),
                ox.Literal(str(_rows(upload)), datatype=ox.NamedNode(XSD + "integer")),
            ),
        ]
    triples += [(record, _prov("wasGeneratedBy"), activity) for record in records]
    return (ox.Quad(s, p, o, audit) for s, p, o in triples)


def _rows(upload: Upload) -> int:
    """The upload's data rows (spreadsheets) or lines (RDF)."""
    if upload.safe_name.lower().endswith(".csv"):
        return max(0, sum(1 for line in upload.data.splitlines() if line.strip()) - 1)
    return upload.data.count(b"\n")


def _store_with_history(
    store: Store,
    quads: list[ox.Quad],
    changed: list[ox.NamedNode],
    base: str,
) -> None:
    """Store the batch and keep each replaced record as a version, in one update."""
    old_quads = list(_old_quads(store, changed))
    # a replaced version is named after the batch that stored it
    graphs = {q.subject.value: q.graph_name.value for q in old_quads}
    versions = {r.value: f"{r.value}/version/{graphs[r.value].rsplit('/', 1)[-1]}" for r in changed}
    renamed = [
        ox.Quad(
            _versioned(q.subject, versions),
            q.predicate,
            _versioned(q.object, versions),
            q.graph_name,
        )
        for q in old_quads
        if not (q.predicate == RDF_TYPE and q.object == _uds("PartnershipRecord"))
    ]
    audit = ox.NamedNode(base + AUDIT_GRAPH)
    renamed += [
        ox.Quad(ox.NamedNode(versions[r.value]), RDF_TYPE, _prov("Entity"), audit) for r in changed
    ]
    revisions = [
        ox.Quad(r, _prov("wasRevisionOf"), ox.NamedNode(versions[r.value]), audit) for r in changed
    ]
    store.update(
        f"DELETE DATA {{ {_data(old_quads)} }} ;\n"
        f"INSERT DATA {{ {_data(renamed + quads + revisions)} }}"
    )


def _old_quads(store: Store, records: list[ox.NamedNode]) -> Iterable[ox.Quad]:
    """The quads of the records' own nodes in the batch graphs, 500 records a query."""
    prefix = store.base_iri + BATCH_GRAPHS
    for start in range(0, len(records), 500):
        nodes = " ".join(f"<{n}>" for r in records[start : start + 500] for n in _own_nodes(r))
        solutions = store.select(
            f"""SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {nodes} }}
                GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), "{prefix}")) }}"""
        )
        for row in solutions:
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"])


def _versioned(term: object, versions: dict[str, str]) -> object:
    if isinstance(term, ox.NamedNode):
        for current, version in versions.items():
            if term.value == current or term.value.startswith(current + "/decision"):
                return ox.NamedNode(version + term.value[len(current) :])
    return term


def _data(quads: Iterable[ox.Quad]) -> str:
    return " ".join(
        f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads
    )


# -- reading and retracting -----------------------------------------------------------------------


def list_batches(store: Store, limit: int = 50, offset: int = 0) -> list[dict]:
    """Accepted batches, newest first: id, when, who, records, retracted or not."""
    return _batches(store, page=f"LIMIT {int(limit)} OFFSET {int(offset)}")


def _batches(store: Store, *, only: ox.NamedNode | None = None, page: str = "") -> list[dict]:
    """The batches of the audit graph (or the one batch ``only``), newest first."""
    audit = store.base_iri + AUDIT_GRAPH
    chosen = f"VALUES ?batch {{ {only} }}" if only is not None else ""
    solutions = store.select(
        f"""SELECT ?batch ?id ?when ?who (COUNT(DISTINCT ?record) AS ?records) ?retracted WHERE {{
            GRAPH <{audit}> {{ {chosen}
                ?batch a uds:RecordBatch ; dct:identifier ?id ; prov:endedAtTime ?when ;
                       prov:wasAssociatedWith/rdfs:label ?who .
                OPTIONAL {{ ?record prov:wasGeneratedBy ?batch }}
                OPTIONAL {{ ?retraction prov:invalidated ?batch ; prov:endedAtTime ?retracted }}
            }}
        }} GROUP BY ?batch ?id ?when ?who ?retracted
        ORDER BY DESC(?when) DESC(?id) {page}"""
    )
    return [
        {
            "id": row["id"].value,
            "accepted": row["when"].value,
            "by": row["who"].value,
            "records": int(row["records"].value),
            "retracted": row["retracted"].value if row["retracted"] else None,
        }
        for row in solutions
    ]


def describe_batch(store: Store, batch_id: str) -> dict:
    """A batch's provenance and records; :class:`UnknownBatch` if there is none."""
    try:
        activity = ox.NamedNode(store.base_iri + BATCHES + batch_id)
    except ValueError:  # not an id udsyn could have given
        raise UnknownBatch(f"no batch {batch_id!r}") from None
    found = _batches(store, only=activity)
    if not found:
        raise UnknownBatch(f"no batch {batch_id!r}")
    base = store.base_iri
    files = store.select(
        f"""SELECT ?title ?sha256 ?rows WHERE {{ GRAPH <{base}{AUDIT_GRAPH}> {{
            {activity} prov:used ?file . ?file dct:title ?title ; uds:sha256 ?sha256 ;
            uds:rowCount ?rows }} }} ORDER BY ?file"""
    )
    records = store.select(
        f"""SELECT ?record ?id WHERE {{ GRAPH <{base}{AUDIT_GRAPH}> {{
            ?record prov:wasGeneratedBy {activity} }}
            OPTIONAL {{ ?record dct:identifier ?id }} }} ORDER BY ?id"""
    )
    return {
        **found[0],
        "graph": base + BATCH_GRAPHS + batch_id,
        "files": [
            {"name": r["title"].value, "sha256": r["sha256"].value, "rows": int(r["rows"].value)}
            for r in files
        ],
        "records": [
            {"id": r["id"].value if r["id"] else None, "iri": r["record"].value} for r in records
        ],
    }


def retract(store: Store, batch_id: str, holder: str, now: datetime.datetime | None = None) -> None:
    """Drop the batch's graph and record the retraction, in one update."""
    batch = describe_batch(store, batch_id)
    if batch["retracted"]:
        raise UnknownBatch(f"batch {batch_id!r} was retracted at {batch['retracted']}")
    now = now or datetime.datetime.now(datetime.UTC)
    base = store.base_iri
    activity = ox.NamedNode(base + BATCHES + batch_id)
    retraction = ox.NamedNode(f"{activity.value}/retraction")
    steward = ox.NamedNode(base + STEWARDS + slug(holder))
    when = ox.Literal(
        now.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime")
    )
    audit = ox.NamedNode(base + AUDIT_GRAPH)
    quads = [
        ox.Quad(retraction, RDF_TYPE, _prov("Activity"), audit),
        ox.Quad(
            retraction,
            RDFS_LABEL,
            ox.Literal(f"Retraction of batch {batch_id}", language="en"),
            audit,
        ),
        ox.Quad(
            retraction,
            RDFS_LABEL,
            ox.Literal(f"Tilbagetrækning af bunke {batch_id}", language="da"),
            audit,
        ),
        ox.Quad(retraction, _prov("invalidated"), activity, audit),
        ox.Quad(retraction, _prov("wasAssociatedWith"), steward, audit),
        ox.Quad(retraction, _prov("endedAtTime"), when, audit),
        ox.Quad(steward, RDF_TYPE, _prov("Agent"), audit),
        ox.Quad(steward, RDFS_LABEL, ox.Literal(holder), audit),
    ]
    store.update(f"DROP SILENT GRAPH <{batch['graph']}> ;\nINSERT DATA {{ {_data(quads)} }}")
    log.info("retracted batch %s by %s", batch_id, holder)
