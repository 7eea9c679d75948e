"""Deposits: our own logic with a fake Stripe (amounts, roles, states, refunds, release, cancellation,
reconciliation), and the outage and idempotency cases against localstripe over HTTP."""

from __future__ import annotations

import io
import itertools
import socket
import time

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from notifications.models import Notification
from tests.contract.test_response_shapes import assert_conforms
from tests.problems import assert_problem
from tests.provenance.helpers import deliver_lot
from tests.trade.deposit_helpers import (
    CONTRACT_VALUE_MINOR,
    TEN_PERCENT_MINOR,
    deliver_event,
    deposit_url,
    refund_url,
    release_url,
    signed_contract,
)
from tests.trade.helpers import CONTRACTS, ask, ok, start
from trade.models import ContractVersion, Deposit, DepositRefund

pytestmark = pytest.mark.django_db


def kinds(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


BOTH_SIDES = sorted(["buyer@example.test", "buyer-member@example.test", "president@example.test", "socia@example.test"])
BUYER_SIDE = ["buyer-member@example.test", "buyer@example.test"]
PRODUCER_SIDE = ["president@example.test", "socia@example.test"]


@pytest.fixture
def contract(trade, buyer, producer_admin):
    """Signed: 300 g at a fixed USD 98.00 a fine gram (USD 27,048.00), with a 10 % deposit (USD 2,704.80)."""
    return signed_contract(trade, buyer, producer_admin)


@pytest.fixture
def paid(contract, buyer, fake_stripe):
    """The buyer started the deposit and paid it; the webhook marked it held."""
    started = ok(buyer.post(deposit_url(contract)), 201)
    fake_stripe.set(started["payment_intent"], "succeeded")
    ok(deliver_event("payment_intent.succeeded", started["payment_intent"]))
    return Deposit.objects.get(pk=started["id"])


# --- Creating ---------------------------------------------------------------------------------------
def test_the_buyer_starts_the_deposit_and_gets_the_client_secret(contract, buyer, fake_stripe):
    response = buyer.post(deposit_url(contract))

    body = ok(response, 201)
    assert body["amount"] == {"amount_minor": TEN_PERCENT_MINOR, "currency": "USD"}
    assert body["status"] == "requires_payment"
    assert body["client_secret"] == f"{body['payment_intent']}_secret_fake"
    deposit = Deposit.objects.get()
    assert deposit.provider_intent_id == body["payment_intent"]
    assert deposit.idempotency_key == f"deposit:{deposit.pk}:create"
    [create] = fake_stripe.calls_of("create")
    assert create == {
        "amount_minor": TEN_PERCENT_MINOR,
        "currency": "USD",
        "key": f"deposit:{deposit.pk}:create",
        "metadata": {"deposit": str(deposit.pk), "contract": contract["id"]},
    }
    assert AuditEvent.objects.filter(action="trade.deposit.created", target_id=str(deposit.pk)).count() == 1


def test_both_sides_staff_and_reviewers_read_the_deposit_without_its_secret(
    contract, buyer, buyer_member, producer_member, staff, reviewer, fake_stripe
):
    started = ok(buyer.post(deposit_url(contract)), 201)

    for reader in (buyer, buyer_member, producer_member, staff, reviewer):
        body = ok(reader.get(deposit_url(contract)))
        assert body["id"] == started["id"]
        assert "client_secret" not in body


def test_a_contract_without_deposit_answers_404(contract, buyer, fake_stripe):
    assert_problem(buyer.get(deposit_url(contract)), 404, "deposit_not_found")


def test_asking_again_answers_the_same_deposit_and_secret_and_no_second_intent(contract, buyer, fake_stripe):
    first = ok(buyer.post(deposit_url(contract)), 201)

    again = ok(buyer.post(deposit_url(contract)), 200)

    assert (again["id"], again["client_secret"]) == (first["id"], first["client_secret"])
    assert len(fake_stripe.calls_of("create")) == 1
    assert Deposit.objects.count() == 1


def test_an_idempotency_key_replays_the_first_answer(contract, buyer, fake_stripe):
    first = buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1")
    again = buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1")

    assert ok(first, 201) == ok(again, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert len(fake_stripe.calls_of("create")) == 1
    assert len(fake_stripe.calls_of("retrieve")) == 0


def test_the_client_secret_is_never_compressed_not_even_in_a_replay(contract, buyer, fake_stripe):
    """BREACH (docs/security.md): an answer that carries a secret is not gzipped, and says no-transform to proxies."""
    first = buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1", HTTP_ACCEPT_ENCODING="gzip")
    again = buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1", HTTP_ACCEPT_ENCODING="gzip")

    for answer in (first, again):
        assert ok(answer, 201)["client_secret"]
        assert "Content-Encoding" not in answer
        assert "no-transform" in answer["Cache-Control"]
    assert again["Idempotent-Replayed"] == "true"


def test_without_stripe_the_deposit_answers_503_and_stores_nothing(contract, buyer, settings):
    settings.STRIPE_SECRET_KEY = ""

    assert_problem(buyer.post(deposit_url(contract)), 503, "payments_not_configured")

    assert Deposit.objects.count() == 0
    assert ok(buyer.get(CONTRACTS + contract["id"] + "/"))["state"] == "signed"  # the rest keeps working


def test_a_deposit_needs_a_signed_contract(trade, buyer, producer_admin, fake_stripe):
    negotiating = start(producer_admin, ask(buyer, trade.listing), trade.site)

    assert_problem(buyer.post(deposit_url(negotiating)), 409, "contract_not_signed")

    assert Deposit.objects.count() == 0
    assert fake_stripe.calls == []


def test_a_percentage_of_an_lbma_price_is_refused_until_a_fixed_amount_is_agreed(
    trade, buyer, producer_admin, fake_stripe
):
    lbma = signed_contract(
        trade, buyer, producer_admin, price_basis="lbma_pm", price_per_fine_gram=None, lbma_adjustment_percent="-2.00"
    )

    body = assert_problem(buyer.post(deposit_url(lbma)), 409, "deposit_value_unknown")

    assert "fixed deposit amount" in body["detail"]
    assert Deposit.objects.count() == 0


def test_a_fixed_amount_on_an_lbma_price_is_charged_as_agreed(trade, buyer, producer_admin, fake_stripe):
    lbma = signed_contract(
        trade,
        buyer,
        producer_admin,
        price_basis="lbma_pm",
        price_per_fine_gram=None,
        lbma_adjustment_percent="-2.00",
        deposit_percent=None,
        deposit_amount={"amount_minor": 300000, "currency": "USD"},
    )

    body = ok(buyer.post(deposit_url(lbma)), 201)

    assert body["amount"] == {"amount_minor": 300000, "currency": "USD"}


def test_a_deposit_larger_than_the_contract_value_is_refused(contract, buyer, fake_stripe):
    # Terms are checked when proposed; this one was agreed before that check (or changed under it).
    ContractVersion.objects.filter(contract_id=contract["id"]).update(
        deposit_percent_bp=None, deposit_amount_minor=CONTRACT_VALUE_MINOR + 1
    )

    body = assert_problem(buyer.post(deposit_url(contract)), 409, "deposit_above_contract_value")

    assert "27048.00 USD" in body["detail"]
    assert Deposit.objects.count() == 0
    assert fake_stripe.calls == []


def test_no_deposit_agreed_is_a_conflict(trade, buyer, producer_admin, fake_stripe):
    none = signed_contract(trade, buyer, producer_admin, deposit_percent="0.00")

    assert_problem(buyer.post(deposit_url(none)), 409, "no_deposit_agreed")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("buyer_member", 403, "not_admin"),
        ("producer_admin", 403, "not_buyer_side"),
        ("staff", 403, "not_buyer_side"),
        ("reviewer", 403, "not_buyer_side"),
        ("other_buyer", 404, "not_found"),
        ("other_producer", 404, "not_found"),
    ],
)
def test_only_the_buyers_admin_pays_and_other_organisations_get_404(contract, fake_stripe, request, who, status, code):
    actor = request.getfixturevalue(who)

    assert_problem(actor.post(deposit_url(contract)), status, code)

    assert Deposit.objects.count() == 0
    assert fake_stripe.calls == []


