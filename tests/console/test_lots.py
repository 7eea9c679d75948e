"""The cooperative's lots on the test client: the president reads her lots and how much more each site-month may
give, records a lot once however often the phone sends the form, and a refusal reads as the API's refusal of the
same body; other organisations, buyers and a delegated field officer get the API's answers."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client

from accounts.models import Delegation, Organization, User
from audit.models import AuditEvent
from core import clock
from producers.models import Site
from provenance.models import Lot
from tests.conftest import make_client
from tests.console.test_sign_in import browser, sign_in
from tests.provenance.helpers import last_month

pytestmark = pytest.mark.django_db

PASSWORD = "oro-limpio-2026"
PRESIDENT = "coop-admin@demo.test"


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo")


def signed_in(email: str) -> Client:
    client = browser("en")
    sign_in(client, email, PASSWORD)
    return client


def organization_of(email: str) -> Organization:
    return Organization.objects.get(memberships__user__email=email)


def the_coops_site() -> Site:
    return Site.objects.filter(producer_id=organization_of(PRESIDENT).pk, status="approved").order_by("created_at")[0]


def form_key(client: Client, path: str = "/coop/lots/new/") -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(path).content.decode())
    assert found is not None
    return found.group(1)


def api_body(site: Site, grams: str, code: str = "L-0500", **extra: Any) -> dict[str, Any]:
    """A lot as the API takes it: last month's gold from one site."""
    month = last_month()
    return {
        "code": code,
        "form": "dore",
        "gross_grams": grams,
        "declared_fineness": "915.0",
        "production_from": month.isoformat(),
        "production_to": (month + dt.timedelta(days=14)).isoformat(),
        "processing_methods": ["shaking_table", "borax_smelting"],
        "sources": [{"site": str(site.pk), "month": f"{month:%Y-%m}", "grams": grams}],
        "seal_number": "004500",
        "place": "Planta de beneficio, Huepetuhe",
        **extra,
    }


def form_of(body: dict[str, Any], client: Client, **extra: Any) -> dict[str, Any]:
    """The same lot as the page's form sends it: its sources in the first rows, the others left empty."""
    fields = {key: value for key, value in body.items() if key != "sources"}
    for row, source in enumerate(body["sources"]):
        for name, value in source.items():
            fields[f"source-{row}-{name}"] = value
    return {**fields, "csrfmiddlewaretoken": client.cookies["csrftoken"].value, **extra}


def api_as(email: str) -> Any:
    return make_client(User.objects.get(email=email))


def messages_of(problem: dict[str, Any]) -> list[str]:
    """What the page must say: the service's message, and each field's (the serializer's refusal is headed by
    the console's own sentence, `checked`, as on every console form)."""
    detail = [] if problem["code"] == "validation_error" else [problem["detail"]]
    return [*detail, *(error["message"] for error in problem.get("errors", []))]


