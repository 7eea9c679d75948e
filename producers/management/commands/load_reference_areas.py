"""Load official polygons (protected areas, buffer zones, concessions) that sites are compared with.

    manage.py load_reference_areas --kind protected_area areas.geojson --source "SERNANP 2025"

The file is a GeoJSON FeatureCollection in WGS84; each feature has a Polygon or MultiPolygon and the
properties `name` (required) and `code`. It replaces every area of that kind in one transaction, audited, and
every site's overlaps are computed again. A bad file changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from producers.models import ReferenceArea
from producers.services import reference_areas_load

MAX_FILE_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = "Replace the reference areas of one kind with a GeoJSON FeatureCollection and recheck every site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="GeoJSON FeatureCollection, WGS84")
        parser.add_argument("--kind", required=True, choices=ReferenceArea.Kind.values)
        parser.add_argument("--source", required=True, help='Who published it and when, e.g. "SERNANP 2025"')

    def handle(self, *args: Any, path: Path, kind: str, source: str, **options: Any) -> None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            collection = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: cannot read it as JSON ({exc})") from exc
        try:
            result = reference_areas_load(kind=kind, collection=collection, source=source)
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.detail}") from exc
        self.stdout.write(
            f"Loaded {result['loaded']} {kind} areas (replaced {result['replaced']}); "
            f"{result['sites_changed']} sites had their overlaps changed."
        )