def test_another_organisations_deposit_is_404_everywhere(paid, contract, other_buyer, other_producer):
    before = list(Deposit.objects.values())
    for intruder in (other_buyer, other_producer):
        assert_problem(intruder.get(deposit_url(contract)), 404, "not_found")
        assert_problem(intruder.post(refund_url(paid.pk), {"amount_minor": 1}, format="json"), 404, "not_found")
        assert_problem(intruder.post(release_url(paid.pk), {"payout_reference": "X"}, format="json"), 404, "not_found")
    assert list(Deposit.objects.values()) == before


def test_stripe_down_answers_a_retryable_503_and_keeps_the_deposit_for_later(contract, buyer, fake_stripe):
    fake_stripe.down = True

    response = buyer.post(deposit_url(contract))

    assert_problem(response, 503, "payment_provider_unavailable")
    assert int(response["Retry-After"]) >= 1
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.provider_intent_id, deposit.intent_claimed_at) == ("requires_payment", None, None)

    fake_stripe.down = False
    again = ok(buyer.post(deposit_url(contract)), 200)

    assert again["id"] == str(deposit.pk)
    assert [call["key"] for call in fake_stripe.calls_of("create")] == [f"deposit:{deposit.pk}:create"] * 2


# --- Following the payment (webhook) ----------------------------------------------------------------
def test_a_paid_intent_holds_the_deposit_and_tells_both_sides_once(contract, buyer, fake_stripe):
    started = ok(buyer.post(deposit_url(contract)), 201)
    intent = started["payment_intent"]
    fake_stripe.set(intent, "succeeded")

    first = deliver_event("payment_intent.succeeded", intent, event_id="evt_paid")
    replay = deliver_event("payment_intent.succeeded", intent, event_id="evt_paid")
    another = deliver_event("payment_intent.amount_capturable_updated", intent)

    assert [ok(r)["outcome"] for r in (first, replay, another)] == ["processed", "duplicate", "processed"]
    deposit = Deposit.objects.get()
    assert deposit.status == "held"
    assert deposit.held_at is not None
    assert kinds("deposit_paid") == BOTH_SIDES
    assert AuditEvent.objects.filter(action="trade.deposit.payment_held").count() == 1
    assert ok(buyer.get(deposit_url(contract)))["status"] == "held"


