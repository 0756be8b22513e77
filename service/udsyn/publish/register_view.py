"""The partner-register view: every agreement and partnership record in the store as one row
of the register layout (``docs/registers.md``), for people who want a table."""

from __future__ import annotations

import csv
import io

from udsyn.registers.layout import column_names
from udsyn.store import Store

# One row per agreement or record; names in English where the graph has them. An agreement
# the strategy states without a kind counts as a cooperation agreement, as the register
# checks count it; one without a register identifier is identified by its IRI.
ROWS = """
SELECT ?agreement
  (SAMPLE(?identifier) AS ?id)
  (GROUP_CONCAT(DISTINCT ?partnerName; separator=";") AS ?partner)
  (GROUP_CONCAT(DISTINCT ?countryCode; separator=";") AS ?partner_country)
  (SAMPLE(?kindName) AS ?kind)
  (SAMPLE(?statusName) AS ?status)
  (GROUP_CONCAT(DISTINCT ?bodyName; separator=";") AS ?decided_by)
  (MIN(?decisionDate) AS ?decision_date)
  (MIN(?start) AS ?start_date)
  (MAX(?end) AS ?end_date)
  (GROUP_CONCAT(DISTINCT ?areaName; separator=";") AS ?focus_areas)
  (GROUP_CONCAT(DISTINCT ?officeName; separator=";") AS ?office)
  (GROUP_CONCAT(DISTINCT ?cityName; separator=";") AS ?office_city)
  (GROUP_CONCAT(DISTINCT ?unitName; separator=";") AS ?contact_unit)
  (GROUP_CONCAT(DISTINCT STR(?source); separator=";") AS ?source)
WHERE {
  { ?agreement a uds:CooperationAgreement } UNION { ?agreement a uds:PartnershipRecord }
  OPTIONAL { ?agreement dct:identifier ?given }
  BIND(COALESCE(STR(?given), STR(?agreement)) AS ?identifier)
  OPTIONAL {
    { ?agreement uds:partnerRegion ?partnerNode }
    UNION { ?agreement a uds:PartnershipRecord ; uds:party ?partnerNode }
    ?partnerNode rdfs:label ?partnerLabel FILTER(lang(?partnerLabel) = "en")
    BIND(STR(?partnerLabel) AS ?partnerName)
    OPTIONAL {
      { ?agreement uds:partnerCountry ?country } UNION { ?partnerNode uds:locatedIn ?country }
      ?country a uds:Country ; skos:notation ?code
      FILTER(datatype(?code) = uds:ISO3166-1-alpha-2)
      BIND(STR(?code) AS ?countryCode)
    }
  }
  OPTIONAL { ?agreement dct:type/rdfs:label ?kindLabel FILTER(lang(?kindLabel) = "en") }
  BIND(COALESCE(STR(?kindLabel), "cooperation agreement") AS ?kindName)
  OPTIONAL {
    ?agreement uds:status/skos:prefLabel ?statusLabel FILTER(lang(?statusLabel) = "en")
    BIND(STR(?statusLabel) AS ?statusName)
  }
  OPTIONAL {
    ?agreement uds:decidedBy ?decision .
    OPTIONAL { ?decision uds:decisionDate ?decisionDate }
    OPTIONAL {
      ?decision uds:decidingBody/rdfs:label ?body FILTER(lang(?body) = "en")
      BIND(STR(?body) AS ?bodyName)
    }
  }
  OPTIONAL { ?agreement uds:startDate ?start }
  OPTIONAL { ?agreement uds:endDate ?end }
  OPTIONAL {
    ?agreement uds:servesFocusArea/rdfs:label ?area FILTER(lang(?area) = "en")
    BIND(STR(?area) AS ?areaName)
  }
  OPTIONAL {
    ?agreement uds:associatedOffice ?officeNode .
    ?officeNode rdfs:label ?officeLabel FILTER(lang(?officeLabel) = "en")
    BIND(STR(?officeLabel) AS ?officeName)
    OPTIONAL {
      ?officeNode uds:basedIn/rdfs:label ?city FILTER(lang(?city) = "en")
      BIND(STR(?city) AS ?cityName)
    }
  }
  OPTIONAL {
    ?agreement uds:unitInCharge/rdfs:label ?unit FILTER(lang(?unit) = "en")
    BIND(STR(?unit) AS ?unitName)
  }
  OPTIONAL { ?agreement dct:source ?source }
}
GROUP BY ?agreement
ORDER BY ?id ?agreement
"""


def register_csv(store: Store) -> bytes:
    """The agreements and records in the store as a UTF-8 CSV in the register layout."""
    columns = column_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for solution in store.select(ROWS):
        writer.writerow(_text(solution[column]) for column in columns)
    return buffer.getvalue().encode("utf-8")


def _text(term: object) -> str:
    return "" if term is None else str(getattr(term, "value", term))
