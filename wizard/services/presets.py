"""The presets: well-known services kept as data (presets.yaml, one entry each, written from the
provider's public documentation), so that an ISV only supplies the client id and secret (through
the environment variables each names). They are checked by the same validation as an ISV's
services file when a registry is built; a YAML entry with the same name overrides any key."""
from __future__ import annotations

from pathlib import Path

import yaml

PRESETS_FILE = Path(__file__).with_name("presets.yaml")


def _load() -> dict[str, dict]:
    data = yaml.safe_load(PRESETS_FILE.read_text(encoding="utf-8"))
    return {entry["name"]: {k: v for k, v in entry.items() if k != "name"} for entry in data["services"]}


PRESETS: dict[str, dict] = _load()