def test_a_declined_card_fails_the_deposit_and_the_buyer_pays_again_on_the_same_intent(contract, buyer, fake_stripe):
    started = ok(buyer.post(deposit_url(contract)), 201)
    intent = started["payment_intent"]
    fake_stripe.set(intent, "requires_payment_method", error="card_declined")

    ok(deliver_event("payment_intent.payment_failed", intent))

    assert Deposit.objects.get().status == "failed"
    assert kinds("deposit_failed") == BUYER_SIDE
    again = ok(buyer.post(deposit_url(contract)), 200)
    assert (again["id"], again["payment_intent"], again["status"]) == (started["id"], intent, "requires_payment")
    assert len(fake_stripe.calls_of("create")) == 1


def test_the_deposit_never_moves_back(paid, fake_stripe):
    fake_stripe.set(paid.provider_intent_id, "processing")  # a stale read, as a late event may bring

    ok(deliver_event("payment_intent.processing", paid.provider_intent_id))

    assert Deposit.objects.get().status == "held"


def test_an_event_about_an_unknown_intent_changes_nothing(contract, fake_stripe):
    assert ok(deliver_event("payment_intent.succeeded", "pi_notours"))["outcome"] == "processed"
    assert fake_stripe.calls == []
    assert Deposit.objects.count() == 0


# --- Refunds ----------------------------------------------------------------------------------------
def test_staff_refund_part_then_the_rest(paid, staff, fake_stripe):
    part = ok(staff.post(refund_url(paid.pk), {"amount_minor": 70480}, format="json"))

    assert (part["status"], part["refunded"]["amount_minor"]) == ("held", 70480)
    [refund] = DepositRefund.objects.all()
    assert (refund.status, refund.amount_minor) == ("succeeded", 70480)
    assert refund.idempotency_key == f"deposit:{paid.pk}:refund:{refund.pk}"
    assert fake_stripe.calls_of("refund")[0]["key"] == refund.idempotency_key

    rest = ok(staff.post(refund_url(paid.pk), {}, format="json"))

    assert (rest["status"], rest["refunded"]["amount_minor"]) == ("refunded", TEN_PERCENT_MINOR)
    assert [r.amount for r in fake_stripe.refunds] == [70480, 200000]
    assert len(kinds("deposit_refunded")) == 2 * len(BOTH_SIDES)


