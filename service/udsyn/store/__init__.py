"""One store interface, two real implementations.

:class:`EmbeddedStore` is a pyoxigraph database, in memory or on disk. :class:`RemoteStore`
talks SPARQL 1.1 Protocol to an existing server through SPARQLWrapper.
"""

from udsyn.config import Settings
from udsyn.store.base import Dataset, QueryFailed, Store, StoreError, StoreUnavailable
from udsyn.store.embedded import Change, EmbeddedStore, ServingLock
from udsyn.store.remote import RemoteStore

__all__ = [
    "Change",
    "Dataset",
    "EmbeddedStore",
    "QueryFailed",
    "RemoteStore",
    "ServingLock",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "open_store",
]


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The store the settings describe: a remote server if one is configured, else embedded."""
    if settings.remote is not None:
        return RemoteStore(settings.base_iri, settings.remote)
    path = None if settings.in_memory else settings.store_path
    return EmbeddedStore(settings.base_iri, path, read_only=read_only)
