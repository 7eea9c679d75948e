"""Mining-site geometry, done by shapely (shapes, validity, areas) and pyproj (coordinate transformations).

A site is a GeoJSON Point or Polygon, sent in WGS84 longitude/latitude or in UTM zone 19S coordinates
(WGS84 or PSAD56, the datum of older Peruvian concession maps). It is transformed to WGS84 and stored as
WGS84 GeoJSON; it must lie in Madre de Dios. Areas are measured in UTM zone 19S (metres), never in degrees.
See docs/geometry.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pyproj import Transformer
from pyproj.aoi import AreaOfInterest
from shapely import MultiPolygon, Point, Polygon
from shapely import transform as transform_coordinates
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

WGS84 = "EPSG:4326"  # GeoJSON longitude/latitude: what we store
UTM_19S = "EPSG:32719"  # UTM zone 19S on WGS84, metres
UTM_19S_PSAD56 = "EPSG:24879"  # UTM zone 19S on PSAD56 (Provisional South American 1956), older concession maps
INPUT_CRS = (WGS84, UTM_19S, UTM_19S_PSAD56)
AREA_CRS = UTM_19S  # Madre de Dios lies in zone 19 (its western edge by a few km in 18): distortion < 0.1 %

# Peru's bounding box, generously rounded (the site must also be in its district: a reviewer checks it).
PERU_LAT = (-18.4, 0.0)
PERU_LON = (-81.4, -68.6)
# UTM zone 19S as a map would print it: eastings within the zone, northings south of the equator.
UTM_EASTING = (166_000.0, 834_000.0)
UTM_NORTHING = (0.0, 10_000_000.0)
MAX_POLYGON_POINTS = 500
STORED_DECIMALS = 7  # about a centimetre: what transformed coordinates are stored with
PUBLIC_PRECISION = 1  # decimals of a degree shown to the public: about 11 km
SQUARE_METRES_PER_HECTARE = 10_000
HECTARE_PLACES = Decimal("0.01")

_OUTLINE = Path(__file__).resolve().parent / "data" / "madre_de_dios.geojson"
_PERU = AreaOfInterest(west_lon_degree=PERU_LON[0], south_lat_degree=PERU_LAT[0], east_lon_degree=PERU_LON[1],
                       north_lat_degree=PERU_LAT[1])  # fmt: skip


@dataclass(frozen=True)
class SiteGeometry:
    """A checked site geometry: the WGS84 GeoJSON to store, its centroid, its area and its shape."""

    geojson: dict[str, Any]
    latitude: float
    longitude: float
    area_hectares: Decimal | None  # polygons only
    shape: Point | Polygon


def _refuse(message: Any, code: str = "invalid_geometry") -> ValidationError:
    return ValidationError(message, code=code)


@cache
def _transformer(source: str, target: str) -> Transformer:
    # The area of interest makes pyproj choose the transformation made for Peru (PSAD56: the Peru Helmert).
    return Transformer.from_crs(source, target, always_xy=True, area_of_interest=_PERU)  # type: ignore[arg-type]


@cache
def madre_de_dios() -> Polygon:
    """The department's generous outline (data/madre_de_dios.geojson, with its source)."""
    outline = shape(json.loads(_OUTLINE.read_text(encoding="utf-8"))["geometry"])
    assert isinstance(outline, Polygon)
    assert outline.is_valid
    return outline


def _position(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) not in (2, 3)
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    ):
        raise _refuse(_("A position is [longitude, latitude] in decimal degrees, or [easting, northing] in metres."))
    return float(value[0]), float(value[1])


def _positions(geometry: Any) -> tuple[str, list[tuple[float, float]]]:
    """The geometry's type and its positions (a Point's one, a Polygon's ring), checked for shape only."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Point", "Polygon"):
        raise _refuse(_("The geometry must be a GeoJSON Point or Polygon."))
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Point":
        return "Point", [_position(coordinates)]
    if not isinstance(coordinates, list) or len(coordinates) != 1:
        raise _refuse(_("The polygon must have exactly one ring and no holes."))
    if not isinstance(coordinates[0], list) or len(coordinates[0]) > MAX_POLYGON_POINTS:
        raise _refuse(_("The polygon has too many positions."))
    ring = [_position(p) for p in coordinates[0]]
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise _refuse(_("A polygon ring has at least four positions and ends where it starts."))
    return "Polygon", ring


def _to_wgs84(positions: list[tuple[float, float]], crs: str) -> list[tuple[float, float]]:
    if crs == WGS84:
        return positions
    for easting, northing in positions:
        if not (UTM_EASTING[0] <= easting <= UTM_EASTING[1] and UTM_NORTHING[0] <= northing <= UTM_NORTHING[1]):
            raise _refuse(
                _(
                    "The coordinates are not in UTM zone 19S: an easting is between 166000 and 834000 m and a "
                    "northing between 0 and 10000000 m, written [easting, northing]."
                ),
                "outside_utm_zone",
            )
    longitudes, latitudes = _transformer(crs, WGS84).transform([p[0] for p in positions], [p[1] for p in positions])
    return [
        (round(lon, STORED_DECIMALS), round(lat, STORED_DECIMALS))
        for lon, lat in zip(longitudes, latitudes, strict=True)
    ]


def _check_inside_peru(positions: list[tuple[float, float]]) -> None:
    for lon, lat in positions:
        if not (PERU_LAT[0] <= lat <= PERU_LAT[1] and PERU_LON[0] <= lon <= PERU_LON[1]):
            raise _refuse(
                _("The coordinates are outside Peru. GeoJSON puts the longitude first: [longitude, latitude]."),
                "outside_peru",
            )


def _validity_problem(polygon: Polygon) -> Any:
    """Our words for GEOS's reason (explain_validity), so that the producer can read them in her language."""
    reason = explain_validity(polygon)
    if "Self-intersection" in reason:
        where = reason.partition("[")[2].rstrip("]")
        return _("The polygon crosses itself (near %(where)s): draw its outline without crossing.") % {"where": where}
    if "Too few points" in reason:
        return _("The polygon needs at least three distinct corners.")
    return _("The polygon is not valid: %(reason)s.") % {"reason": reason}


