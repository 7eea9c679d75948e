"""Every page of the Django admin either refuses a change or records it in the audit trail.

The test walks `admin.site._registry`: for each registered model it opens the change form of a real row
(the demo data, plus a few rows the demo has no reason to make), as a superuser, and posts the form back.
The answer must be a refusal with the row untouched (403), or a save that appended an audit event
(audit/admin_mixins.py). Registering a new admin that saves without either makes this test fail; so does a
registered model for which no row can be found (add one to `_extra_rows`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Model
from django.forms import BaseForm, MultiWidget
from django.forms.formsets import BaseFormSet
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User
from audit.models import AuditEvent
from compliance.models import Policy
from core import clock
from diligence.models import RedFlag, SanctionsList, SanctionsMatch, Screening
from payments.models import ProviderEvent
from producers.models import ReferenceArea
from tests.factories import InvitationFactory, OrganizationFactory, UserFactory
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def _extra_rows() -> None:
    """Rows of registered models that the demo data does not make."""
    Group.objects.create(name="soporte")
    AuthToken.objects.create(user=UserFactory())
    InvitationFactory(
        organization=OrganizationFactory(), invited_by=UserFactory(), invited_by_organization=OrganizationFactory()
    )
    ProviderEvent.objects.create(
        provider="stripe", event_id="evt_admin_walk", type="payment_intent.succeeded", payload={}
    )
    # A policy version not yet in force: the only kind staff may edit.
    latest = Policy.objects.order_by("-version").first()
    assert latest is not None
    future = Policy.objects.create(
        subject=latest.subject,
        version=latest.version + 1,
        effective_from=clock.today_lima() + dt.timedelta(days=30),
    )
    future.requirements.set(latest.requirements.all())
    webhook = WebhookEndpoint.objects.create(  # nor webhooks
        organization=OrganizationFactory(),
        url="https://93.184.216.34/h",
        event_types=["deposit.state"],
        created_by=UserFactory(),
    )
    event = WebhookEvent.objects.create(
        type="deposit.state", organization=webhook.organization, payload={"id": "x"}, audit_seq=1
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=webhook)
    WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=500, latency_ms=3)
    RedFlag.objects.create(  # the demo has no flag
        subject_kind="producer",
        organization=OrganizationFactory(),
        category_id="inconsistent_documents",
        severity="low",
        facts="The REINFO record names another district.",
        opened_by=UserFactory(),
    )
    listed = SanctionsList.objects.create(
        source="Lista de prueba",
        list_format="csv",
        file_name="lista.csv",
        file_sha256="0" * 64,
        entries_count=0,
        imported_by=UserFactory(),
        imported_at=timezone.now(),
    )
    screened = OrganizationFactory()
    Screening.objects.create(organization=screened, screened_at=timezone.now(), lists=[{"id": listed.pk}])
    SanctionsMatch.objects.create(
        organization=screened,
        source=listed.source,
        reference="PE-1",
        flag=RedFlag.objects.latest("opened_at"),
        first_seen_at=timezone.now(),
    )
    ReferenceArea.objects.create(
        kind=ReferenceArea.Kind.PROTECTED_AREA,
        name="Reserva de prueba",
        source="test",
        loaded_at=timezone.now(),
        geometry={"type": "Polygon", "coordinates": [[[-70.0, -12.0], [-69.9, -12.0], [-69.9, -11.9], [-70.0, -12.0]]]},
    )


def _row_of(model: type[Model]) -> Model:
    if model is Policy:
        row = Policy.objects.filter(effective_from__gt=clock.today_lima()).first()
    else:
        row = model._default_manager.order_by("pk").first()
    assert row is not None, f"no {model._meta.label} row to open in the admin: make one in _extra_rows()"
    return row


def _snapshot(row: Model) -> dict[str, Any]:
    fresh = type(row)._default_manager.get(pk=row.pk)
    return {field.attname: getattr(fresh, field.attname) for field in row._meta.concrete_fields}


def _form_data(form: BaseForm) -> dict[str, Any]:
    """What a browser posts back for an untouched form."""
    data: dict[str, Any] = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        elif value is None or value is False:
            continue  # an unchecked box and an empty choice are not posted
        elif value is True:
            data[bound.html_name] = "on"
        else:
            data[bound.html_name] = str(value)
    return data


def _formset_data(formset: BaseFormSet) -> dict[str, Any]:
    data = _form_data(formset.management_form)
    for form in formset.forms:
        data.update(_form_data(form))
    return data


@pytest.fixture
def superuser_client() -> Client:
    user = UserFactory(email="ops@example.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_change_is_refused_or_audited(superuser_client: Client) -> None:
    call_command("seed_demo")
    _extra_rows()
    registry = admin.site._registry
    assert registry, "no admin registered"
    outcomes: dict[str, str] = {}
    for model in registry:
        row = _row_of(model)
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
        page = superuser_client.get(url)
        assert page.status_code == 200, f"{model._meta.label}: the change page answered {page.status_code}"
        before, events_before = _snapshot(row), AuditEvent.objects.count()
        if page.context["has_change_permission"]:
            data = _form_data(page.context["adminform"].form)
            for inline in page.context["inline_admin_formsets"]:
                data.update(_formset_data(inline.formset))
            data["_save"] = "Save"
        else:
            data = {name: "changed by the admin walk" for name in before if isinstance(before[name], str)}
        answer = superuser_client.post(url, data)
        if answer.status_code == 403:
            assert _snapshot(row) == before, f"{model._meta.label}: refused, yet the row changed"
            assert AuditEvent.objects.count() == events_before
            outcomes[model._meta.label] = "refused"
        else:
            errors = answer.context["adminform"].form.errors if answer.status_code == 200 else None
            assert answer.status_code == 302, f"{model._meta.label}: {answer.status_code} {errors}"
            audited = AuditEvent.objects.filter(seq__gt=events_before, target_id=str(row.pk))
            assert [e.action for e in audited] == [f"{model._meta.app_label}.{model._meta.model_name}.admin_changed"], (
                f"{model._meta.label}: the admin saved without an audit event"
            )
            outcomes[model._meta.label] = "audited"

    assert outcomes == {
        "auth.Group": "audited",
        "knox.AuthToken": "refused",
        "audit.AuditEvent": "refused",
        "jobs.Job": "refused",
        "notifications.Notification": "refused",
        "accounts.User": "audited",
        "accounts.Organization": "refused",
        "accounts.Invitation": "refused",
        "accounts.Delegation": "refused",  # granted and revoked by a producer's admins, through the API
        "producers.Producer": "refused",
        "producers.Site": "refused",
        "producers.ReferenceArea": "refused",
        "producers.MemberMiner": "refused",
        "compliance.EvidenceType": "audited",
        "compliance.Requirement": "audited",
        "compliance.Claim": "audited",
        "compliance.Policy": "audited",
        "compliance.ValidityDeadline": "refused",  # the seeded deadline is in force: a new row, never an edit
        "compliance.KycPolicy": "refused",  # the seeded version is in force: never edited (a new version is)
        "compliance.Evidence": "refused",
        "compliance.ReviewReason": "audited",
        "provenance.Lot": "refused",
        "provenance.MassBalancePolicy": "audited",
        "diligence.RedFlag": "refused",
        "diligence.SanctionsList": "refused",
        "diligence.SanctionsMatch": "refused",
        "diligence.Screening": "refused",
        "diligence.RedFlagCategory": "audited",
        "listings.Listing": "refused",
        "listings.SourcingRequest": "refused",
        "payments.ProviderEvent": "refused",
        "trade.Inquiry": "refused",
        "trade.Contract": "refused",
        "prices.MetalPrice": "refused",  # a figure is corrected by a new row, through the API
        "prices.ExchangeRate": "refused",
        "prices.CertificationTerms": "refused",  # new terms are a new row, through the API
        "settlement.Weighing": "refused",  # records, statements and payments: through the API's services
        "settlement.AssayResult": "refused",
        "settlement.Statement": "refused",
        "settlement.Payment": "refused",
        "reports.ReportPolicy": "refused",  # the seeded version is in force: never edited (a new version is)
        "webhooks.WebhookEndpoint": "refused",  # through the API's services (audited)
        "webhooks.WebhookEvent": "refused",  # the dispatcher's log
        "webhooks.WebhookDelivery": "refused",
        "webhooks.WebhookAttempt": "refused",
    }


def test_a_user_edited_in_the_admin_is_audited_with_the_fields_not_their_values(superuser_client: Client) -> None:
    user = UserFactory(email="ana@example.test", full_name="Ana")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = _form_data(form) | {"full_name": "Ana Huamán", "is_staff": "on", "_save": "Save"}

    assert superuser_client.post(url, data).status_code == 302

    user.refresh_from_db()
    assert (user.full_name, user.is_staff) == ("Ana Huamán", True)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    ops = User.objects.get(email="ops@example.test")
    assert (event.action, event.target_id, event.actor_id) == ("accounts.user.admin_changed", str(user.pk), ops.pk)
    assert {"full_name", "is_staff"} <= set(event.data["fields"])
    assert "Ana Huamán" not in str(event.data)


def test_a_password_set_in_the_admin_is_audited(superuser_client: Client) -> None:
    user = UserFactory(email="ana@example.test")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    answer = superuser_client.post(url, {"password1": "oro-limpio-2027", "password2": "oro-limpio-2027"})

    assert answer.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("oro-limpio-2027")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.data["fields"]) == ("accounts.user.admin_password_changed", ["password"])
