"""Run by `make check-prod-lock` with the interpreter of a fresh virtual environment that installed only
requirements.lock: exits 1 naming every development tool found in it. Standard library only."""

from __future__ import annotations

import sys
from importlib import metadata

# The test, lint and type-checking tools of the `dev` extra, and what only they pull in.
DEVELOPMENT_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "pytest-env",
    "hypothesis",
    "factory-boy",
    "schemathesis",
    "localstripe",
    "aiosmtpd",
    "trustme",
    "playwright",
    "axe-playwright-python",
    "ruff",
    "mypy",
    "django-stubs",
    "djangorestframework-stubs",
    "polib",
}


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def main() -> int:
    installed = {canonical(dist.metadata["Name"]) for dist in metadata.distributions()}
    found = sorted(installed & DEVELOPMENT_TOOLS)
    if found:
        print(f"The production lock installs development tools: {', '.join(found)}", file=sys.stderr)
        return 1
    print(f"The production lock installs {len(installed)} distributions, no development tool among them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