def test_the_president_reads_her_lots_and_how_much_more_she_may_record(demo: None) -> None:
    client = signed_in(PRESIDENT)
    lot = Lot.objects.get(code="L-0412")
    coop = organization_of(PRESIDENT)
    balance = api_as(PRESIDENT).get(f"/api/v1/producers/{coop.pk}/mass-balance/").json()
    shown = api_as(PRESIDENT).get(f"/api/v1/lots/{lot.pk}/").json()

    listed = client.get("/coop/lots/")
    one = client.get(f"/coop/lots/{lot.pk}/")

    assert listed.status_code == one.status_code == 200
    page = listed.content.decode()
    assert f'href="/coop/lots/{lot.pk}/"' in page
    source = shown["sources"][0]
    assert f"{source['site_name']}, {source['month']}: {source['grams']} g" in page
    assert f"{shown['declared_fineness']} ‰ declared" in page
    assert f"{shown['fineness']} ‰ by fire assay" in page  # the fire assay set it
    assert balance["rows"]
    for row in balance["rows"]:  # the API's figures, site-month by site-month
        assert f'data-site="{row["site"]}" data-month="{row["month"]}"' in page
        assert f"{row['left_grams']} g left" in page
        assert f"{row['declared_grams']} g declared" in page
        assert f"{row['committed_forward_grams']} g committed forward" in page
    detail = one.content.decode()
    [assay] = shown["assays"]
    assert html.escape(assay["laboratory"]) in detail
    assert [event["kind"] for event in shown["custody"]] == re.findall(r'<li data-kind="([a-z_]+)"', detail)
    assert f"/coop/lots/{lot.pk}/assays/1/file/" in detail
    assert 'href="/coop/lots/"' in client.get("/coop/").content.decode()  # in the cooperative's menu

    certificate = client.get(f"/coop/lots/{lot.pk}/assays/1/file/")
    assert certificate.status_code == 200
    assert certificate["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(certificate.content).hexdigest() == assay["sha256"]

    member = signed_in("coop-member@demo.test")
    assert member.get("/coop/lots/").status_code == 200  # every member reads them
    assert member.get(f"/coop/lots/{lot.pk}/").status_code == 200


def test_the_lots_come_twenty_a_page_newest_first(demo: None) -> None:
    coop = organization_of(PRESIDENT)
    recorder = User.objects.get(email=PRESIDENT)
    month = last_month()
    Lot.objects.bulk_create(
        Lot(
            producer_id=coop.pk,
            code=f"P-{number:02d}",
            form="dore",
            gross_grams="10.000",
            declared_fineness="900.0",
            production_from=month,
            production_to=month,
            processing_methods=["sluice"],
            recorded_by=recorder,
        )
        for number in range(21)
    )
    Lot.objects.filter(code="P-20").update(created_at=clock.now() + dt.timedelta(minutes=1))
    client = signed_in(PRESIDENT)

    first = client.get("/coop/lots/").content.decode()
    second = client.get("/coop/lots/", {"page": 2}).content.decode()

    first_codes = re.findall(r'<li data-code="([^"]+)"', first)
    assert len(first_codes) == 20
    assert first_codes[0] == "P-20"
    assert len(re.findall(r'<li data-code="', second)) == Lot.objects.filter(producer_id=coop.pk).count() - 20
    assert "?page=2" in first


def test_recording_a_lot_creates_one_lot_and_its_audit_event_however_often_it_is_sent(demo: None) -> None:
    client = signed_in(PRESIDENT)
    site = the_coops_site()
    before = Lot.objects.count()
    form = form_of(api_body(site, "100.000"), client, idempotency_key=form_key(client))

    first = client.post("/coop/lots/new/", form)
    again = client.post("/coop/lots/new/", form)  # the phone never saw the first answer and sends it again

    lot = Lot.objects.get(producer_id=site.producer_id, code="L-0500")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/coop/lots/{lot.pk}/"
    assert Lot.objects.count() == before + 1
    assert [(s.site_id, s.month, str(s.grams)) for s in lot.sources.all()] == [(site.pk, last_month(), "100.000")]
    assert lot.processing_methods == ["borax_smelting", "shaking_table"]
    assert AuditEvent.objects.filter(action="provenance.lot.recorded", target_id=str(lot.pk)).count() == 1
    assert "L-0500" in client.get(first["Location"]).content.decode()


def test_empty_rows_are_left_out_a_refusal_finds_its_row_and_a_comma_is_a_decimal_point(demo: None) -> None:
    client = signed_in(PRESIDENT)
    site = the_coops_site()
    month = last_month()
    before = (month - dt.timedelta(days=1)).replace(day=1)
    form = form_of(api_body(site, "12.500", sources=[]), client, idempotency_key=form_key(client))
    form.update({"gross_grams": "12,5", "production_from": before.isoformat()})  # a window of two months
    form.update({"source-0-site": str(site.pk), "source-0-month": f"{before:%Y-%m}", "source-0-grams": "2,5"})
    form.update({"source-2-site": str(site.pk), "source-2-grams": "10"})  # the second row left empty

    no_month = client.post("/coop/lots/new/", form)
    recorded = client.post("/coop/lots/new/", {**form, "source-2-month": f"{month:%Y-%m}"})

    assert no_month.status_code == 400  # the API's `sources.1.month` is the form's third row
    assert 'data-code="required_for_several_months"' in no_month.content.decode()
    assert 'id="source-2-month-error"' in no_month.content.decode()
    assert 'id="source-0-month-error"' not in no_month.content.decode()
    assert recorded.status_code == 302
    lot = Lot.objects.get(code="L-0500")
    assert [(s.month, str(s.grams)) for s in lot.sources.order_by("month")] == [(before, "2.500"), (month, "10.000")]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("more than was declared", 409, "mass_balance_exceeded"),
        ("a month outside the window", 400, "validation_error"),
        ("no processing method and no source", 400, "validation_error"),
        ("sources that do not add up", 400, "sources_do_not_add_up"),
    ],
)
def test_a_refusal_reads_as_the_apis_refusal_of_the_same_body(demo: None, case: str, status: int, code: str) -> None:
    site = the_coops_site()
    body = {
        "more than was declared": api_body(site, "50000.000"),
        "a month outside the window": api_body(
            site, "10.000", sources=[{"site": str(site.pk), "month": "2020-01", "grams": "10.000"}]
        ),
        "no processing method and no source": api_body(site, "10.000", processing_methods=[], sources=[]),
        "sources that do not add up": api_body(site, "10.000", gross_grams="11.000"),
    }[case]
    client = signed_in(PRESIDENT)
    before = Lot.objects.count()

    api = api_as(PRESIDENT).post("/api/v1/lots/", body, format="json")
    page = client.post("/coop/lots/new/", form_of(body, client, idempotency_key=form_key(client)))

    problem = api.json()
    assert page.status_code == api.status_code == status
    assert problem["code"] == code
    text = page.content.decode()
    assert f'data-code="{code}"' in text
    assert messages_of(problem)
    assert [message for message in messages_of(problem) if html.escape(message) not in text] == []
    assert Lot.objects.count() == before
    assert f'value="{body["code"]}"' in text  # the form comes back filled
    for error in problem.get("errors", []):
        if error["field"].startswith("sources.0."):  # beside its row
            assert f'id="source-0-{error["field"].rsplit(".", 1)[1]}-error"' in text


