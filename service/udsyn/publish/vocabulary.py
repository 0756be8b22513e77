"""The terms a DCAT-AP catalogue is written in, and the EU authority concepts it uses.

Each controlled value is described with its ``skos:inScheme`` (and its scheme typed
``skos:ConceptScheme``), so the DCAT-AP vocabulary shapes can check it without fetching the
authority tables.
"""

from __future__ import annotations

from dataclasses import dataclass

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
DCATAP = "http://data.europa.eu/r5r/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
VOID = "http://rdfs.org/ns/void#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
ADMS = "http://www.w3.org/ns/adms#"
UDS = "https://w3id.org/udsyn/ontology#"

AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"

# Prefixes for writing the catalogue and VoID in Turtle (the IRIs stay absolute).
PREFIXES = {
    "dcat": DCAT, "dct": DCT, "dcatap": DCATAP, "foaf": FOAF, "vcard": VCARD, "spdx": SPDX,
    "skos": SKOS, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "owl": OWL, "void": VOID,
    "hydra": HYDRA, "adms": ADMS, "uds": UDS,
}  # fmt: skip


@dataclass(frozen=True)
class Concept:
    """A concept of a controlled vocabulary: its IRI, its scheme, an English label, and the
    classes DCAT-AP expects of it where it is used (``dct:LinguisticSystem`` ...)."""

    iri: str
    scheme: str
    label: str
    types: tuple[str, ...] = ()


def _authority(table: str, code: str, label: str, *types: str) -> Concept:
    return Concept(f"{AUTHORITY}{table}/{code}", f"{AUTHORITY}{table}", label, types)


LICENCE_CC_BY_4_0 = _authority("licence", "CC_BY_4_0", "Creative Commons Attribution 4.0",
                               DCT + "LicenseDocument")  # fmt: skip
DANISH = _authority("language", "DAN", "Danish", DCT + "LinguisticSystem")
ENGLISH = _authority("language", "ENG", "English", DCT + "LinguisticSystem")
IRREGULAR = _authority("frequency", "IRREG", "irregular", DCT + "Frequency")
GOVERNMENT = _authority("data-theme", "GOVE", "Government and public sector")
INTERNATIONAL = _authority("data-theme", "INTR", "International issues")
DENMARK = _authority("country", "DNK", "Denmark", DCT + "Location")
STABLE = _authority("planned-availability", "STABLE", "stable")
PUBLIC = _authority("access-right", "PUBLIC", "public", DCT + "RightsStatement")
DATA_THEMES = f"{AUTHORITY}data-theme"

# ADMS controlled vocabularies (DCAT-AP's publisher type and licence type).
REGIONAL_AUTHORITY = Concept(
    "http://purl.org/adms/publishertype/RegionalAuthority",
    "http://purl.org/adms/publishertype/1.0",
    "Regional authority",
)
ATTRIBUTION = Concept(
    "http://purl.org/adms/licencetype/Attribution",
    "http://purl.org/adms/licencetype/1.0",
    "Attribution",
)

# Region Midtjylland by its NUTS 2021 code, as data/identifiers.trig gives it.
NUTS_2021 = "http://data.europa.eu/nuts/scheme/2021"
MIDTJYLLAND_NUTS = Concept(
    "http://data.europa.eu/nuts/code/DK04", NUTS_2021, "Midtjylland", (DCT + "Location",)
)

# The title of each scheme the catalogue's concepts belong to.
SCHEME_TITLES = {
    f"{AUTHORITY}licence": "Licence",
    f"{AUTHORITY}language": "Language",
    f"{AUTHORITY}frequency": "Frequency",
    f"{AUTHORITY}data-theme": "Data theme",
    f"{AUTHORITY}country": "Country",
    f"{AUTHORITY}planned-availability": "Planned availability",
    f"{AUTHORITY}access-right": "Access right",
    f"{AUTHORITY}file-type": "File type",
    "http://purl.org/adms/publishertype/1.0": "Publisher type",
    "http://purl.org/adms/licencetype/1.0": "Licence type",
    NUTS_2021: "NUTS 2021",
}

SHA256 = f"{SPDX}checksumAlgorithm_sha256"
SHA1 = f"{SPDX}checksumAlgorithm_sha1"  # the only algorithm DCAT-AP 2.1.1 admits
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
SPARQL_SERVICE_DESCRIPTION = "https://www.w3.org/TR/sparql11-service-description/"


def file_type(code: str) -> Concept:
    """A concept of the EU file-type table (``RDF_TURTLE``, ``CSV`` ...)."""
    return _authority("file-type", code, code, DCT + "MediaTypeOrExtent")


def media_type(name: str) -> str:
    """The IANA registry's IRI of a media type (``text/turtle``)."""
    return IANA + name
