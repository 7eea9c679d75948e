"""What can go wrong at the payment provider, as domain errors the API renders as problem details.

- `PaymentsNotConfigured`, 503 `payments_not_configured`: no Stripe key here, or Stripe refused the key.
- `PaymentProviderUnavailable`, 503 `payment_provider_unavailable`: network error, timeout, Stripe 5xx or
  rate limit; retry later (`Retry-After`).
- `PaymentDeclined`, 402 `payment_declined`: the card was declined; the buyer tries another card.
- `PaymentRequestInvalid`, 409 `payment_request_invalid`: Stripe refused the request (an intent in the
  wrong state, a refund above what is left).
- `WebhookSignatureInvalid`, 400 `webhook_signature_invalid`: missing, wrong or stale `Stripe-Signature`.
- `WebhookPayloadInvalid`, 400 `webhook_payload_invalid`: a signed body that is not a Stripe event.
- `WebhookProcessingFailed`, 500 `webhook_processing_failed`: the event is stored but its handler raised;
  Stripe delivers it again.

A declined card is 402 Payment Required, the status Stripe itself gives it: the request was valid and the
deposit is still there, only this card was refused, so a client shows "try another card" and does not
reload anything. A refusal of the request itself is 409: every parameter the gateway sends comes from our own
stored state (amounts, intent ids), so when Stripe says no (an intent already succeeded or cancelled, a
refund above what is left) our state and Stripe's disagree; Stripe's own message is logged, never shown.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, ServiceUnavailable

DEFAULT_RETRY_AFTER_SECONDS = 5


class PaymentsNotConfigured(ServiceUnavailable):
    code = "payments_not_configured"
    default_detail = _("Payments are not available on this server yet. Try again later.")


class PaymentProviderUnavailable(ServiceUnavailable):
    """Retryable: the request may not have reached Stripe, or Stripe could not answer it."""

    code = "payment_provider_unavailable"
    default_detail = _("The payment provider cannot be reached right now. Try again in a few seconds.")

    def __init__(self, detail: Any = None, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class PaymentDeclined(DomainError):
    status = 402
    code = "payment_declined"
    default_detail = _("The card was declined. Try another card or ask your bank.")

    def __init__(self, detail: Any = None, *, decline_code: str | None = None) -> None:
        super().__init__(detail, extra={"decline_code": decline_code} if decline_code else None)
        self.decline_code = decline_code


class PaymentRequestInvalid(DomainError):
    status = 409
    code = "payment_request_invalid"
    default_detail = _("The payment provider refused the request: the payment is not in a state that allows it.")

    def __init__(self, detail: Any = None, *, provider_code: str | None = None) -> None:
        super().__init__(detail, extra={"provider_code": provider_code} if provider_code else None)
        self.provider_code = provider_code


class WebhookSignatureInvalid(DomainError):
    status = 400
    code = "webhook_signature_invalid"
    default_detail = _("The Stripe-Signature header is missing, wrong or too old.")


class WebhookPayloadInvalid(DomainError):
    status = 400
    code = "webhook_payload_invalid"
    default_detail = _("The body is not a Stripe event.")


class WebhookProcessingFailed(DomainError):
    """The event is stored but its handler failed: a non-2xx answer makes Stripe deliver it again."""

    status = 500
    code = "webhook_processing_failed"
    default_detail = _("The event was recorded but could not be processed yet. Deliver it again later.")