def test_a_refund_above_what_is_held_moves_nothing(paid, staff, fake_stripe):
    body = assert_problem(
        staff.post(refund_url(paid.pk), {"amount_minor": TEN_PERCENT_MINOR + 1}, format="json"),
        409,
        "refund_above_held",
    )

    assert body["refundable"] == {"amount_minor": TEN_PERCENT_MINOR, "currency": "USD"}
    assert fake_stripe.calls_of("refund") == []
    assert Deposit.objects.get().refunded_minor == 0
    assert DepositRefund.objects.count() == 0


def test_a_refund_with_a_bad_amount_is_400(paid, staff):
    assert_problem(staff.post(refund_url(paid.pk), {"amount_minor": 0}, format="json"), 400, "validation_error")


def test_an_unpaid_deposit_cannot_be_refunded(contract, buyer, staff, fake_stripe):
    started = ok(buyer.post(deposit_url(contract)), 201)

    assert_problem(staff.post(refund_url(started["id"]), {}, format="json"), 409, "deposit_not_held")


def test_stripe_down_during_a_refund_keeps_it_pending_and_never_refunds_twice(paid, staff, fake_stripe):
    fake_stripe.down = True

    assert_problem(staff.post(refund_url(paid.pk), {}, format="json"), 503, "payment_provider_unavailable")

    # Stripe may have refunded before the answer was lost: the reservation stays, a retry finds nothing left.
    refund = DepositRefund.objects.get()
    assert refund.status == "pending"
    assert Deposit.objects.get().refunded_minor == paid.amount_minor
    assert_problem(staff.post(refund_url(paid.pk), {}, format="json"), 409, "refund_above_held")

    fake_stripe.down = False
    call_command("reconcile_deposits", stdout=io.StringIO())

    assert Deposit.objects.get().status == "refunded"
    assert len(fake_stripe.refunds) == 1
    assert {call["key"] for call in fake_stripe.calls_of("refund")} == {refund.idempotency_key}


@pytest.mark.parametrize("who", ["buyer", "producer_admin", "reviewer"])
def test_only_staff_refund_and_release(paid, request, who):
    actor = request.getfixturevalue(who)

    assert_problem(actor.post(refund_url(paid.pk), {"amount_minor": 1}, format="json"), 403, "not_staff")
    assert_problem(actor.post(release_url(paid.pk), {"payout_reference": "X"}, format="json"), 403, "not_staff")

    assert Deposit.objects.get().status == "held"


# --- Release ----------------------------------------------------------------------------------------
def test_release_waits_for_the_delivery_then_pays_the_producer_out(paid, contract, trade, staff, producer_admin, buyer):
    body = {"payout_reference": "CCI 002-193-001234567890-12 op. 77812"}
    assert_problem(staff.post(release_url(paid.pk), body, format="json"), 409, "contract_not_delivered")

    deliver_lot(producer_admin, contract, trade.site)
    ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/mark-delivered/"))
    released = ok(staff.post(release_url(paid.pk), body, format="json"))
    again = ok(staff.post(release_url(paid.pk), body, format="json"))

    assert released["status"] == again["status"] == "released"
    assert released["payout_reference"] == body["payout_reference"]
    assert kinds("deposit_released") == PRODUCER_SIDE
    assert AuditEvent.objects.filter(action="trade.deposit.released").count() == 1
    assert_problem(staff.post(refund_url(paid.pk), {}, format="json"), 409, "deposit_not_held")


def test_release_needs_a_payout_reference(paid, staff):
    assert_problem(staff.post(release_url(paid.pk), {"payout_reference": ""}, format="json"), 400, "validation_error")
    assert_problem(staff.post(release_url(paid.pk), {}, format="json"), 400, "validation_error")


# --- Cancelling the contract ------------------------------------------------------------------------
def test_cancelling_the_contract_refunds_a_held_deposit_after_commit(
    paid, contract, buyer, fake_stripe, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ok(buyer.post(f"{CONTRACTS}{contract['id']}/cancel/", {"reason": "Cambio de planes."}, format="json"))

    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.refunded_minor) == ("refunded", TEN_PERCENT_MINOR)
    assert DepositRefund.objects.get().cause == "contract_cancelled"
    assert [r.amount for r in fake_stripe.refunds] == [TEN_PERCENT_MINOR]


