"""Settings: where the graph lives, which IRIs it mints, and the service's limits.

Every setting comes, in order of precedence, from a command-line flag, an environment
variable (``UDSYN_*``), a TOML file named by ``UDSYN_CONFIG`` (or ``udsyn.toml`` in the
working directory), and finally the default below. In the file, a setting's key is its
environment variable's name without ``UDSYN_``, in lower case (``UDSYN_STORE``: ``store``),
under ``[udsyn]``; a remote server's under ``[udsyn.remote]`` are the fields of
:class:`RemoteEndpoint`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE_IRI = "https://w3id.org/udsyn/"
MEMORY = ":memory:"


@dataclass(frozen=True)
class RemoteEndpoint:
    """An existing SPARQL 1.1 server that udsyn uses instead of its embedded store."""

    query_url: str
    update_url: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 30.0
    profile: str | None = None  # oxigraph, virtuoso; None: detected from the server
    auth: str = "basic"  # how user and password are sent: basic or digest


@dataclass(frozen=True)
class Settings:
    """Everything udsyn needs to know about its store and service."""

    base_iri: str = DEFAULT_BASE_IRI
    store_path: str = ".udsyn/store"
    remote: RemoteEndpoint | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout: float = 10.0
    max_rows: int = 100_000
    query_workers: int = 4
    http_processes: int = 2  # front processes answering /sparql and /questions from memory
    query_memory_mb: int = 1024
    max_request_bytes: int = 1_000_000
    answer_cache_mb: int = 64
    serve_from: str = "memory"  # or "disk": where the service's workers read an on-disk store
    public_url: str | None = None
    write_token: str | None = field(default=None, repr=False)
    write_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)  # name -> token
    max_upload_bytes: int = 50_000_000

    @property
    def in_memory(self) -> bool:
        return self.remote is None and self.store_path == MEMORY

    @property
    def serve_from_memory(self) -> bool:
        """Whether the service answers from a copy of its on-disk store in memory."""
        return self.serve_from == "memory"

    @property
    def front_processes(self) -> int:
        """How many front processes answer queries on the service's port: only when serving
        an embedded store from memory (they are forked from its copy), else none."""
        serves_copy = self.remote is None and (self.in_memory or self.serve_from_memory)
        return max(0, self.http_processes) if serves_copy else 0

    @property
    def service_url(self) -> str:
        """The address the service is known by: configured, else its own host and port."""
        url = self.public_url or f"http://{self.host}:{self.port}/"
        return url if url.endswith("/") else url + "/"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given settings replaced; ``None`` values leave a setting alone."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(self, **given)


_ENVIRONMENT = {
    "UDSYN_BASE_IRI": ("base_iri", str),
    "UDSYN_STORE": ("store_path", str),
    "UDSYN_HOST": ("host", str),
    "UDSYN_PORT": ("port", int),
    "UDSYN_QUERY_TIMEOUT": ("query_timeout", float),
    "UDSYN_MAX_ROWS": ("max_rows", int),
    "UDSYN_QUERY_WORKERS": ("query_workers", int),
    "UDSYN_HTTP_PROCESSES": ("http_processes", int),
    "UDSYN_QUERY_MEMORY_MB": ("query_memory_mb", int),
    "UDSYN_MAX_REQUEST_BYTES": ("max_request_bytes", int),
    "UDSYN_PUBLIC_URL": ("public_url", str),
    "UDSYN_ANSWER_CACHE_MB": ("answer_cache_mb", int),
    "UDSYN_SERVE_FROM": ("serve_from", str),
    "UDSYN_WRITE_TOKEN": ("write_token", str),
    "UDSYN_MAX_UPLOAD_BYTES": ("max_upload_bytes", int),
}

_REMOTE_ENVIRONMENT = {
    "UDSYN_ENDPOINT": ("query_url", str),
    "UDSYN_UPDATE_ENDPOINT": ("update_url", str),
    "UDSYN_ENDPOINT_USER": ("user", str),
    "UDSYN_ENDPOINT_PASSWORD": ("password", str),
    "UDSYN_ENDPOINT_TOKEN": ("token", str),
    "UDSYN_ENDPOINT_TIMEOUT": ("timeout", float),
    "UDSYN_ENDPOINT_PROFILE": ("profile", str),
    "UDSYN_ENDPOINT_AUTH": ("auth", str),
}

AUTH_SCHEMES = ("basic", "digest")
SERVE_FROM = ("memory", "disk")


# The file's keys: each environment variable's name without UDSYN_, in lower case.
_FILE_KEYS = {
    variable.removeprefix("UDSYN_").lower(): setting for variable, setting in _ENVIRONMENT.items()
}
_REMOTE_FILE_KEYS = {name: (name, kind) for name, kind in _REMOTE_ENVIRONMENT.values()}


class ConfigError(ValueError):
    """A setting has a value udsyn cannot use."""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from the config file and the environment (flags are applied by the caller)."""
    environ = dict(os.environ if environ is None else environ)
    values, remote = _read_config_file(environ)
    values.update(_from_environment(environ, _ENVIRONMENT))
    remote.update(_from_environment(environ, _REMOTE_ENVIRONMENT))
    if remote:
        if "query_url" not in remote:
            raise ConfigError("a remote endpoint needs its query URL (UDSYN_ENDPOINT)")
        values["remote"] = _remote_endpoint(remote)
    settings = Settings(**values)
    if not settings.base_iri.endswith(("/", "#")):
        raise ConfigError(f"the base IRI must end with '/' or '#': {settings.base_iri!r}")
    if settings.serve_from not in SERVE_FROM:
        raise ConfigError(
            f"UDSYN_SERVE_FROM is {settings.serve_from!r}; it is one of {', '.join(SERVE_FROM)}"
        )
    return settings