def test_a_site_not_approved_is_refused_in_the_apis_words(demo: None) -> None:
    site = the_coops_site()
    Site.objects.filter(pk=site.pk).update(status="pending")
    body = api_body(site, "10.000")
    client = signed_in(PRESIDENT)

    api = api_as(PRESIDENT).post("/api/v1/lots/", body, format="json").json()
    page = client.post("/coop/lots/new/", form_of(body, client, idempotency_key=form_key(client)))

    assert page.status_code == 400
    [error] = api["errors"]
    assert error["code"] == "site_not_approved"
    assert html.escape(error["message"]) in page.content.decode()
    assert 'id="source-0-site-error"' in page.content.decode()


def test_a_buyer_and_another_producer_get_the_apis_answers(demo: None) -> None:
    lot = Lot.objects.get(code="L-0412")
    buyer = signed_in("buyer2@demo.test")
    body = api_body(the_coops_site(), "10.000")

    refused = buyer.get("/coop/lots/new/")
    posted = buyer.post("/coop/lots/new/", form_of(body, buyer, idempotency_key=str(uuid.uuid4())))
    api = api_as("buyer2@demo.test").post("/api/v1/lots/", body, format="json")

    assert refused.status_code == posted.status_code == api.status_code == 403
    assert api.json()["code"] == "not_producer_member"
    for answer in (refused, posted):
        assert 'data-code="not_producer_member"' in answer.content.decode()
        assert html.escape(api.json()["detail"]) in answer.content.decode()
    assert buyer.get("/coop/lots/").status_code == 404  # a buyer has no lots of its own

    other = signed_in("candelaria-admin@demo.test")
    api_other = api_as("candelaria-admin@demo.test")
    for console_path, api_path in (
        (f"/coop/lots/{lot.pk}/", f"/api/v1/lots/{lot.pk}/"),
        (f"/coop/lots/{lot.pk}/assays/1/file/", f"/api/v1/lots/{lot.pk}/assays/1/file/"),
    ):
        shown, api_answer = other.get(console_path), api_other.get(api_path)
        assert shown.status_code == api_answer.status_code == 404
        assert 'data-code="not_found"' in shown.content.decode()
    assert f"/coop/lots/{lot.pk}/" not in other.get("/coop/lots/").content.decode()  # her own lots only


def test_a_delegated_field_officer_is_refused_as_in_the_api(demo: None) -> None:
    delegation = Delegation.objects.select_related("organization").get(officer__email="officer@demo.test")
    officer = signed_in("officer@demo.test")
    token = officer.cookies["csrftoken"].value
    officer.post("/organization/", {"organization": str(delegation.organization_id), "csrfmiddlewaretoken": token})
    lot = Lot.objects.get(code="L-0412")
    body = api_body(the_coops_site(), "10.000")

    api = make_client(delegation.officer, delegation.organization, header=True)
    recorded = api.post("/api/v1/lots/", body, format="json")
    listed = api.get("/api/v1/lots/")

    assert recorded.status_code == listed.status_code == 403
    assert recorded.json()["code"] == listed.json()["code"] == "delegation_out_of_scope"
    for path in ("/coop/lots/", "/coop/lots/new/", f"/coop/lots/{lot.pk}/"):
        page = officer.get(path)
        assert page.status_code == 403, path
        assert 'data-code="delegation_out_of_scope"' in page.content.decode()
    posted = officer.post("/coop/lots/new/", form_of(body, officer, idempotency_key=str(uuid.uuid4())))
    assert posted.status_code == 403
    assert not Lot.objects.filter(code="L-0500").exists()
    assert 'href="/coop/lots/"' not in officer.get("/coop/").content.decode()  # not in her menu


def test_an_altered_certificate_is_not_served_and_the_trail_says_so(demo: None) -> None:
    lot = Lot.objects.get(code="L-0412")
    assay = lot.assays.get(position=1)
    Path(storages["evidence"].path(str(assay.file.name))).write_bytes(b"%PDF-1.4 something else")

    answer = signed_in(PRESIDENT).get(f"/coop/lots/{lot.pk}/assays/1/file/")
    api = api_as(PRESIDENT).get(f"/api/v1/lots/{lot.pk}/assays/1/file/")

    assert answer.status_code == api.status_code == 500
    assert api.json()["code"] == "file_integrity_error"
    assert 'data-code="file_integrity_error"' in answer.content.decode()
    assert html.escape(api.json()["detail"]) in answer.content.decode()
    events = AuditEvent.objects.filter(action="provenance.assay.integrity_failed", target_id=str(lot.pk))
    assert events.count() == 2  # the page's refusal and the API's, each in the trail


def test_a_producer_without_lots_is_led_to_record_one_from_the_new_offer(demo: None) -> None:
    client = signed_in("miner@demo.test")
    assert not Lot.objects.filter(producer_id=organization_of("miner@demo.test").pk).exists()

    assert 'href="/coop/lots/new/"' in client.get("/coop/offers/new/").content.decode()
    assert client.get("/coop/lots/new/").status_code == 200
