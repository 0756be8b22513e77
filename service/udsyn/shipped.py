"""The knowledge graph that ships with udsyn: ontology, data, shapes and questions."""

from __future__ import annotations

from pathlib import Path

ONTOLOGY_IRI = "https://w3id.org/udsyn/ontology"


def shipped_dir(name: str) -> Path:
    """The folder ``ontology``, ``data``, ``shapes`` or ``queries`` as installed.

    A wheel carries them inside the package (``udsyn/shipped``); an editable install
    reads them from the checkout, where they live at the top level.
    """
    packaged = Path(__file__).parent / "shipped" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


def ontology_files() -> list[Path]:
    return sorted(shipped_dir("ontology").glob("*.ttl"))


def data_files() -> list[Path]:
    return sorted(shipped_dir("data").glob("*.trig"))


def shape_files() -> list[Path]:
    return sorted(shipped_dir("shapes").glob("*.ttl"))


def query_files() -> list[Path]:
    return sorted(shipped_dir("queries").glob("*.rq"))
