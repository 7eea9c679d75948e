"""Site geometry over HTTP: UTM zone 19S input (WGS84 and PSAD56), areas in hectares, the Madre de Dios
check, refusals that leave the database unchanged, and protected areas: loading them, flagging the sites
that overlap them, and approval only with the overlap acknowledged."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from pyproj import Geod

from audit.models import AuditEvent
from producers.models import ReferenceArea, Site
from tests.conftest import make_client
from tests.producers.factories import ProducerFactory, SiteFactory

pytestmark = pytest.mark.django_db

PRODUCERS = "/api/v1/producers/"
# 480000 E, 8565000 N in UTM zone 19S: on the Tambopata side of Madre de Dios.
UTM_POINT = {"type": "Point", "coordinates": [480000, 8565000]}
# The same numbers read as WGS84 UTM (the projection inverted), and as PSAD56 UTM moved to WGS84 with the
# EPSG Helmert shift for Peru (dX -279 m, dY +175 m, dZ -379 m): about 400 m apart.
UTM_POINT_WGS84 = (-69.1844169, -12.9806219)
UTM_POINT_FROM_PSAD56 = (-69.1862399, -12.9839827)
ONE_METRE_IN_DEGREES = 1e-5
SQUARE_KM_UTM = [[480000, 8565000], [481000, 8565000], [481000, 8566000], [480000, 8566000], [480000, 8565000]]
HUEPETUHE_SQUARE = [[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]
BOW_TIE = [[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.97], [-70.52, -12.99]]
# A made-up protected area covering the east half of the Huepetuhe square, and one far away from it.
RESERVE = [[-70.51, -13.00], [-70.49, -13.00], [-70.49, -12.96], [-70.51, -12.96], [-70.51, -13.00]]
ELSEWHERE = [[-69.30, -12.70], [-69.20, -12.70], [-69.20, -12.60], [-69.30, -12.60], [-69.30, -12.70]]


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def sites_url(producer: Any, site: Any = None, action: str = "") -> str:
    url = f"{PRODUCERS}{producer.pk}/sites/"
    if site is not None:
        url += f"{site.pk if hasattr(site, 'pk') else site}/"
    return url + (f"{action}/" if action else "")


def site_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "Playa Tambopata", "concession_code": "070809101", "district": "tambopata", **overrides}


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def field_errors(response: Any) -> dict[str, str]:
    body = response.json()
    assert body["code"] == "validation_error", body
    return {error["field"]: error["code"] for error in body["errors"]}


def feature_collection(*features: tuple[str, str, list[list[float]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": name, "code": code}, "geometry": polygon(ring)}
            for name, code, ring in features
        ],
    }


def load(tmp_path: Path, content: Any, kind: str = "protected_area", source: str = "SERNANP 2025") -> str:
    path = tmp_path / "areas.geojson"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    call_command("load_reference_areas", str(path), kind=kind, source=source)
    return str(path)


@pytest.fixture
def producer(coop):
    return ProducerFactory(organization=coop)


# --- Coordinate systems ---------------------------------------------------------------------------
@pytest.mark.parametrize(("crs", "expected"), [("EPSG:32719", UTM_POINT_WGS84), ("EPSG:24879", UTM_POINT_FROM_PSAD56)])
def test_a_utm_point_is_stored_in_wgs84_at_the_right_place(producer_admin, producer, crs, expected):
    response = producer_admin.post(sites_url(producer), site_body(geometry=UTM_POINT, crs=crs), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["source_crs"] == crs
    assert data["geometry"]["type"] == "Point"
    assert data["geometry"]["coordinates"] == [pytest.approx(v, abs=ONE_METRE_IN_DEGREES) for v in expected]
    site = Site.objects.get()
    assert site.geometry == data["geometry"]
    assert (site.longitude, site.latitude) == tuple(pytest.approx(v, abs=ONE_METRE_IN_DEGREES) for v in expected)
    assert site.source_crs == crs
    assert actions() == ["producers.site.created"]


def test_the_psad56_datum_shift_is_applied(producer_admin, producer):
    wgs84 = producer_admin.post(sites_url(producer), site_body(geometry=UTM_POINT, crs="EPSG:32719"), format="json")
    psad56 = producer_admin.post(
        sites_url(producer),
        site_body(concession_code="070809102", geometry=UTM_POINT, crs="EPSG:24879"),
        format="json",
    )

    (lon1, lat1), (lon2, lat2) = wgs84.json()["geometry"]["coordinates"], psad56.json()["geometry"]["coordinates"]
    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    assert 350 < metres < 450


def test_a_utm_polygon_has_its_area_in_hectares(producer_admin, producer):
    response = producer_admin.post(
        sites_url(producer), site_body(geometry=polygon(SQUARE_KM_UTM), crs="EPSG:32719"), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["area_hectares"] == "100.00"
    assert Site.objects.get().area_hectares == Decimal("100.00")


def test_a_wgs84_polygon_area_agrees_with_the_geodesic_area(producer_admin, producer):
    response = producer_admin.post(sites_url(producer), site_body(geometry=polygon(HUEPETUHE_SQUARE)), format="json")

    assert response.status_code == 201, response.json()
    geodesic_m2, _ = Geod(ellps="WGS84").polygon_area_perimeter(*zip(*HUEPETUHE_SQUARE, strict=True))
    assert float(response.json()["area_hectares"]) == pytest.approx(abs(geodesic_m2) / 10_000, rel=2e-3)
    assert response.json()["geometry"] == polygon(HUEPETUHE_SQUARE)  # WGS84 input is stored as sent


def test_area_hectares_cannot_be_set_by_the_client(producer_admin, producer):
    response = producer_admin.post(
        sites_url(producer),
        site_body(geometry=polygon(SQUARE_KM_UTM), crs="EPSG:32719", area_hectares="5.00"),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["area_hectares"] == "100.00"


# --- Refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("en", "The site is outside Madre de Dios: the network's marketplace takes gold from Madre de Dios only."),
        ("es", "El sitio está fuera de Madre de Dios: el mercado de la red recibe oro solo de Madre de Dios."),
    ],
)
def test_a_site_outside_madre_de_dios_is_refused(producer_admin, producer, language, detail):
    lima = {"type": "Point", "coordinates": [-77.03, -12.05]}

    client = make_client(producer_admin.user, producer_admin.organization, language=language)

    response = client.post(sites_url(producer), site_body(geometry=lima), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "geometry", "code": "outside_madre_de_dios", "message": detail}]
    assert not Site.objects.exists()
    assert actions() == []


def test_coordinates_outside_peru_keep_their_own_refusal(producer_admin, producer):
    response = producer_admin.post(
        sites_url(producer), site_body(geometry={"type": "Point", "coordinates": [2.35, 48.85]}), format="json"
    )

    assert response.status_code == 400
    assert field_errors(response) == {"geometry": "outside_peru"}


@pytest.mark.parametrize(
    "coordinates",
    [pytest.param([900000, 8565000], id="easting-of-zone-18"), pytest.param([-69.18, -12.98], id="degrees")],
)
def test_utm_coordinates_outside_zone_19s_are_refused(producer_admin, producer, coordinates):
    response = producer_admin.post(
        sites_url(producer),
        site_body(geometry={"type": "Point", "coordinates": coordinates}, crs="EPSG:32719"),
        format="json",
    )

    assert response.status_code == 400
    assert field_errors(response) == {"geometry": "outside_utm_zone"}
    assert "UTM zone 19S" in response.json()["errors"][0]["message"]
    assert not Site.objects.exists()


def test_a_crs_without_a_geometry_is_refused(producer_admin, producer):
    site = SiteFactory(producer=producer)

    response = producer_admin.patch(sites_url(producer, site), {"crs": "EPSG:32719"}, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"crs": "geometry_required"}


def test_an_invalid_polygon_is_refused_and_the_site_is_unchanged(producer_admin, producer):
    site = SiteFactory(producer=producer)
    before = Site.objects.filter(pk=site.pk).values().get()

    response = producer_admin.patch(sites_url(producer, site), {"geometry": polygon(BOW_TIE)}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "geometry",
            "code": "invalid_geometry",
            "message": "The polygon crosses itself (near -70.51 -12.98): draw its outline without crossing.",
        }
    ]
    assert Site.objects.filter(pk=site.pk).values().get() == before
    assert actions() == []


# --- Protected areas ------------------------------------------------------------------------------
def test_a_site_in_a_protected_area_is_flagged_and_listed_for_reviewers(tmp_path, producer_admin, reviewer, producer):
    load(tmp_path, feature_collection(("Reserva de prueba", "RC-01", RESERVE)))
    clear = SiteFactory(producer=producer)  # a point west of the reserve

    response = producer_admin.post(sites_url(producer), site_body(geometry=polygon(HUEPETUHE_SQUARE)), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["flagged"] is True
    half = (Decimal(data["area_hectares"]) / 2).quantize(Decimal("0.01"))
    assert data["overlaps"] == [
        {"kind": "protected_area", "code": "RC-01", "name": "Reserva de prueba", "overlap_hectares": str(half)}
    ]
    flagged = reviewer.get(sites_url(producer), {"flagged": "true"})
    assert [row["id"] for row in flagged.json()["results"]] == [data["id"]]
    unflagged = reviewer.get(sites_url(producer), {"flagged": "false"})
    assert [row["id"] for row in unflagged.json()["results"]] == [str(clear.pk)]
    created = AuditEvent.objects.get(action="producers.site.created")
    assert created.data["overlaps"] == data["overlaps"]


def test_approving_a_flagged_site_needs_the_overlap_acknowledged_with_a_reason(tmp_path, reviewer, producer):
    load(tmp_path, feature_collection(("Reserva de prueba", "RC-01", RESERVE)))
    site = SiteFactory(producer=producer, lon=-70.50, lat=-12.98)
    call_command("load_reference_areas", str(tmp_path / "areas.geojson"), kind="protected_area", source="again")
    site.refresh_from_db()
    assert site.flagged
    events = actions()

    refused = reviewer.post(sites_url(producer, site, "approve"), {"reason": "Visto."}, format="json")
    no_reason = reviewer.post(sites_url(producer, site, "approve"), {"acknowledge_overlaps": True}, format="json")

    for response in (refused, no_reason):
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "site_overlaps_protected_area"
        assert "Reserva de prueba" in body["detail"]
        assert body["overlaps"] == [
            {"kind": "protected_area", "code": "RC-01", "name": "Reserva de prueba", "overlap_hectares": "0.00"}
        ]
    assert Site.objects.get(pk=site.pk).status == "pending"
    assert actions() == events

    approved = reviewer.post(
        sites_url(producer, site, "approve"),
        {"acknowledge_overlaps": True, "reason": "Autorización de SERNANP para la zona de uso especial."},
        format="json",
    )

    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    event = AuditEvent.objects.order_by("seq").last()
    assert event is not None
    assert event.action == "producers.site.approve"
    assert event.data["acknowledged_overlaps"][0]["name"] == "Reserva de prueba"


def test_loading_areas_flags_existing_sites_and_a_new_load_replaces_the_old(tmp_path, producer):
    inside = SiteFactory(producer=producer, lon=-70.50, lat=-12.98)
    outside = SiteFactory(producer=producer, lon=-70.53, lat=-12.98)

    load(tmp_path, feature_collection(("Reserva de prueba", "RC-01", RESERVE)))

    assert set(Site.objects.filter(flagged=True)) == {inside}
    assert actions() == ["producers.reference_areas.loaded", "producers.site.overlaps_changed"]
    area = ReferenceArea.objects.get()
    assert (area.kind, area.name, area.code, area.source) == (
        "protected_area",
        "Reserva de prueba",
        "RC-01",
        "SERNANP 2025",
    )

    load(tmp_path, feature_collection(("Otra reserva", "RC-02", ELSEWHERE)), source="SERNANP 2026")

    assert list(ReferenceArea.objects.values_list("name", flat=True)) == ["Otra reserva"]
    assert not Site.objects.filter(flagged=True).exists()
    assert Site.objects.get(pk=inside.pk).overlaps == []
    assert Site.objects.get(pk=outside.pk).overlaps == []
    assert actions()[2:] == ["producers.reference_areas.loaded", "producers.site.overlaps_changed"]


def test_a_concession_load_does_not_flag_sites(tmp_path, producer):
    SiteFactory(producer=producer, lon=-70.50, lat=-12.98)

    load(tmp_path, feature_collection(("Concesión de prueba", "010203405", RESERVE)), kind="concession")

    assert ReferenceArea.objects.get().kind == "concession"
    assert not Site.objects.filter(flagged=True).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "cannot read it as JSON", id="not-json"),
        pytest.param({"type": "Feature"}, "must be a GeoJSON FeatureCollection", id="not-a-collection"),
        pytest.param({"type": "FeatureCollection", "features": []}, "has no features", id="empty"),
        pytest.param(
            feature_collection(("Cruzada", "X", BOW_TIE)), "Feature 1: The polygon is not valid", id="bow-tie"
        ),
        pytest.param(feature_collection(("", "X", RESERVE)), "Feature 1: its properties need a name", id="no-name"),
        pytest.param(
            feature_collection(("Buena", "A", RESERVE), ("Al revés", "B", [[y, x] for x, y in RESERVE])),
            "Feature 2: The coordinates are outside Peru",
            id="latitude-first",
        ),
    ],
)
def test_a_bad_reference_file_is_refused_and_nothing_changes(tmp_path, producer, content, message):
    load(tmp_path / "..", feature_collection(("Reserva de prueba", "RC-01", RESERVE)))
    site = SiteFactory(producer=producer, lon=-70.50, lat=-12.98)
    before_areas = list(ReferenceArea.objects.values())
    before_site = Site.objects.filter(pk=site.pk).values().get()
    events = actions()

    with pytest.raises(CommandError) as caught:
        load(tmp_path, content)

    assert message in str(caught.value)
    assert list(ReferenceArea.objects.values()) == before_areas
    assert Site.objects.filter(pk=site.pk).values().get() == before_site
    assert actions() == events


# --- What the public sees -------------------------------------------------------------------------
def test_the_public_sees_only_the_district_and_a_rounded_point_of_a_utm_site(producer_admin, reviewer, anon, producer):
    created = producer_admin.post(
        sites_url(producer), site_body(geometry=polygon(SQUARE_KM_UTM), crs="EPSG:24879"), format="json"
    ).json()
    assert reviewer.post(sites_url(producer, created["id"], "approve"), {}, format="json").status_code == 200
    producer.verification_status = "verified"
    producer.save(update_fields=["verification_status"])

    response = anon.get(sites_url(producer, created["id"]))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "name", "district", "approximate_location", "status"}
    lon, lat = body["approximate_location"]["coordinates"]
    assert (lon, lat) == (round(created["longitude"], 1), round(created["latitude"], 1))
    for private in ("480000", "8565000", "area_hectares", "source_crs", str(created["latitude"])[:8]):
        assert private not in response.content.decode()
