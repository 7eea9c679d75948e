"""Deliveries over real TLS (docs/webhooks.md, "Addresses"): a loopback HTTPS receiver whose certificate a test
certificate authority (trustme) issued, trusted through OpenSSL's `SSL_CERT_FILE`, the way an operator would add
a private authority. The connection goes to the address checked at delivery while the certificate is checked
against the URL's host name: a certificate for another name, or from an authority nobody trusts, is a failed
attempt, logged, and nothing reaches the receiver's handler."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme

from tests.webhooks.receiver import documented_verify, receiver
from tests.webhooks.test_webhooks import contract_between, dispatch, register, resolving_to, sign
from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db

HOST = "hooks.refinery.test"  # what the URL says; the tests resolve it to 127.0.0.1
verify_signature = documented_verify()


@pytest.fixture
def https_only(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production's scheme rule (https only); the one exception is the address: the receiver is on loopback, and
    HOST resolves to it."""
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    resolving_to(monkeypatch, "127.0.0.1")


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test authority is the one the delivering process trusts (OpenSSL reads SSL_CERT_FILE when a context
    loads its default certificates, which urllib3 does for every connection here)."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def server_context(authority: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return context


def attempted(capture: Any, producer_admin: Any, buyer: Any, url: str) -> WebhookDelivery:
    register(buyer, url, ["contract.accepted"])
    sign(contract_between(producer_admin, buyer))
    assert dispatch(capture).deliveries == 1
    return WebhookDelivery.objects.get()


def test_a_delivery_over_tls_to_a_certificate_for_the_urls_name_is_signed_and_delivered(
    https_only: None,
    trusted: None,
    authority: trustme.CA,
    producer_admin: Any,
    buyer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with receiver(tls=server_context(authority, HOST), host=HOST) as hooks:
        assert hooks.url.startswith(f"https://{HOST}:")
        secret = register(buyer, hooks.url, ["contract.accepted"])["secret"]
        sign(contract_between(producer_admin, buyer))

        assert dispatch(django_capture_on_commit_callbacks).deliveries == 1

        [request] = hooks.requests
        assert verify_signature(secret, request.body, request.headers["Oro-Signature"])
        assert request.headers["Host"] == urlsplit(hooks.url).netloc
        assert json.loads(request.body)["type"] == "contract.accepted"
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.status_code, attempt.error) == (200, "")


def test_a_certificate_for_another_name_is_a_failed_attempt_and_nothing_is_sent(
    https_only: None,
    trusted: None,
    authority: trustme.CA,
    producer_admin: Any,
    buyer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Issued by the trusted authority, for the address the connection goes to and another name, not for the URL's
    # name: the certificate is checked against the name, never against the address.
    with receiver(tls=server_context(authority, "hooks.elsewhere.test", "127.0.0.1"), host=HOST) as hooks:
        delivery = attempted(django_capture_on_commit_callbacks, producer_admin, buyer, hooks.url)
        assert hooks.requests == []
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING  # the job tries again later
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error.startswith("SSLError:"), attempt.error
    assert f"hostname '{HOST}' doesn't match" in attempt.error, attempt.error


def test_a_certificate_from_an_authority_nobody_trusts_is_a_failed_attempt(
    https_only: None,
    authority: trustme.CA,
    producer_admin: Any,
    buyer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # No `trusted`: the process trusts only the system's authorities, and the receiver's is not one of them.
    with receiver(tls=server_context(authority, HOST), host=HOST) as hooks:
        delivery = attempted(django_capture_on_commit_callbacks, producer_admin, buyer, hooks.url)
        assert hooks.requests == []
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error or "certificate verify failed" in attempt.error, attempt.error
