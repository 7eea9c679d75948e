"""producers.geometry: GeoJSON Points and Polygons inside Peru, their centroid, and the public rounding."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError

from producers.geometry import MAX_POLYGON_POINTS, public_point, validate_geometry

# A square of about 2 km by 2 km on the Huepetuhe river, counter-clockwise, [longitude, latitude].
SQUARE = [[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]


def polygon(ring: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [ring]}


def refusal_code(geometry: object) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_geometry(geometry)
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


def test_the_corners_of_the_peru_box_are_inside():
    assert validate_geometry({"type": "Point", "coordinates": [-81.4, -18.4]}) == (-18.4, -81.4)
    assert validate_geometry({"type": "Point", "coordinates": [-68.6, 0.0]}) == (0.0, -68.6)


@pytest.mark.parametrize(
    "coordinates",
    [
        pytest.param([2.35, 48.85], id="paris"),
        pytest.param([-12.6, -69.2], id="latitude-first-in-madre-de-dios"),
        pytest.param([-70.5, 0.01], id="just-north-of-the-box"),
        pytest.param([-68.59, -12.0], id="just-east-of-the-box"),
        pytest.param([-70.5, float("nan")], id="nan"),
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
