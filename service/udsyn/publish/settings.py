"""The publisher's details: who publishes the release, how to reach them, where it is served.

Each setting comes, in order of precedence, from an environment variable
(``UDSYN_PUBLISH_*``), the ``[publish]`` table of the config file udsyn reads (``UDSYN_CONFIG``,
else ``udsyn.toml`` in the working directory), and finally the default below, which are the
strategy's own: Region Midtjylland publishes, under CC BY 4.0. In the file, a key is its
variable's name without ``UDSYN_PUBLISH_``, in lower case.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from udsyn.config import ConfigError, Settings, unknown_setting

CC_BY_4_0 = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"


@dataclass(frozen=True)
class PublishSettings:
    """Who publishes the release and where its files are served.

    ``publisher`` and ``download_base`` left empty take their defaults from the store's
    settings (:meth:`resolved`).
    """

    publisher: str = ""
    publisher_name_da: str = "Region Midtjylland"
    publisher_name_en: str = "Central Denmark Region"
    contact_name: str = "Region Midtjylland, Regional Udvikling"
    contact_url: str = "https://www.rm.dk/"
    contact_email: str = ""
    download_base: str = ""
    licence: str = CC_BY_4_0
    catalog_page_size: int = 100  # datasets on one page of the served catalogue
    refresh_seconds: float = 5.0  # how often the service looks whether the store has changed

    def resolved(self, settings: Settings) -> PublishSettings:
        """Defaults filled in: the publisher is the region as the graph names it, and the
        downloads are served by the service at ``download/``."""
        publisher = self.publisher or f"{settings.base_iri}id/organisation/region-midtjylland"
        base = self.download_base or f"{settings.service_url}download/"
        return dataclasses.replace(
            self, publisher=publisher, download_base=base if base.endswith("/") else base + "/"
        )


_KINDS: dict[str, type] = {
    field.name: type(field.default) for field in dataclasses.fields(PublishSettings)
}
_KEYS = tuple(_KINDS)
_ADDRESSES = ("publisher", "contact_url", "download_base", "licence")
_ADDRESS = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_EMAIL = re.compile(r"^[^\s@<>]+@[^\s@<>]+$")


def load_publish_settings(environ: dict[str, str] | None = None) -> PublishSettings:
    """The ``[publish]`` table of the config file, overridden by ``UDSYN_PUBLISH_*``."""
    environ = dict(os.environ if environ is None else environ)
    values = _from_file(environ)
    for key in _KEYS:
        variable = f"UDSYN_PUBLISH_{key.upper()}"
        if environ.get(variable, ""):
            values[key] = _typed(key, environ[variable], variable)
    email = str(values.get("contact_email", ""))
    if email.startswith("mailto:"):
        values["contact_email"] = email.removeprefix("mailto:")
    _check_addresses(values)
    return PublishSettings(**values)


def _check_addresses(values: dict[str, str | int | float]) -> None:
    """Refuse an address that is not an absolute http(s) IRI, or an e-mail address that is
    not one: the catalogue would not parse."""
    for key in _ADDRESSES:
        if key in values and not _ADDRESS.match(str(values[key])):
            raise ConfigError(
                f"the {key} setting must be an absolute http(s) address, not {values[key]!r}"
            )
    if values.get("contact_email") and not _EMAIL.match(str(values["contact_email"])):
        raise ConfigError(f"the contact_email setting is no e-mail address: "
                          f"{values['contact_email']!r}")  # fmt: skip


def _typed(key: str, value: object, where: str) -> str | int | float:
    kind = _KINDS[key]
    try:
        if kind is str and not isinstance(value, str):
            raise TypeError
        typed = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} = {value!r} is not a valid {kind.__name__}") from None
    if kind is not str and typed <= 0:
        raise ConfigError(f"{where} = {value!r} must be more than 0")
    return typed


def _from_file(environ: dict[str, str]) -> dict[str, str | int | float]:
    named = environ.get("UDSYN_CONFIG")
    path = Path(named) if named else Path("udsyn.toml")
    if not path.is_file():
        return {}  # a named file that is missing is reported by udsyn.config
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("publish", {})
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    values: dict[str, str | int | float] = {}
    for key, value in table.items():
        if key not in _KEYS:
            raise unknown_setting(path, "[publish]", key, _KEYS)
        values[key] = _typed(key, value, f"{path}: {key} in [publish]")
    return values
