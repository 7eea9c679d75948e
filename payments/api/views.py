"""The Stripe webhook endpoint."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import documents_problems
from core.permissions import AllowAny
from payments import services
from payments.api.serializers import WebhookReceiptSerializer
from payments.gateway import verify_webhook


class StripeWebhookView(APIView):
    """Events from Stripe, signed with this endpoint's secret. Called by Stripe, not by clients.

    The `Stripe-Signature` header over the exact body is the authentication (checked with a 300-second
    tolerance), so no token is read, no CSRF check applies and no throttle either: Stripe sends bursts from a
    few addresses. A missing, wrong or stale signature is 400 and nothing is stored. A genuine event is
    recorded once by its id and handed to the deposit logic; a replay answers 200 and does nothing; an event
    of a type nothing handles is recorded and answers 200. If handling fails, the answer is 500 so that
    Stripe delivers the event again, and the next delivery handles it.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    parser_classes: list[Any] = []

    @extend_schema(
        operation_id="payments_stripe_webhook",
        summary="Receive a Stripe event",
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WebhookReceiptSerializer},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='`t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the endpoint secret>`.',
            )
        ],
    )
    @documents_problems(500, 503)
    def post(self, request: Request) -> Response:
        event, payload = verify_webhook(payload=request.body, signature=request.headers.get("Stripe-Signature"))
        outcome = services.provider_event_receive(event=event, payload=payload)
        return Response(WebhookReceiptSerializer({"event_id": event.event_id, "outcome": outcome}).data)
