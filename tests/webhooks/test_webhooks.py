"""Signed outbound webhooks (docs/webhooks.md): delivery to a real receiver on loopback that verifies every request
with the documented snippet, retries, rotation, replay, disabling, who receives what, the address rules."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from audit.services import audit_record
from jobs.models import Job, JobState
from jobs.services import run_job
from notifications.models import Notification
from tests.factories import ContractFactory, InquiryFactory, MembershipFactory, UserFactory
from tests.problems import assert_problem
from tests.producers.factories import ProducerFactory
from tests.webhooks.receiver import documented_verify, receiver
from webhooks import transport
from webhooks.events import EVENT_TYPES, MAPPING
from webhooks.models import DeliveryState, DispatchCursor, WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import dispatch_events

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints/"
verify_signature = documented_verify()


@pytest.fixture
def loopback(settings: Any) -> None:
    """Only these tests' receiver on 127.0.0.1, over plain HTTP."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def production_like(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False


def register(client: Any, url: str, types: list[str]) -> dict[str, Any]:
    response = client.post(ENDPOINTS, {"url": url, "event_types": types}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def contract_between(producer_admin: Any, buyer: Any) -> Any:
    producer = ProducerFactory(organization=producer_admin.organization)
    return ContractFactory(inquiry=InquiryFactory(buyer=buyer.organization, producer=producer))


def sign(contract: Any) -> AuditEvent:
    """What trade.services records when the contract is signed (its real action name and data)."""
    return audit_record(
        action="trade.contract.signed",
        actor=None,
        subject_organization=contract.buyer,
        target=contract,
        data={"from": "negotiating", "to": "signed"},
    )


def dispatch(capture: Any) -> Any:
    with capture(execute=True):
        return dispatch_events()


def due_jobs_run() -> list[str]:
    """The deliveries' backoff is over: run what is pending (what the sweeper does)."""
    Job.objects.filter(name="webhooks.deliver", state=JobState.PENDING).update(run_after=timezone.now())
    return [
        run_job(pk)
        for pk in Job.objects.filter(name="webhooks.deliver", state=JobState.PENDING).values_list("pk", flat=True)
    ]


def test_a_contract_event_reaches_both_parties_signed_and_nobody_else(
    loopback: None, producer_admin: Any, buyer: Any, other_buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        secrets = {
            name: register(client, f"{hooks.url}?org={name}", ["contract.accepted"])["secret"]
            for name, client in (("producer", producer_admin), ("buyer", buyer), ("other", other_buyer))
        }
        contract = contract_between(producer_admin, buyer)
        sign(contract)

        done = dispatch(django_capture_on_commit_callbacks)

        assert done.deliveries == 2
        assert sorted(request.path.rsplit("=", 1)[1] for request in hooks.requests) == ["buyer", "producer"]
        for request in hooks.requests:
            secret = secrets[request.path.rsplit("=", 1)[1]]
            assert verify_signature(secret, request.body, request.headers["Oro-Signature"])
            assert not verify_signature(secrets["other"], request.body, request.headers["Oro-Signature"])
            body = json.loads(request.body)
            assert request.headers["Content-Type"] == "application/json"
            assert request.headers["Oro-Event-Type"] == body["type"] == "contract.accepted"
            assert request.headers["Oro-Event-Id"] == body["id"]
            assert set(body) == {"id", "type", "created", "data"}
            assert body["data"] == {
                "object": "contract",
                "id": str(contract.pk),
                "state": "signed",
                "listing": str(contract.listing_id),
                "inquiry": str(contract.inquiry_id),
            }
        # Two organisations, two events: each its own id.
        assert len({request.headers["Oro-Event-Id"] for request in hooks.requests}) == 2
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_the_documented_snippet_refuses_an_old_or_altered_request() -> None:
    body = b'{"id":"x"}'
    now = int(time.time())
    header = transport.signature_header(["whsec_a"], body, timestamp=now)

    assert verify_signature("whsec_a", body, header)
    assert not verify_signature("whsec_a", body + b" ", header)
    assert not verify_signature("whsec_a", body, header, now=now + 301)
    assert not verify_signature("whsec_b", body, header)
    assert not verify_signature("whsec_a", body, "v1=" + header.split("v1=")[1])


def test_a_refusing_receiver_gets_the_event_again_and_accepts_it_once(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        hooks.statuses = [500]
        register(buyer, hooks.url, ["contract.accepted"])
        sign(contract_between(producer_admin, buyer))

        dispatch(django_capture_on_commit_callbacks)
        assert len(hooks.requests) == 1
        assert hooks.accepted_ids == []
        assert due_jobs_run() == ["done"]

        assert len(hooks.requests) == 2
        assert hooks.requests[0].headers["Oro-Event-Id"] == hooks.requests[1].headers["Oro-Event-Id"]
        assert hooks.accepted_ids == [hooks.requests[0].headers["Oro-Event-Id"]]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert [(a.status_code, a.response_excerpt) for a in delivery.attempts.all()] == [
        (500, "Internal Server Error"),
        (200, "ok"),
    ]
    assert all(a.latency_ms >= 0 for a in delivery.attempts.all())
    assert WebhookEndpoint.objects.get().failing_since is None


def test_dispatch_is_idempotent_and_an_unsubscribed_type_goes_nowhere(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        register(buyer, hooks.url, ["contract.proposed"])
        sign(contract_between(producer_admin, buyer))

        assert dispatch(django_capture_on_commit_callbacks).deliveries == 0
        assert dispatch(django_capture_on_commit_callbacks).read == 0
    assert hooks.requests == []
    assert not WebhookEvent.objects.exists()
    assert DispatchCursor.objects.get().seq == AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]


def test_running_the_dispatcher_twice_writes_each_event_once(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        register(buyer, hooks.url, ["contract.accepted"])
        sign(contract_between(producer_admin, buyer))
        first = dispatch(django_capture_on_commit_callbacks)
        second = dispatch(django_capture_on_commit_callbacks)

    assert (first.deliveries, second.deliveries) == (1, 0)
    assert (WebhookEvent.objects.count(), WebhookDelivery.objects.count(), len(hooks.requests)) == (1, 1, 1)


def test_the_webhooks_own_audit_events_are_skipped(
    loopback: None, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    register(buyer, "http://127.0.0.1:9/", list(EVENT_TYPES))
    assert AuditEvent.objects.filter(action="webhooks.endpoint.created").exists()

    assert dispatch(django_capture_on_commit_callbacks).deliveries == 0


def test_a_red_flag_against_a_buyer_goes_to_nobody(
    loopback: None, buyer: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from diligence.models import RedFlag

    register(buyer, "http://127.0.0.1:9/", ["red_flag.opened"])
    flag = RedFlag.objects.create(
        subject_kind="buyer",
        organization=buyer.organization,
        category_id="sanctions_hit",
        severity="high",
        facts="A name on a list.",
        opened_by=reviewer.user,
    )
    audit_record(action="diligence.red_flag.opened", actor=None, target=flag, data={"subject_kind": "buyer"})

    assert dispatch(django_capture_on_commit_callbacks).deliveries == 0


def test_rotation_signs_with_both_secrets_during_the_overlap_then_the_new_one(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        created = register(buyer, hooks.url, ["contract.accepted"])
        response = buyer.post(f"{ENDPOINTS}{created['id']}/rotate-secret/", {"overlap_hours": 24}, format="json")
        assert response.status_code == 200
        new = response.json()["secret"]
        sign(contract_between(producer_admin, buyer))
        dispatch(django_capture_on_commit_callbacks)

        header = hooks.requests[0].headers["Oro-Signature"]
        assert header.count("v1=") == 2
        assert verify_signature(created["secret"], hooks.requests[0].body, header)
        assert verify_signature(new, hooks.requests[0].body, header)

        WebhookEndpoint.objects.get().secrets.filter(expires_at__isnull=False).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        delivery = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            assert buyer.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/").status_code == 201

        header = hooks.requests[1].headers["Oro-Signature"]
        assert header.count("v1=") == 1
        assert verify_signature(new, hooks.requests[1].body, header)
        assert not verify_signature(created["secret"], hooks.requests[1].body, header)


def test_a_replay_sends_the_same_event_again(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with receiver() as hooks:
        register(buyer, hooks.url, ["contract.accepted"])
        sign(contract_between(producer_admin, buyer))
        dispatch(django_capture_on_commit_callbacks)
        original = WebhookDelivery.objects.get()

        with django_capture_on_commit_callbacks(execute=True):
            response = buyer.post(f"/api/v1/webhook-deliveries/{original.pk}/replay/")

        assert response.status_code == 201
        assert response.json()["replay_of"] == str(original.pk)
        assert response.json()["event_id"] == str(original.event_id)
        assert [r.headers["Oro-Event-Id"] for r in hooks.requests] == [str(original.event_id)] * 2
        assert hooks.requests[0].body == hooks.requests[1].body
    assert WebhookDelivery.objects.get(replay_of=original).state == DeliveryState.DELIVERED
    event = AuditEvent.objects.get(action="webhooks.delivery.replayed")
    assert event.data["replay_of"] == str(original.pk)


def test_an_endpoint_failing_for_days_is_disabled_and_its_admins_told(
    loopback: None, producer_admin: Any, buyer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin2 = MembershipFactory(organization=buyer.organization, role=Role.ADMIN, user=UserFactory()).user
    member = MembershipFactory(organization=buyer.organization, role=Role.MEMBER, user=UserFactory()).user
    with receiver() as hooks:
        hooks.statuses = [500] * 5
        register(buyer, hooks.url, ["contract.accepted", "contract.cancelled"])
        contract = contract_between(producer_admin, buyer)
        sign(contract)
        dispatch(django_capture_on_commit_callbacks)
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.state == "active"
        assert endpoint.failing_since is not None
        WebhookEndpoint.objects.update(failing_since=timezone.now() - timedelta(days=3, minutes=1))
        audit_record(
            action="trade.contract.cancel", actor=None, target=contract, data={"from": "signed", "to": "cancelled"}
        )
        dispatch(django_capture_on_commit_callbacks)  # the new delivery's attempt fails too: three days now
        endpoint.refresh_from_db()
        assert (endpoint.state, endpoint.disabled_reason) == ("disabled", "failing")
        sent = len(hooks.requests)
        assert due_jobs_run() == ["done"]  # the first delivery's retry finds the endpoint disabled
        assert len(hooks.requests) == sent

    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"failed", "skipped"}
    told = Notification.objects.filter(kind="webhook_endpoint_disabled")
    assert set(told.values_list("recipient", flat=True)) == {buyer.user.pk, admin2.pk}
    assert member.pk not in set(told.values_list("recipient", flat=True))
    assert AuditEvent.objects.filter(action="webhooks.endpoint.disabled", target_id=str(endpoint.pk)).count() == 1

    response = buyer.post(f"{ENDPOINTS}{endpoint.pk}/enable/")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["failing_since"]) == ("active", None)


def a_delivery(buyer: Any) -> WebhookDelivery:
    """A delivery row of a contract event to the buyer's new endpoint (not sent)."""
    from webhooks.models import WebhookEvent

    endpoint = WebhookEndpoint.objects.create(
        organization=buyer.organization,
        url="http://127.0.0.1:9/",
        event_types=["contract.accepted"],
        created_by=buyer.user,
    )
    event = WebhookEvent.objects.create(
        type="contract.accepted", organization=buyer.organization, payload={"id": "x"}, audit_seq=1
    )
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint)


# --- Addresses ------------------------------------------------------------------------------------------------


def resolving_to(monkeypatch: Any, address: str) -> None:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://localhost/hooks",
    ],
)
def test_a_private_address_is_refused_at_registration(production_like: None, buyer: Any, url: str) -> None:
    response = buyer.post(ENDPOINTS, {"url": url, "event_types": ["contract.accepted"]}, format="json")

    assert_problem(response, 400, "webhook_url_private_address")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1", "0.0.0.0"])
def test_a_name_resolving_to_a_private_address_is_refused(
    production_like: None, buyer: Any, monkeypatch: Any, address: str
) -> None:
    resolving_to(monkeypatch, address)
    response = buyer.post(
        ENDPOINTS, {"url": "https://erp.example.com/h", "event_types": ["deposit.state"]}, format="json"
    )

    assert_problem(response, 400, "webhook_url_private_address")


def test_http_is_refused_in_production(production_like: None, buyer: Any, monkeypatch: Any) -> None:
    resolving_to(monkeypatch, "93.184.216.34")
    response = buyer.post(
        ENDPOINTS, {"url": "http://erp.example.com/h", "event_types": ["deposit.state"]}, format="json"
    )

    assert_problem(response, 400, "webhook_url_not_https")


def test_a_name_that_resolves_to_a_private_address_later_is_refused_at_delivery(
    production_like: None, producer_admin: Any, buyer: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    resolving_to(monkeypatch, "93.184.216.34")
    register(buyer, "https://erp.example.com/hooks", ["contract.accepted"])
    resolving_to(monkeypatch, "127.0.0.1")  # DNS rebinding

    def no_call(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the delivery must not connect")

    monkeypatch.setattr(transport, "post", no_call)
    sign(contract_between(producer_admin, buyer))
    dispatch(django_capture_on_commit_callbacks)

    [attempt] = WebhookDelivery.objects.get().attempts.all()
    assert (attempt.status_code, attempt.error) == (None, "refused: webhook_url_private_address")


def test_the_delivery_connects_to_the_checked_address(production_like: None, monkeypatch: Any) -> None:
    """The pool is opened on the address checked, with the name for TLS and the Host header: a second resolution
    cannot send it elsewhere."""
    resolving_to(monkeypatch, "93.184.216.34")
    target = transport.check_url("https://erp.example.com:8443/hooks?x=1")
    opened: dict[str, Any] = {}

    class Pool:
        def __init__(self, **kwargs: Any) -> None:
            opened.update(kwargs)

        def urlopen(self, method: str, path: str, **kwargs: Any) -> Any:
            opened.update(method=method, path=path, headers=kwargs["headers"], redirect=kwargs["redirect"])
            raise ConnectionRefusedError("closed")

        def close(self) -> None:
            pass

    monkeypatch.setattr(transport.urllib3, "HTTPSConnectionPool", Pool)
    outcome = transport.post(target, b"{}", {"Content-Type": "application/json"})

    assert outcome.status_code is None
    assert "ConnectionRefusedError" in outcome.error
    assert (opened["host"], opened["port"]) == ("93.184.216.34", 8443)
    assert opened["server_hostname"] == opened["assert_hostname"] == "erp.example.com"
    assert opened["headers"]["Host"] == "erp.example.com:8443"
    assert (opened["path"], opened["redirect"]) == ("/hooks?x=1", False)


# --- The table ------------------------------------------------------------------------------------------------


def test_every_mapped_action_is_one_the_code_records() -> None:
    from tests.audit.test_action_names import emitted_actions

    assert set(MAPPING) - emitted_actions() == set()
    assert not any(action.startswith("webhooks.") for action in MAPPING)


def test_the_docs_table_names_every_type() -> None:
    from tests.webhooks.receiver import DOC

    text = DOC.read_text()
    for name in EVENT_TYPES:
        assert f"| `{name}` |" in text
    assert {rule.type for rule in MAPPING.values() if isinstance(rule.type, str)} | {
        "listing.visible",
        "listing.hidden",
    } == set(EVENT_TYPES)


def test_transaction_rolled_back_writes_nothing(loopback: None, producer_admin: Any, buyer: Any) -> None:
    register(buyer, "http://127.0.0.1:9/", ["contract.accepted"])
    sign(contract_between(producer_admin, buyer))

    def dispatch_then_fail() -> None:
        with transaction.atomic():
            dispatch_events()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        dispatch_then_fail()
    assert not WebhookEvent.objects.exists()
    assert DispatchCursor.objects.filter(seq__gt=0).count() == 0
