"""The catalogue against the official DCAT-AP SHACL shapes, profile by profile.

The shapes are read from the reference folder (``../shared/reference/dcat-ap`` beside the
checkout, or ``UDSYN_DCAT_AP_SHAPES``), never copied into udsyn. Two upstream defects are
mended in memory, as that folder's README describes, and one more found here:

- DCAT-AP 3.0.0's and 3.0.1's ``sh:class rdfs:Resource`` on plain IRI values: every profile
  is checked with RDFS inference, which makes every resource an ``rdfs:Resource``;
- DCAT-AP 3.0.1's dangling ``sh:property`` references (SEMICeu/DCAT-AP#448), which stop
  pySHACL: references to nodes that are no property shape are removed;
- DCAT-AP 3.x's vocabulary shapes ask the checksum algorithm's IRI to start with
  ``https://spdx.org/rdf/terms``, while SPDX's namespace, and DCAT-AP's own examples, are
  ``http://spdx.org/rdf/terms#``: that pattern is removed (its ``sh:class`` stays);
- DCAT-AP 3.0.0's split ``shapes.ttl`` gives ``dcat:byteSize`` the datatype ``xsd:decimal``,
  where the release's consolidated file, its specification and DCAT 3 give
  ``xsd:nonNegativeInteger``: the split file is checked with the release's own datatype.

DCAT-AP 2.1.1 and the Danish profile built on it are checked against the release's DCAT-AP
2.1.1 catalogue (sizes as ``xsd:decimal``, SHA-1 checksums, as 2.1.1 asks), the others
against the DCAT-AP 3 catalogue.

DCAT-AP-DK 2.0.2's additions to DCAT-AP 2.1.1 are udsyn's own shapes
(``dcat-ap-dk-2.0.2-additions.ttl``), since the Danish profile's SHACL states no licence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pyoxigraph import NamedNode
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, SH, XSD

from udsyn.namespaces import compact

DK_ADDITIONS = Path(__file__).with_name("dcat-ap-dk-2.0.2-additions.ttl")
SPDX_HTTPS_PATTERN = Literal("^https://spdx.org/rdf/terms")


@dataclass(frozen=True)
class Profile:
    """A set of shapes a catalogue is checked against, and how."""

    name: str
    files: tuple[str, ...]  # relative to the reference folder; absolute for udsyn's own
    prune_dangling: bool = False
    byte_size_as_released: bool = False  # the 3.0.0 split files' byteSize datatype mended
    dcat_ap_2: bool = False  # checks the DCAT-AP 2.1.1 catalogue


PROFILES: tuple[Profile, ...] = (
    Profile("DCAT-AP 3.0.0", tuple(f"3.0.0/split/{name}.ttl" for name in (
        "shapes", "range", "shapes_recommended", "mdr-vocabularies.shape", "deprecateduris")),
            byte_size_as_released=True),
    Profile("DCAT-AP 3.0.1", ("3.0.1/dcat-ap-SHACL.ttl", "3.0.1/ranges.ttl", *(
        f"3.0.1/split/{name}.ttl" for name in (
            "shapes_recommended", "mdr-vocabularies.shape", "deprecateduris"))),
            prune_dangling=True),
    Profile("DCAT-AP 2.1.1", tuple(f"2.1.1/dcat-ap_2.1.1_shacl_{name}.ttl" for name in (
        "shapes", "range", "shapes_recommended", "mdr-vocabularies.shape", "deprecateduris")),
            dcat_ap_2=True),
    Profile("DCAT-AP-DK 2.0.2 additions", (str(DK_ADDITIONS),), dcat_ap_2=True),
)  # fmt: skip


class ShapesMissing(Exception):
    """The reference folder with the DCAT-AP shapes is not where udsyn looks."""


@dataclass(frozen=True)
class Finding:
    """One SHACL result: its severity, the node, the property and the message."""

    severity: str
    focus: str
    path: str
    message: str


@dataclass(frozen=True)
class ProfileResult:
    """What one profile found: the catalogue conforms when there is no violation."""

    profile: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def conforms(self) -> bool:
        return self.count("Violation") == 0

    def summary(self) -> str:
        verdict = "conforms" if self.conforms else "does not conform"
        return (f"{self.profile}: {verdict} ({self.count('Violation')} violations, "
                f"{self.count('Warning')} warnings, {self.count('Info')} notes)")  # fmt: skip


def reference_folder() -> Path:
    """Where the official shapes are: ``UDSYN_DCAT_AP_SHAPES``, else ``../shared/reference/
    dcat-ap`` beside the checkout or the working directory."""
    named = os.environ.get("UDSYN_DCAT_AP_SHAPES")
    candidates = [Path(named)] if named else [
        Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "dcat-ap",
        Path.cwd().parent / "shared" / "reference" / "dcat-ap",
    ]  # fmt: skip
    for candidate in candidates:
        if (candidate / "3.0.1").is_dir():
            return candidate
    raise ShapesMissing(
        f"the DCAT-AP shapes are not at {candidates[0]}; set UDSYN_DCAT_AP_SHAPES to the folder "
        "holding 2.1.1/, 3.0.0/ and 3.0.1/ (github.com/SEMICeu/DCAT-AP releases)"
    )


def check_catalogue(
    catalogue: Graph,
    catalogue_2_1_1: Graph,
    profiles: Sequence[Profile] = PROFILES,
    folder: Path | None = None,
) -> list[ProfileResult]:
    """The catalogues checked against each profile, with RDFS inference."""
    import pyshacl

    where = folder or reference_folder()
    results = []
    for profile in profiles:
        _, report, _ = pyshacl.validate(
            catalogue_2_1_1 if profile.dcat_ap_2 else catalogue,
            shacl_graph=shapes_of(profile, where),
            inference="rdfs",
            allow_warnings=True,
            allow_infos=True,
        )
        results.append(ProfileResult(profile.name, _findings(report)))
    return results


@cache
def shapes_of(profile: Profile, folder: Path) -> Graph:
    """A profile's shapes as one graph, with the upstream defects mended."""
    shapes = Graph()
    for name in profile.files:
        path = folder / name
        if not path.is_file():
            raise ShapesMissing(f"{path} is missing from the DCAT-AP shapes folder")
        shapes.parse(path, format="turtle")
    if profile.prune_dangling:
        dangling = [(shape, reference) for shape, reference in shapes.subject_objects(SH.property)
                    if (reference, SH.path, None) not in shapes]  # fmt: skip
        for shape, reference in dangling:
            shapes.remove((shape, SH.property, reference))
    shapes.remove((None, SH.pattern, SPDX_HTTPS_PATTERN))
    if profile.byte_size_as_released:
        for shape in list(shapes.subjects(SH.path, DCAT.byteSize)):
            if (shape, SH.datatype, XSD.decimal) in shapes:
                shapes.set((shape, SH.datatype, XSD.nonNegativeInteger))
    return shapes


def _findings(report: Graph) -> tuple[Finding, ...]:
    """The report's results (their nested details are not findings of their own)."""
    found = []
    for result in report.objects(None, SH.result):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        found.append(
            Finding(
                severity=str(severity).rsplit("#", 1)[-1],
                focus=str(focus),
                path=_short(path),
                message=str(message or ""),
            )
        )
    return tuple(sorted(set(found), key=lambda f: (f.severity, f.focus, f.path, f.message)))


def _short(term: object) -> str:
    if isinstance(term, URIRef):
        return compact(NamedNode(str(term)), "")
    return "" if term is None else str(term)
