"""Checking the graph: SHACL shapes with pySHACL, and OWL consistency with HermiT.

Everything is parsed by :mod:`udsyn.loading` (pyoxigraph), which never fetches anything;
rdflib only ever sees N-Triples produced here, and pySHACL runs without ``owl:imports``.
HermiT runs through owlready2 in a child process with a time limit, so that a stuck Java
process cannot hang the caller and its console output never reaches ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL
from rdflib.paths import Path as RdflibPath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from udsyn.config import DEFAULT_BASE_IRI
from udsyn.loading import Source, read_all, shipped_sources
from udsyn.namespaces import VOCABULARIES
from udsyn.shipped import data_files, shape_files
from udsyn.store import Store

SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPES = "https://w3id.org/udsyn/shapes#"
VOCABULARIES_GRAPH = "id/graph/vocabularies"
SEVERITIES = ("Violation", "Warning", "Info")
HERMIT_TIMEOUT = 300.0
HERMIT = "owl:HermiT"
_PREFIXES = {**VOCABULARIES, "udsh": SHAPES, "schema": "http://schema.org/"}


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a check found wrong or worth a look.

    ``focus`` and ``path`` are IRIs (blank nodes as ``_:id``, complex paths as SPARQL paths);
    ``value`` is an N-Triples term; ``source`` names what produced the finding: a shape
    (``udsh:Name``, or ``udsh:Name path`` for a property shape inside it) or ``owl:HermiT``.
    """

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    source: str
    constraint: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ReasonerResult:
    """What the OWL reasoner said: ``consistent`` is ``None`` when it could not decide."""

    ran: bool
    consistent: bool | None
    detail: str
    seconds: float = 0.0
    unsatisfiable: tuple[str, ...] = ()


