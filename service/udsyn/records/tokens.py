"""Write tokens: who may change the graph, by name.

A token is configured as ``UDSYN_WRITE_TOKEN`` (its holder is called "steward") or as named
tokens in ``udsyn.toml`` (``[udsyn.tokens]``, one ``name = "token"`` a line). There is no
default token: without one, writes are disabled. Tokens are compared in constant time and
never written to a log or an answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

DEFAULT_HOLDER = "steward"


class WritesDisabled(Exception):
    """No token is configured, so no one may write."""

    def __str__(self) -> str:
        return (
            "writes are disabled: no write token is configured; set UDSYN_WRITE_TOKEN, or name "
            "tokens in udsyn.toml under [udsyn.tokens], and restart the service"
        )


class NotAuthorised(Exception):
    """The request carries no token, or one that is not configured."""


def holders(write_token: str | None, named: Mapping[str, str]) -> dict[str, str]:
    """Every configured token's holder, by token."""
    tokens = {token: name for name, token in named.items() if token}
    if write_token:
        tokens.setdefault(write_token, DEFAULT_HOLDER)
    return tokens


def authorise(authorization: str | None, tokens: Mapping[str, str]) -> str:
    """The name of the holder of the bearer token in an ``Authorization`` header.

    Every configured token is compared, in constant time, whatever the outcome.
    """
    if not tokens:
        raise WritesDisabled
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise NotAuthorised("this request changes the graph: send Authorization: Bearer <token>")
    holder = None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), given.strip().encode()):
            holder = name
    if holder is None:
        raise NotAuthorised("the token is not one the service accepts")
    return holder
