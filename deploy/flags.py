"""Print a Streamlit config TOML as `streamlit run` flags, one argument per line (used by deploy/run.sh)."""
from __future__ import annotations

import json
import sys
import tomllib


def flags(path: str) -> list[str]:
    with open(path, "rb") as fh:
        cfg = tomllib.load(fh)
    out: list[str] = []
    for section, options in cfg.items():
        for key, value in options.items():
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, list):
                value = json.dumps(value)  # Streamlit parses list options from a JSON-style string
            out += [f"--{section}.{key}", str(value)]
    return out


if __name__ == "__main__":
    print("\n".join(flags(sys.argv[1] if len(sys.argv) > 1 else "deploy/config.production.toml")))