@dataclass
class ValidationReport:
    """The findings of every check; the graph conforms when there is no Violation."""

    findings: list[Finding] = field(default_factory=list)
    reasoner: ReasonerResult | None = None
    base_iri: str = DEFAULT_BASE_IRI
    shacl_seconds: float = 0.0
    shape_files: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(finding.severity == "Violation" for finding in self.findings)

    @property
    def counts(self) -> dict[str, int]:
        counted = {severity: 0 for severity in SEVERITIES}
        for finding in self.findings:
            counted[finding.severity] = counted.get(finding.severity, 0) + 1
        return counted

    def by_severity(self, severity: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == severity]

    def about(self, focus_nodes: set[str]) -> ValidationReport:
        """The report narrowed to findings on the given resources (and the reasoner's)."""
        kept = [f for f in self.findings if f.focus in focus_nodes or f.source == "owl:HermiT"]
        return replace(self, findings=kept)

    def to_json(self) -> str:
        """The report as a JSON document (see docs/validation.md)."""
        document = {
            "conforms": self.conforms,
            "counts": self.counts,
            "base_iri": self.base_iri,
            "shacl": {"seconds": round(self.shacl_seconds, 3), "shapes": self.shape_files},
            "reasoner": _reasoner_json(self.reasoner),
            "findings": [finding.to_dict() for finding in self.findings],
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        """The report for people: a summary, then the findings grouped by severity."""
        shapes = ", ".join(self.shape_files) or "custom shapes"
        lines = [
            f"SHACL ({shapes}): checked in {self.shacl_seconds:.1f} s",
            _reasoner_line(self.reasoner),
            self._summary_line(),
        ]
        for severity in SEVERITIES:
            found = self.by_severity(severity)
            if not found:
                continue
            heading = severity if severity == "Info" else f"{severity}s"
            lines += ["", f"{heading} ({len(found)})"]
            lines += [_finding_text(finding, self.base_iri) for finding in found]
        verdict = "conforms" if self.conforms else "does not conform"
        lines += ["", f"result: the graph {verdict}"]
        return "\n".join(lines)

    def _summary_line(self) -> str:
        counts = self.counts
        parts = ", ".join(f"{counts[s]} {s.lower()}{'s' * (counts[s] != 1)}" for s in SEVERITIES)
        return "findings: " + parts.replace("infos", "info")


def _reasoner_json(result: ReasonerResult | None) -> dict | None:
    if result is None:
        return None
    answer = asdict(result)
    answer["seconds"] = round(result.seconds, 3)
    answer["unsatisfiable"] = list(result.unsatisfiable)
    return answer


def _reasoner_line(result: ReasonerResult | None) -> str:
    if result is None:
        return "OWL (HermiT): not run"
    return f"OWL (HermiT): {result.detail} ({result.seconds:.1f} s)"


def _finding_text(finding: Finding, base_iri: str) -> str:
    where = compact_iri(finding.focus, base_iri) or "(the graph as a whole)"
    if finding.path:
        where += f"  {compact_iri(finding.path, base_iri)}"
    lines = [f"  {where}", f"    {finding.message}"]
    details = []
    if finding.value:
        details.append(f"value: {compact_term(finding.value, base_iri)}")
    details.append(f"shape: {compact_iri(finding.source, base_iri)}")
    lines.append("    " + "   ".join(details))
    return "\n".join(lines)


def compact_iri(iri: str | None, base_iri: str) -> str:
    """An IRI made short: a prefixed name, or ``<relative>`` under the base."""
    if not iri:
        return ""
    if "://" not in iri or " " in iri:  # a blank node, a prefixed name or a complex path
        return iri
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    if base_iri and iri.startswith(base_iri):
        return f"<{iri[len(base_iri) :]}>"
    return f"<{iri}>"


def compact_term(term: str, base_iri: str) -> str:
    """An N-Triples term made short (IRIs compacted, literals as written)."""
    if term.startswith("<") and term.endswith(">"):
        return compact_iri(term[1:-1], base_iri)
    if term.startswith('"') and "^^<" in term:
        text, _, datatype = term.rpartition("^^<")
        return f"{text}^^{compact_iri(datatype[:-1], base_iri)}"
    return term


# -- building the graph to check -------------------------------------------------------------


def graph_from_files(
    sources: Sequence[Source],
    base_iri: str = DEFAULT_BASE_IRI,
    *,
    with_vocabularies: bool = True,
    with_shipped_data: bool = False,
) -> Graph:
    """The files given, with the shipped ontology and concept schemes they refer to.

    With ``with_shipped_data`` the whole shipped graph is added, so that a record may refer
    to the places and organisations udsyn already describes.
    """
    quads = list(read_all(sources, base_iri))
    quads += read_all(_ontology_sources(), base_iri)
    if with_shipped_data:
        quads += read_all([Source(path) for path in data_files()], base_iri)
    elif with_vocabularies:
        vocabularies = ox.NamedNode(base_iri + VOCABULARIES_GRAPH)
        shipped = read_all([Source(path) for path in data_files()], base_iri)
        quads += (quad for quad in shipped if quad.graph_name == vocabularies)
    return to_rdflib((quad.triple for quad in quads), base_iri)


def graph_from_store(store: Store) -> Graph:
    """Every triple of the store's union graph (ontology and data as loaded)."""
    return to_rdflib(store.triples(), store.base_iri)


def _ontology_sources() -> list[Source]:
    return [source for source in shipped_sources() if source.graph is not None]


def to_rdflib(triples: Iterable[ox.Triple], base_iri: str) -> Graph:
    """An rdflib graph of the triples, through N-Triples (nothing is fetched)."""
    graph = Graph(base=base_iri)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if data:
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


@lru_cache(maxsize=8)
def load_shapes(base_iri: str = DEFAULT_BASE_IRI, paths: tuple[Path, ...] | None = None) -> Graph:
    """The SHACL shapes (default: the shipped ones), relative IRIs resolved against the base."""
    chosen = [Source(path) for path in (paths if paths is not None else shape_files())]
    return to_rdflib((quad.triple for quad in read_all(chosen, base_iri)), base_iri)


# -- running the checks -------------------------------------------------------------------------


def run_checks(
    graph: Graph,
    reasoner: bool = True,
    *,
    base_iri: str | None = None,
    shapes: Graph | None = None,
    timeout: float = HERMIT_TIMEOUT,
) -> ValidationReport:
    """Check the graph against the SHACL shapes and, with ``reasoner``, for OWL consistency."""
    base = base_iri or _graph_base(graph)
    shapes_graph = shapes if shapes is not None else load_shapes(base)
    started = time.monotonic()
    findings = run_shacl(graph, shapes_graph)
    report = ValidationReport(
        findings=findings,
        base_iri=base,
        shacl_seconds=time.monotonic() - started,
        shape_files=[path.name for path in shape_files()] if shapes is None else [],
    )
    if reasoner:
        report.reasoner, owl_findings = check_consistency(graph, timeout=timeout)
        report.findings = sorted(set(report.findings + owl_findings), key=_order)
    return report


def _graph_base(graph: Graph) -> str:
    base = getattr(graph, "base", None)
    return str(base) if base else DEFAULT_BASE_IRI


def run_shacl(graph: Graph, shapes: Graph) -> list[Finding]:
    """The SHACL findings: pySHACL, no inference, Warnings and Info never fail conformance."""
    return shacl_report(graph, shapes)[0]


# SHACL engines with pySHACL's API: pySHACL is the reference; pyshacl-turbo (Rust) gives the
# same findings on udsyn's shapes many times faster (benchmarks/README.md, register checks).
ENGINES = ("pyshacl", "pyshacl-turbo")


def shacl_report(
    graph: Graph, shapes: Graph, engine: str = "pyshacl"
) -> tuple[list[Finding], Graph]:
    """The SHACL findings and the ``sh:ValidationReport`` graph they are read from."""
    if engine == "pyshacl-turbo":
        from pyshacl_turbo import validate as run_engine
    else:
        run_engine = validate
        graph = _QueryCachingGraph(store=graph.store, identifier=graph.identifier)
    _, results, _ = run_engine(
        graph,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        advanced=False,
        do_owl_imports=False,
        meta_shacl=False,
    )
    return sorted(set(_findings(results, shapes)), key=_order), results


class _QueryCachingGraph(Graph):
    """A view of a graph that parses each SPARQL text once.

    pySHACL sends the text of a SPARQL constraint once per focus node, and parsing costs far
    more than answering; a prepared query is reused with each focus node's bindings instead.
    """

    def query(  # type: ignore[override]
        self,
        query_object: Any,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Any = None,
        initBindings: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str) and not initNs:
            query_object = _prepared(query_object)
        return super().query(query_object, processor, result, initNs, initBindings, *args, **kwargs)


@lru_cache(maxsize=256)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


def _order(finding: Finding) -> tuple:
    return (SEVERITIES.index(finding.severity), finding.source, finding.focus, str(finding))


def _findings(results: Graph, shapes: Graph) -> Iterable[Finding]:
    for report in results.subjects(RDF.type, SH.ValidationReport):
        for result in results.objects(report, SH.result):
            severity = results.value(result, SH.resultSeverity)
            shape = results.value(result, SH.sourceShape)
            path = results.value(result, SH.resultPath)
            value = results.value(result, SH.value)
            component = results.value(result, SH.sourceConstraintComponent)
            messages = list(results.objects(result, SH.resultMessage))
            yield Finding(
                severity=_local(severity) if severity else "Violation",
                focus=_name(results.value(result, SH.focusNode)),
                path=_path_text(results, path) if path is not None else None,
                value=value.n3() if value is not None else None,
                message=" ".join(sorted(str(m) for m in messages)) or "(no message)",
                source=_shape_name(shapes, shape),
                constraint=_local(component) if component else None,
            )


def _local(term: URIRef) -> str:
    return str(term).rsplit("#", 1)[-1]


def _name(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    return str(term)


def _path_text(graph: Graph, path: object) -> str:
    """A SHACL path as an IRI, or as a SPARQL property path for a complex one."""
    if isinstance(path, URIRef):
        return str(path)
    if isinstance(path, RdflibPath):
        return path.n3()
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        members = Collection(graph, alternatives)
        return "|".join(compact_iri(str(m), "") for m in members)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{compact_iri(str(inverse), '')}"
    return _name(path)


def _shape_name(shapes: Graph, shape: object) -> str:
    """A shape's IRI; an anonymous property shape is named after its node shape and path."""
    if shape is None:
        return ""
    if not isinstance(shape, BNode):
        return compact_iri(str(shape), "")
    parent = shapes.value(predicate=SH.property, object=shape)
    path = shapes.value(shape, SH.path)
    path_text = compact_iri(_path_text(shapes, path), "") if path is not None else "?"
    owner = compact_iri(str(parent), "") if isinstance(parent, URIRef) else "_"
    return f"{owner} {path_text}"


# -- OWL consistency (HermiT through owlready2) -------------------------------------------------

_HERMIT_CHILD = r"""
import json, sys
import owlready2
from owlready2 import OwlReadyInconsistentOntologyError, World, sync_reasoner_hermit

source, answer = sys.argv[1], sys.argv[2]
world = World()
ontology = world.get_ontology("file://" + source)
with open(source, "rb") as stream:
    ontology.load(fileobj=stream, format="ntriples", only_local=True)
result = {"consistent": True, "unsatisfiable": []}
try:
    sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                         ignore_unsupported_datatypes=True)
    result["unsatisfiable"] = sorted(c.iri for c in world.inconsistent_classes())
except OwlReadyInconsistentOntologyError:
    result["consistent"] = False
with open(answer, "w", encoding="utf-8") as stream:
    json.dump(result, stream)
"""


def check_consistency(
    graph: Graph, timeout: float = HERMIT_TIMEOUT
) -> tuple[ReasonerResult, list[Finding]]:
    """Ask HermiT whether ontology and data are consistent; name likely causes if not."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="udsyn-owl-") as folder:
        source, answer = Path(folder) / "graph.nt", Path(folder) / "answer.json"
        source.write_bytes(_owl_ntriples(graph))
        outcome = _run_child([str(source), str(answer)], timeout, folder)
        seconds = time.monotonic() - started
        if outcome is not None:
            result = ReasonerResult(True, None, outcome, seconds)
            return result, [_reasoner_trouble(outcome)]
        verdict = json.loads(answer.read_text(encoding="utf-8"))
    unsatisfiable = tuple(verdict["unsatisfiable"])
    if not verdict["consistent"]:
        result = ReasonerResult(True, False, "inconsistent", seconds)
        return result, inconsistency_findings(graph)
    detail = "consistent" + (f", {len(unsatisfiable)} unsatisfiable classes" * bool(unsatisfiable))
    result = ReasonerResult(True, True, detail, seconds, unsatisfiable)
    return result, [_unsatisfiable_finding(iri) for iri in unsatisfiable]


def _owl_ntriples(graph: Graph) -> bytes:
    """The graph as N-Triples without ``owl:imports``, which owlready2 would try to fetch."""
    kept = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            kept.add(triple)
    return kept.serialize(format="nt", encoding="utf-8")


def _run_child(arguments: list[str], timeout: float, folder: str) -> str | None:
    """Run the HermiT child; ``None`` when it answered, else what went wrong.

    Its temporary files go to ``folder`` (owlready2 keeps its own when killed), which the
    caller removes.
    """
    command = [sys.executable, "-c", _HERMIT_CHILD, *arguments]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": folder},
        start_new_session=True,  # its own process group: Java goes down with it on a timeout
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return f"did not finish within {timeout:.0f} s"
    if process.returncode != 0 or not Path(arguments[1]).exists():
        last = output.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return f"could not run: {last[0][:300]}"
    return None


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _reasoner_trouble(outcome: str) -> Finding:
    return Finding(
        severity="Warning",
        focus="",
        path=None,
        value=None,
        message=f"The OWL consistency check (HermiT) {outcome}; the graph was not checked for "
        "logical consistency. Check that Java is installed, or run with --no-reasoner.",
        source=HERMIT,
    )


def _unsatisfiable_finding(iri: str) -> Finding:
    return Finding(
        severity="Violation",
        focus=iri,
        path=None,
        value=None,
        message="The class can have no instances (HermiT finds it unsatisfiable): its "
        "superclasses or restrictions contradict each other; fix the ontology axioms.",
        source=HERMIT,
    )


# -- explaining an inconsistency -----------------------------------------------------------------


def inconsistency_findings(graph: Graph) -> list[Finding]:
    """Violations naming the likely causes of an inconsistency, or one general Violation."""
    found = _disjointness_clashes(graph) + _functional_clashes(graph)
    if found:
        return sorted(set(found), key=_order)
    return [
        Finding(
            severity="Violation",
            focus="",
            path=None,
            value=None,
            message="The ontology and data are logically inconsistent (HermiT), and no single "
            "resource in two disjoint classes was found; look for values whose rdfs:domain or "
            "rdfs:range puts a resource into a class disjoint with its type.",
            source=HERMIT,
        )
    ]


def _disjointness_clashes(graph: Graph) -> list[Finding]:
    """Resources that are, by their types or by domains and ranges, in two disjoint classes."""
    pairs = _disjoint_pairs(graph)
    if not pairs:
        return []
    closure = _superclasses(graph)
    types: dict[object, set] = defaultdict(set)
    for node, kind in graph.subject_objects(RDF.type):
        if isinstance(kind, URIRef):
            types[node] |= closure.get(kind, {kind})
    for node, kind in _implied_types(graph):
        types[node] |= closure.get(kind, {kind})
    findings = []
    for node, kinds in types.items():
        for first, second in pairs:
            if first in kinds and second in kinds:
                asserted = sorted(compact_iri(str(k), "") for k in graph.objects(node, RDF.type))
                findings.append(_clash(node, first, second, asserted))
    return findings


def _clash(node: object, first: URIRef, second: URIRef, asserted: list[str]) -> Finding:
    one, other = sorted((compact_iri(str(first), ""), compact_iri(str(second), "")))
    typed = f" (typed {', '.join(asserted)})" if asserted else ""
    return Finding(
        severity="Violation",
        focus=_name(node),
        path=None,
        value=None,
        message=f"The ontology and data are logically inconsistent: this resource{typed} is "
        f"both a {one} and a {other}, which the ontology declares disjoint (through its types "
        "or the domain or range of a property used with it); fix its type or the property.",
        source=HERMIT,
    )


def _disjoint_pairs(graph: Graph) -> set[tuple[URIRef, URIRef]]:
    pairs: set[tuple[URIRef, URIRef]] = set()
    for first, second in graph.subject_objects(OWL.disjointWith):
        pairs.add(tuple(sorted((first, second))))  # type: ignore[arg-type]
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = [m for m in Collection(graph, graph.value(group, OWL.members)) if m]
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                pairs.add(tuple(sorted((first, second))))  # type: ignore[arg-type]
    return {pair for pair in pairs if all(isinstance(c, URIRef) for c in pair)}


def _superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """Every named class with itself and all its named superclasses."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in graph.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[sub].add(sup)
    closure: dict[URIRef, set[URIRef]] = {}
    for start in list(direct):
        seen, todo = {start}, [start]
        while todo:
            for sup in direct.get(todo.pop(), ()):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        closure[start] = seen
    return closure


def _implied_types(graph: Graph) -> Iterable[tuple[object, URIRef]]:
    """Types that the named domains and ranges of the properties used imply."""
    domains, ranges = _property_bounds(graph)
    for subject, predicate, obj in graph:
        for kind in domains.get(predicate, ()):
            yield subject, kind
        if not isinstance(obj, Literal):
            for kind in ranges.get(predicate, ()):
                yield obj, kind


def _property_bounds(graph: Graph) -> tuple[dict, dict]:
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in graph.subject_objects(RDFS.subPropertyOf):
        supers[sub].add(sup)
    domains: dict[URIRef, set[URIRef]] = defaultdict(set)
    ranges: dict[URIRef, set[URIRef]] = defaultdict(set)
    properties = set(graph.subjects(RDFS.domain)) | set(graph.subjects(RDFS.range)) | set(supers)
    for prop in properties:
        seen, todo = {prop}, [prop]
        while todo:
            current = todo.pop()
            domains[prop] |= {d for d in graph.objects(current, RDFS.domain) if _named(d)}
            ranges[prop] |= {r for r in graph.objects(current, RDFS.range) if _named(r)}
            todo += [s for s in supers.get(current, ()) if s not in seen]
            seen |= supers.get(current, set())
    return domains, ranges


def _named(term: object) -> bool:
    """A named class (not a datatype, not an anonymous union)."""
    return isinstance(term, URIRef) and not str(term).startswith(
        ("http://www.w3.org/2001/XMLSchema#", str(RDF), str(RDFS.Literal))
    )


def _functional_clashes(graph: Graph) -> list[Finding]:
    """Resources with two different values of a functional property."""
    findings = []
    for prop in graph.subjects(RDF.type, OWL.FunctionalProperty):
        values: dict[object, set] = defaultdict(set)
        for subject, obj in graph.subject_objects(prop):
            values[subject].add(obj)
        for subject, objects in values.items():
            if len(objects) > 1 and all(isinstance(o, Literal) for o in objects):
                shown = ", ".join(sorted(o.n3() for o in objects))
                findings.append(
                    Finding(
                        severity="Violation",
                        focus=_name(subject),
                        path=str(prop),
                        value=None,
                        message="The ontology and data are logically inconsistent: "
                        f"{compact_iri(str(prop), '')} is functional (one value), but this "
                        f"resource has {shown}; keep the right one.",
                        source=HERMIT,
                    )
                )
    return findings


__all__ = [
    "Finding",
    "ReasonerResult",
    "ValidationReport",
    "check_consistency",
    "graph_from_files",
    "graph_from_store",
    "load_shapes",
    "run_checks",
    "run_shacl",
]
