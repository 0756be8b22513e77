"""Writing a benchmark's results into README.md between its own markers."""

from __future__ import annotations

from pathlib import Path


def write_between(readme: Path, start: str, end: str, body: str) -> None:
    """Replace what lies between the markers, or append the markers with the body."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = f"{start}\n{body}{end}"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    readme.write_text(text, encoding="utf-8")
