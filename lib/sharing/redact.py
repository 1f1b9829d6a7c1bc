"""Messages for viewers without the server's file system layout: absolute paths become names.

The app's warnings (a refused store file, a data directory that cannot be read) are shown to whoever opens the
dashboard; in a shared deployment that is anyone on the allow-list, who has no business knowing where the
service keeps its files. The full message still goes to the server log and to the analyst's command line.
"""
from __future__ import annotations

import re
from pathlib import Path

DATA_DIR_WORDS = "the data directory"
# An absolute POSIX or Windows path: at least one separator after the root, up to a space or punctuation.
_ABSOLUTE = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:\\|/)(?:[^\s/\\:;,'\"()`<>|]+[/\\])*[^\s/\\:;,'\"()`<>|]*")


def for_viewers(text: str, data_dir: str | Path | None = None) -> str:
    """text with the data directory written as words and any other absolute path cut to its last part."""
    out = str(text)
    if data_dir:
        for d in sorted({str(data_dir), str(Path(data_dir).resolve())}, key=len, reverse=True):
            d = d.rstrip("/\\")
            if len(d) > 1:
                out = out.replace(d + "/", "").replace(d + "\\", "").replace(d, DATA_DIR_WORDS)
    return _ABSOLUTE.sub(lambda m: Path(m.group(0).rstrip("/\\")).name or "(a folder)", out)