def hectares(geometry: BaseGeometry) -> Decimal:
    """A WGS84 shape's area in hectares, measured in UTM zone 19S and rounded to 0.01 ha."""
    projected = transform_coordinates(geometry, _transformer(WGS84, AREA_CRS).transform, interleaved=False)
    return Decimal(repr(projected.area / SQUARE_METRES_PER_HECTARE)).quantize(HECTARE_PLACES, ROUND_HALF_UP)


def site_geometry(geometry: Any, crs: str = WGS84) -> SiteGeometry:
    """Check a site's GeoJSON Point or Polygon in `crs`; return it in WGS84 with its centroid and area."""
    if crs not in INPUT_CRS:
        raise _refuse(_("This coordinate reference system is not accepted."), "invalid_crs")
    kind, positions = _positions(geometry)
    positions = _to_wgs84(positions, crs)
    _check_inside_peru(positions)
    site_shape: Point | Polygon = Point(positions[0]) if kind == "Point" else Polygon(positions)
    area = None
    if isinstance(site_shape, Polygon):
        if not site_shape.is_valid:
            raise _refuse(_validity_problem(site_shape))
        if site_shape.area == 0:
            raise _refuse(_("The polygon has no area."))
        area = hectares(site_shape)
    if not madre_de_dios().covers(site_shape):
        raise _refuse(
            _("The site is outside Madre de Dios: the network's marketplace takes gold from Madre de Dios only."),
            "outside_madre_de_dios",
        )
    if crs == WGS84:
        stored = geometry  # as sent: the stored form is the GeoJSON the producer drew
    else:
        ring = [list(p) for p in positions]
        stored = {"type": "Point", "coordinates": ring[0]} if kind == "Point" else {"type": kind, "coordinates": [ring]}
    centroid = site_shape.centroid
    return SiteGeometry(geojson=stored, latitude=centroid.y, longitude=centroid.x, area_hectares=area, shape=site_shape)


def reference_shape(geometry: Any) -> Polygon | MultiPolygon:
    """A reference area's WGS84 GeoJSON Polygon or MultiPolygon (a protected area, a concession), checked."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise _refuse(_("The geometry must be a GeoJSON Polygon or MultiPolygon."))
    try:
        area_shape = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise _refuse(_("The geometry is not valid GeoJSON: %(reason)s.") % {"reason": exc}) from None
    if area_shape.is_empty or not area_shape.is_valid:
        raise _refuse(_("The polygon is not valid: %(reason)s.") % {"reason": explain_validity(area_shape)})
    west, south, east, north = area_shape.bounds
    if not (PERU_LON[0] <= west and east <= PERU_LON[1] and PERU_LAT[0] <= south and north <= PERU_LAT[1]):
        raise _refuse(
            _("The coordinates are outside Peru. GeoJSON puts the longitude first: [longitude, latitude]."),
            "outside_peru",
        )
    assert isinstance(area_shape, Polygon | MultiPolygon)
    return area_shape


def overlap_hectares(site_shape: BaseGeometry, area_shape: BaseGeometry) -> Decimal | None:
    """How much of the site lies in the area (hectares; 0.00 for a point inside it), or None if none does."""
    if not site_shape.intersects(area_shape):
        return None
    if isinstance(site_shape, Point):
        return Decimal("0.00")
    shared = site_shape.intersection(area_shape)
    return hectares(shared) if shared.area > 0 else None  # a shared edge is not an overlap


def stored_shape(geojson: dict[str, Any]) -> BaseGeometry:
    """The shape of a geometry as stored (WGS84 GeoJSON, already checked)."""
    return shape(geojson)


def public_point(latitude: float, longitude: float) -> dict[str, Any]:
    """What the public may see of a site: a point rounded to about 0.1 degree."""
    return {"type": "Point", "coordinates": [round(longitude, PUBLIC_PRECISION), round(latitude, PUBLIC_PRECISION)]}
