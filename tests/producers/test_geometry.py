"""producers.geometry: GeoJSON Points and Polygons inside Peru and Madre de Dios, their centroid, their area,
reference areas and overlaps, and the public rounding. The HTTP side is in test_site_geometry_api.py."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from producers.geometry import (
    MAX_POLYGON_POINTS,
    madre_de_dios,
    overlap_hectares,
    public_point,
    reference_shape,
    site_geometry,
)

# A square of about 2 km by 2 km on the Huepetuhe river, counter-clockwise, [longitude, latitude].
SQUARE = [[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]


def polygon(ring: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [ring]}


def validate_geometry(geometry: object) -> tuple[float, float]:
    checked = site_geometry(geometry)
    return checked.latitude, checked.longitude


def refusal_code(geometry: object, crs: str = "EPSG:4326") -> str:
    with pytest.raises(ValidationError) as caught:
        site_geometry(geometry, crs)
    return str(caught.value.code)


def test_a_point_gives_its_own_latitude_and_longitude():
    assert validate_geometry({"type": "Point", "coordinates": [-69.19, -12.59]}) == (-12.59, -69.19)


def test_a_point_may_carry_an_altitude():
    assert validate_geometry({"type": "Point", "coordinates": [-70.5, -13.0, 410.0]}) == (-13.0, -70.5)


def test_integers_are_degrees_too():
    assert validate_geometry({"type": "Point", "coordinates": [-70, -13]}) == (-13.0, -70.0)


def test_a_polygon_gives_its_centroid():
    latitude, longitude = validate_geometry(polygon(SQUARE))

    assert latitude == pytest.approx(-12.98)
    assert longitude == pytest.approx(-70.51)


def test_the_centroid_does_not_depend_on_the_winding_order():
    assert validate_geometry(polygon(list(reversed(SQUARE)))) == pytest.approx(validate_geometry(polygon(SQUARE)))


def test_the_centroid_of_an_l_shape_is_weighted_by_area():
    # Two unit squares side by side plus one on top of the left one: centroid (5/6, 5/6) from the corner.
    corner_lon, corner_lat, step = -70.0, -13.0, 0.01
    ring = [
        [corner_lon + x * step, corner_lat + y * step]
        for x, y in [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2), (0, 0)]
    ]

    latitude, longitude = validate_geometry(polygon(ring))

    assert longitude == pytest.approx(corner_lon + 5 / 6 * step)
    assert latitude == pytest.approx(corner_lat + 5 / 6 * step)


@pytest.mark.parametrize(
    "coordinates",
    [
        pytest.param([-81.4, -18.4], id="corner-of-the-peru-box"),
        pytest.param([-68.6, 0.0], id="other-corner-of-the-peru-box"),
        pytest.param([-77.03, -12.05], id="lima"),
        pytest.param([-71.97, -13.53], id="cusco"),
        pytest.param([-68.77, -11.03], id="cobija-bolivia-inside-the-peru-box"),
    ],
)
def test_a_point_in_peru_but_outside_madre_de_dios_is_refused(coordinates):
    assert refusal_code({"type": "Point", "coordinates": coordinates}) == "outside_madre_de_dios"


@pytest.mark.parametrize(
    "coordinates",
    [
        pytest.param([-69.19, -12.59], id="puerto-maldonado"),
        pytest.param([-70.53, -12.99], id="huepetuhe"),
        pytest.param([-70.36, -13.09], id="mazuko"),
        pytest.param([-69.58, -10.95], id="inapari"),
        pytest.param([-71.37, -12.84], id="salvacion"),
        pytest.param([-69.54, -11.18], id="iberia"),
    ],
)
def test_the_towns_of_madre_de_dios_are_inside_the_outline(coordinates):
    assert madre_de_dios().contains(site_geometry({"type": "Point", "coordinates": coordinates}).shape)


def test_a_polygon_area_is_measured_in_hectares_on_utm():
    # 1 km by 1 km in UTM zone 19S: 100 ha exactly.
    square = [[480000, 8565000], [481000, 8565000], [481000, 8566000], [480000, 8566000], [480000, 8565000]]

    checked = site_geometry(polygon(square), "EPSG:32719")

    assert checked.area_hectares == Decimal("100.00")


def test_a_point_has_no_area():
    assert site_geometry({"type": "Point", "coordinates": [-70.5, -13.0]}).area_hectares is None


@pytest.mark.parametrize(
    "coordinates",
    [
        pytest.param([165_999, 8_565_000], id="west-of-the-zone"),
        pytest.param([834_001, 8_565_000], id="east-of-the-zone"),
        pytest.param([480_000, -1], id="negative-northing"),
        pytest.param([480_000, 10_000_001], id="north-of-the-false-northing"),
        pytest.param([-70.5, -13.0], id="degrees-sent-as-utm"),
    ],
)
def test_utm_coordinates_outside_zone_19s_are_refused(coordinates):
    assert refusal_code({"type": "Point", "coordinates": coordinates}, "EPSG:32719") == "outside_utm_zone"


def test_an_unknown_crs_is_refused():
    assert refusal_code({"type": "Point", "coordinates": [-70.5, -13.0]}, "EPSG:3857") == "invalid_crs"


def test_the_self_intersection_message_says_where():
    bow_tie = [[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.97], [-70.52, -12.99]]

    with pytest.raises(ValidationError) as caught:
        site_geometry(polygon(bow_tie))

    assert caught.value.messages == [
        "The polygon crosses itself (near -70.51 -12.98): draw its outline without crossing."
    ]


def test_overlap_is_measured_in_hectares_and_a_shared_edge_is_none():
    area = reference_shape(polygon(SQUARE))
    half = site_geometry(
        polygon([[-70.51, -12.99], [-70.49, -12.99], [-70.49, -12.97], [-70.51, -12.97], [-70.51, -12.99]])
    )
    beside = site_geometry(
        polygon([[-70.50, -12.99], [-70.48, -12.99], [-70.48, -12.97], [-70.50, -12.97], [-70.50, -12.99]])
    )
    whole = site_geometry(polygon(SQUARE))

    assert overlap_hectares(half.shape, area) == (whole.area_hectares / 2).quantize(Decimal("0.01"))
    assert overlap_hectares(beside.shape, area) is None
    assert overlap_hectares(site_geometry({"type": "Point", "coordinates": [-70.51, -12.98]}).shape, area) == Decimal(
        "0.00"
    )


@pytest.mark.parametrize(
    "coordinates",
    [
        pytest.param([2.35, 48.85], id="paris"),
        pytest.param([-12.6, -69.2], id="latitude-first-in-madre-de-dios"),
        pytest.param([-70.5, 0.01], id="just-north-of-the-box"),
        pytest.param([-68.59, -12.0], id="just-east-of-the-box"),
        pytest.param([-70.5, float("nan")], id="nan"),  # refused by the comparison with the box
        pytest.param([float("inf"), -12.0], id="infinity"),
    ],
)
def test_a_point_outside_peru_is_refused(coordinates):
    assert refusal_code({"type": "Point", "coordinates": coordinates}) == "outside_peru"


def test_the_outside_peru_message_says_longitude_comes_first():
    with pytest.raises(ValidationError) as caught:
        validate_geometry({"type": "Point", "coordinates": [-12.6, -69.2]})

    assert "[longitude, latitude]" in " ".join(caught.value.messages)


def test_a_polygon_with_one_corner_outside_peru_is_refused():
    ring = [[-70.52, -12.99], [-70.50, -12.99], [-12.97, -70.50], [-70.52, -12.97], [-70.52, -12.99]]

    assert refusal_code(polygon(ring)) == "outside_peru"


@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param(None, id="null"),
        pytest.param("POINT(-70.5 -13.0)", id="wkt-string"),
        pytest.param([-70.5, -13.0], id="bare-coordinates"),
        pytest.param({"coordinates": [-70.5, -13.0]}, id="no-type"),
        pytest.param({"type": "point", "coordinates": [-70.5, -13.0]}, id="lower-case-type"),
        pytest.param({"type": "LineString", "coordinates": [[-70.5, -13.0], [-70.4, -13.0]]}, id="linestring"),
        pytest.param({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, id="multipolygon"),
        pytest.param({"type": "Point"}, id="point-without-coordinates"),
        pytest.param({"type": "Point", "coordinates": [-70.5]}, id="one-number"),
        pytest.param({"type": "Point", "coordinates": [-70.5, -13.0, 400.0, 1.0]}, id="four-numbers"),
        pytest.param({"type": "Point", "coordinates": ["-70.5", "-13.0"]}, id="strings"),
        pytest.param({"type": "Point", "coordinates": [None, None]}, id="nulls"),
        pytest.param({"type": "Point", "coordinates": [True, False]}, id="booleans"),
        pytest.param({"type": "Point", "coordinates": [-70.5, True]}, id="one-boolean"),
        pytest.param({"type": "Point", "coordinates": {"lon": -70.5, "lat": -13.0}}, id="object"),
        pytest.param({"type": "Polygon", "coordinates": []}, id="polygon-without-rings"),
        pytest.param({"type": "Polygon", "coordinates": [[]]}, id="empty-ring"),
        pytest.param({"type": "Polygon", "coordinates": SQUARE}, id="ring-not-nested"),
        pytest.param({"type": "Polygon", "coordinates": [SQUARE, SQUARE]}, id="with-a-hole"),
        pytest.param(polygon(SQUARE[:-1]), id="not-closed"),
        pytest.param(polygon([SQUARE[0], SQUARE[1], SQUARE[0]]), id="three-positions"),
        pytest.param(polygon([SQUARE[0], SQUARE[1], SQUARE[2], [-70.52, "-12.97"], SQUARE[0]]), id="string-in-ring"),
        pytest.param(polygon([SQUARE[0], SQUARE[1], SQUARE[2], [-70.52, False], SQUARE[0]]), id="boolean-in-ring"),
        pytest.param(
            polygon([[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.97], [-70.52, -12.99]]),
            id="bow-tie",
        ),
        pytest.param(
            polygon([[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.98], [-70.52, -12.99]]),
            id="lopsided-bow-tie-with-area",
        ),
        pytest.param(polygon([[-70.52, -12.99], [-70.51, -12.99], [-70.50, -12.99], [-70.52, -12.99]]), id="no-area"),
    ],
)
def test_a_malformed_geometry_is_refused(geometry):
    assert refusal_code(geometry) == "invalid_geometry"


def test_a_polygon_with_too_many_positions_is_refused():
    # A regular, valid ring of many positions: only its size is wrong.
    count = MAX_POLYGON_POINTS + 1
    ring = [
        [-70.5 + 0.01 * math.cos(2 * math.pi * i / count), -13.0 + 0.01 * math.sin(2 * math.pi * i / count)]
        for i in range(count)
    ]
    ring.append(ring[0])

    assert refusal_code(polygon(ring)) == "invalid_geometry"


def test_a_polygon_at_the_size_limit_is_accepted():
    count = MAX_POLYGON_POINTS - 1
    ring = [
        [-70.5 + 0.01 * math.cos(2 * math.pi * i / count), -13.0 + 0.01 * math.sin(2 * math.pi * i / count)]
        for i in range(count)
    ]
    ring.append(ring[0])

    latitude, longitude = validate_geometry(polygon(ring))

    assert (latitude, longitude) == pytest.approx((-13.0, -70.5))


def test_public_point_rounds_to_a_tenth_of_a_degree_longitude_first():
    assert public_point(-12.9876, -70.5123) == {"type": "Point", "coordinates": [-70.5, -13.0]}
    assert public_point(-12.5432, -69.1789) == {"type": "Point", "coordinates": [-69.2, -12.5]}


@pytest.mark.parametrize(("latitude", "longitude"), [(-12.98765, -70.51234), (-9.123456, -75.987654), (-0.04, -75.2)])
def test_public_point_never_reveals_more_than_a_tenth_of_a_degree(latitude, longitude):
    lon, lat = public_point(latitude, longitude)["coordinates"]

    assert abs(lat - latitude) <= 0.05 + 1e-9
    assert abs(lon - longitude) <= 0.05 + 1e-9
    assert round(lat * 10) == pytest.approx(lat * 10)
    assert round(lon * 10) == pytest.approx(lon * 10)
    assert len(repr(lat).split(".")[-1]) == 1
    assert len(repr(lon).split(".")[-1]) == 1
