"""The query language: parsing, the decisions taken from the parse, and limited answers."""

from udsyn.sparql.answers import TooManyRows, write_answer
from udsyn.sparql.grammar import QueryInfo, QueryRefused, analyse, bind_inline, bind_values

__all__ = [
    "QueryInfo",
    "QueryRefused",
    "TooManyRows",
    "analyse",
    "bind_inline",
    "bind_values",
    "write_answer",
]
