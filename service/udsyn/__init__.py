"""udsyn: a linked-data knowledge graph of regional international relations."""

__version__ = "0.1.0"