def _remote_endpoint(values: dict[str, Any]) -> RemoteEndpoint:
    """The remote endpoint, its profile and auth scheme checked against the known ones."""
    from udsyn.store.profiles import PROFILES

    profile = values.get("profile")
    if profile is not None and profile.lower() not in PROFILES:
        raise ConfigError(
            f"unknown SPARQL server profile {profile!r} (UDSYN_ENDPOINT_PROFILE); "
            f"known: {', '.join(PROFILES)}"
        )
    if values.get("auth", "basic") not in AUTH_SCHEMES:
        raise ConfigError(
            f"unknown auth scheme {values['auth']!r} (UDSYN_ENDPOINT_AUTH); "
            f"known: {', '.join(AUTH_SCHEMES)}"
        )
    return RemoteEndpoint(**values)


def _read_config_file(environ: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    named = environ.get("UDSYN_CONFIG")
    path = Path(named) if named else Path("udsyn.toml")
    if not path.is_file():
        if named:
            raise ConfigError(f"config file not found: {path}")
        return {}, {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    section = dict(document.get("udsyn", document))
    remote = dict(section.pop("remote", {}))
    tokens = section.pop("tokens", {})
    section.pop("publish", None)  # the publisher's details: udsyn.publish.settings reads them
    values = _from_file(path, "[udsyn]", section, _FILE_KEYS)
    if tokens:
        values["write_tokens"] = _tokens(path, tokens)
    return values, _from_file(path, "[udsyn.remote]", remote, _REMOTE_FILE_KEYS)


def _tokens(path: Path, table: Any) -> dict[str, str]:
    """Named write tokens: ``name = "token"`` lines of ``[udsyn.tokens]``."""
    if not isinstance(table, dict) or not all(
        isinstance(token, str) and token for token in table.values()
    ):
        raise ConfigError(f'{path}: [udsyn.tokens] holds lines of name = "token"')
    return {str(name): token for name, token in table.items()}


def unknown_setting(path: Path, table: str, key: str, known: Iterable[str]) -> ConfigError:
    """The error for a key a table of the config file does not have, naming the one meant."""
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(
        f"{path}: unknown setting {key!r} in {table}{hint}; known: {', '.join(known)}"
    )


def _from_file(
    path: Path, table: str, section: dict[str, Any], keys: dict[str, tuple[str, type]]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in keys:
            raise unknown_setting(path, table, key, keys)
        name, kind = keys[key]
        try:
            values[name] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{path}: {key} = {value!r} in {table} is not a valid {kind.__name__}"
            ) from None
    return values


def _from_environment(
    environ: dict[str, str], table: dict[str, tuple[str, type]]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, (name, kind) in table.items():
        if variable in environ and environ[variable] != "":
            try:
                values[name] = kind(environ[variable])
            except ValueError:
                raise ConfigError(
                    f"{variable}={environ[variable]!r} is not a valid {kind.__name__}"
                ) from None
    return values