def test_a_refund_that_stripe_could_not_take_on_cancel_is_retried_by_reconcile(
    paid, contract, buyer, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.down = True
    with django_capture_on_commit_callbacks(execute=True):
        ok(buyer.post(f"{CONTRACTS}{contract['id']}/cancel/", {"reason": ""}, format="json"))

    refund = DepositRefund.objects.get()
    assert refund.status == "pending"
    assert Deposit.objects.get().refunded_minor == TEN_PERCENT_MINOR  # reserved

    fake_stripe.down = False
    out = io.StringIO()
    call_command("reconcile_deposits", stdout=out)
    call_command("reconcile_deposits", stdout=io.StringIO())  # again: nothing more happens

    assert f"refund {refund.pk}: refunded" in out.getvalue()
    assert Deposit.objects.get().status == "refunded"
    assert len(fake_stripe.refunds) == 1
    assert [call["key"] for call in fake_stripe.calls_of("refund")] == [refund.idempotency_key] * 2


def test_cancelling_before_payment_cancels_the_intent_and_the_deposit(
    contract, buyer, fake_stripe, django_capture_on_commit_callbacks
):
    started = ok(buyer.post(deposit_url(contract)), 201)

    with django_capture_on_commit_callbacks(execute=True):
        ok(buyer.post(f"{CONTRACTS}{contract['id']}/cancel/", {"reason": ""}, format="json"))

    assert Deposit.objects.get().status == "cancelled"
    assert fake_stripe.intents[started["payment_intent"]].status == "canceled"


def test_cancelling_before_the_intent_exists_cancels_the_deposit_at_once(contract, buyer, fake_stripe):
    fake_stripe.down = True
    assert_problem(buyer.post(deposit_url(contract)), 503, "payment_provider_unavailable")

    ok(buyer.post(f"{CONTRACTS}{contract['id']}/cancel/", {"reason": ""}, format="json"))

    assert Deposit.objects.get().status == "cancelled"


# --- Reconciliation ---------------------------------------------------------------------------------
def test_reconcile_applies_what_a_lost_webhook_would_have_said(contract, buyer, fake_stripe):
    started = ok(buyer.post(deposit_url(contract)), 201)
    fake_stripe.set(started["payment_intent"], "succeeded")  # paid; the webhook never came
    out = io.StringIO()

    call_command("reconcile_deposits", stdout=out)
    call_command("reconcile_deposits", stdout=io.StringIO())

    assert f"deposit {started['id']}: requires_payment -> held" in out.getvalue()
    assert Deposit.objects.get().status == "held"
    assert kinds("deposit_paid") == BOTH_SIDES


def test_reconcile_creates_a_missing_intent_with_the_same_key(contract, buyer, fake_stripe):
    fake_stripe.down = True
    assert_problem(buyer.post(deposit_url(contract)), 503, "payment_provider_unavailable")
    fake_stripe.down = False
    out = io.StringIO()

    call_command("reconcile_deposits", stdout=out)

    deposit = Deposit.objects.get()
    assert deposit.provider_intent_id is not None
    assert f"intent {deposit.provider_intent_id} created" in out.getvalue()
    assert [call["key"] for call in fake_stripe.calls_of("create")] == [deposit.idempotency_key] * 2


# --- Against localstripe (no webhooks needed here) --------------------------------------------------
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_stripe_unreachable_then_reconcile_creates_the_intent_at_localstripe(
    contract, buyer, stripe_on_localstripe, settings
):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    response = buyer.post(deposit_url(contract))

    assert_problem(response, 503, "payment_provider_unavailable")
    assert response["Retry-After"]
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.provider_intent_id) == ("requires_payment", None)

    settings.STRIPE_API_BASE = stripe_on_localstripe.url
    call_command("reconcile_deposits", stdout=io.StringIO())

    deposit.refresh_from_db()
    intent = stripe_on_localstripe.request("GET", f"/v1/payment_intents/{deposit.provider_intent_id}")
    assert intent["metadata"] == {"deposit": str(deposit.pk), "contract": contract["id"]}
    assert (intent["amount"], intent["currency"]) == (TEN_PERCENT_MINOR, "usd")
    again = ok(buyer.post(deposit_url(contract)), 200)
    assert again["client_secret"] == intent["client_secret"]


