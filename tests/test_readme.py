"""The README's table lists every environment variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_is_documented():
    settings_source = (ROOT / "marketplace" / "settings.py").read_text()
    seed_source = (ROOT / "marketplace" / "management" / "commands" / "seed_demo.py").read_text()
    names = set(
        re.findall(
            r'(?:env_bool|env_int|env_list|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', settings_source + seed_source
        )
    )
    readme = (ROOT / "README.md").read_text()

    assert len(names) > 30
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == []
