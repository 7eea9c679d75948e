"""Validating mining-site geometry: GeoJSON Point or Polygon in WGS84, inside Peru."""

from __future__ import annotations

import itertools
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Peru's bounding box, generously rounded (the site must also be in its district: a reviewer checks it).
PERU_LAT = (-18.4, 0.0)
PERU_LON = (-81.4, -68.6)
MAX_POLYGON_POINTS = 500
PUBLIC_PRECISION = 1  # decimals of a degree shown to the public: about 11 km


def _position(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) not in (2, 3)
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    ):
        raise ValidationError(_("A position is [longitude, latitude] in decimal degrees."), code="invalid_geometry")
    lon, lat = float(value[0]), float(value[1])
    if not (PERU_LAT[0] <= lat <= PERU_LAT[1] and PERU_LON[0] <= lon <= PERU_LON[1]):
        raise ValidationError(
            _("The coordinates are outside Peru. GeoJSON puts the longitude first: [longitude, latitude]."),
            code="outside_peru",
        )
    return lon, lat


def _ring_area(ring: list[tuple[float, float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def _segments_cross(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    def orient(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return orient(a, b, c) * orient(a, b, d) < 0 and orient(c, d, a) * orient(c, d, b) < 0


def validate_geometry(geometry: Any) -> tuple[float, float]:
    """Check a GeoJSON Point or Polygon; return its centroid as (latitude, longitude)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Point", "Polygon"):
        raise ValidationError(_("The geometry must be a GeoJSON Point or Polygon."), code="invalid_geometry")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Point":
        lon, lat = _position(coordinates)
        return lat, lon
    if not isinstance(coordinates, list) or len(coordinates) != 1:
        raise ValidationError(_("The polygon must have exactly one ring and no holes."), code="invalid_geometry")
    ring = [_position(p) for p in coordinates[0]] if isinstance(coordinates[0], list) else []
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValidationError(
            _("A polygon ring has at least four positions and ends where it starts."), code="invalid_geometry"
        )
    if len(ring) > MAX_POLYGON_POINTS:
        raise ValidationError(_("The polygon has too many positions."), code="invalid_geometry")
    edges = list(itertools.pairwise(ring))
    for i, (a, b) in enumerate(edges):
        for j in range(i + 2, len(edges)):
            if i == 0 and j == len(edges) - 1:
                continue  # the first and last edges share the closing point
            if _segments_cross(a, b, *edges[j]):
                raise ValidationError(_("The polygon crosses itself."), code="invalid_geometry")
    area = _ring_area(ring)
    if abs(area) < 1e-12:
        raise ValidationError(_("The polygon has no area."), code="invalid_geometry")
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in edges) / (6 * area)
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in edges) / (6 * area)
    return cy, cx


def public_point(latitude: float, longitude: float) -> dict[str, Any]:
    """What the public may see of a site: a point rounded to about 0.1 degree."""
    return {"type": "Point", "coordinates": [round(longitude, PUBLIC_PRECISION), round(latitude, PUBLIC_PRECISION)]}