def test_stripe_hanging_answers_a_retryable_503_within_its_timeout_then_reconcile_finishes_it(
    contract, buyer, stripe_on_localstripe, settings
):
    """A Stripe that takes the connection and never answers (a listening socket nobody reads): the request
    gives up at the configured timeout, the deposit waits, and reconcile creates its intent once Stripe is back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{hanging.getsockname()[1]}"
        settings.STRIPE_TIMEOUT_SECONDS = 1
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        started = time.monotonic()
        response = buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1")
        waited = time.monotonic() - started

    assert_problem(response, 503, "payment_provider_unavailable")
    assert int(response["Retry-After"]) >= 1
    assert waited < 1 + 10, "a configured timeout bounds the wait (generous: a loaded machine)"
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.provider_intent_id, deposit.intent_claimed_at) == ("requires_payment", None, None)

    settings.STRIPE_API_BASE = stripe_on_localstripe.url
    call_command("reconcile_deposits", stdout=io.StringIO())
    again = ok(buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="pay-1"), 200)

    deposit.refresh_from_db()
    intent = stripe_on_localstripe.request("GET", f"/v1/payment_intents/{deposit.provider_intent_id}")
    assert (deposit.status, intent["metadata"]["deposit"]) == ("requires_payment", str(deposit.pk))
    assert (again["id"], again["client_secret"]) == (str(deposit.pk), intent["client_secret"])
    assert Deposit.objects.count() == 1


def test_an_idempotent_retry_at_localstripe_gets_the_same_deposit_and_secret(contract, buyer, stripe_on_localstripe):
    first = ok(buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="k-1"), 201)
    replay = ok(buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="k-1"), 201)
    later = ok(buyer.post(deposit_url(contract), HTTP_IDEMPOTENCY_KEY="k-2"), 200)

    assert first == replay
    assert (later["id"], later["client_secret"]) == (first["id"], first["client_secret"])
    assert first["client_secret"].startswith(first["payment_intent"])


# --- Events in every order --------------------------------------------------------------------------
LIFECYCLE = (
    ("payment_intent.created", "requires_payment_method"),
    ("payment_intent.processing", "processing"),
    ("payment_intent.amount_capturable_updated", "requires_capture"),
    ("payment_intent.succeeded", "succeeded"),
)


@pytest.mark.parametrize("stripe_says", ["succeeded", "what the event saw"])
@pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=lambda o: "".join(map(str, o)))
def test_the_events_of_one_payment_in_any_order_end_held_with_one_paid_notification(
    order, stripe_says, contract, buyer, buyer_member, producer_member, fake_stripe
):
    """Stripe re-read at each event says `succeeded` (it is, by the time events arrive), or, harder, what the
    intent was when that event happened (a stale read): either way the deposit only moves forward."""
    started = ok(buyer.post(deposit_url(contract)), 201)
    intent = started["payment_intent"]
    if stripe_says == "succeeded":
        fake_stripe.set(intent, "succeeded")

    for index in order:
        event_type, status_then = LIFECYCLE[index]
        if stripe_says != "succeeded":
            fake_stripe.set(intent, status_then)
        assert ok(deliver_event(event_type, intent, event_id=f"evt_{index}"))["outcome"] == "processed"

    assert Deposit.objects.get().status == "held"
    assert kinds("deposit_paid") == BOTH_SIDES  # one each
    assert AuditEvent.objects.filter(action="trade.deposit.payment_held").count() == 1


def test_deposit_responses_conform_to_the_schema(paid, contract, trade, buyer, staff, producer_admin):
    assert_conforms(ok(buyer.get(deposit_url(contract))), "get", "/api/v1/contracts/{id}/deposit/")
    assert_conforms(ok(buyer.post(deposit_url(contract)), 200), "post", "/api/v1/contracts/{id}/deposit/")
    refunded = ok(staff.post(refund_url(paid.pk), {"amount_minor": 100}, format="json"))
    assert refunded["refunds"][0]["amount"] == {"amount_minor": 100, "currency": "USD"}
    assert_conforms(refunded, "post", "/api/v1/deposits/{id}/refund/")
    deliver_lot(producer_admin, contract, trade.site)
    ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/mark-delivered/"))
    released = ok(staff.post(release_url(paid.pk), {"payout_reference": "BCP 1"}, format="json"))
    assert_conforms(released, "post", "/api/v1/deposits/{id}/release/")
