"""Webhook endpoints (docs/webhooks.md): an organisation's admins register, change, disable, enable and delete
them, rotate their secret, read their deliveries with every attempt and replay one; staff too. Plain members get
403, another organisation's endpoint is 404. The event types are public."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import documents_problems
from core.http import uncompressed
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization, AllowAny
from webhooks import selectors, services
from webhooks.api.serializers import (
    EventTypeSerializer,
    RotateSecretSerializer,
    SecretSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointPatchSerializer,
    WebhookEndpointSerializer,
)
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint

ENDPOINT_EXAMPLE = {
    "id": "3f0c9a52-6a51-4f5e-9d1c-2b7e8a4c1d90",
    "organization": "9b1e2c3d-4f5a-4b6c-8d7e-0f1a2b3c4d5e",
    "url": "https://erp.refinery.example/hooks/oro",
    "description": "ERP: contracts and deposits",
    "event_types": ["contract.proposed", "contract.accepted", "deposit.state"],
    "state": "active",
    "disabled_at": None,
    "disabled_reason": "",
    "failing_since": None,
    "created_at": "2026-12-05T15:02:11Z",
    "updated_at": "2026-12-05T15:02:11Z",
}
SECRET_EXAMPLE = "whsec_5f2a0c7e9b1d4e6f8a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e0f"
DELIVERY_EXAMPLE = {
    "id": "0d6c1b7a-2e3f-4a5b-9c8d-7e6f5a4b3c2d",
    "endpoint": ENDPOINT_EXAMPLE["id"],
    "event_id": "7c2e4f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    "event_type": "contract.accepted",
    "payload": {
        "id": "7c2e4f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "type": "contract.accepted",
        "created": "2026-12-05T15:10:42.120000Z",
        "data": {
            "object": "contract",
            "id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
            "state": "signed",
            "listing": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "inquiry": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        },
    },
    "state": "delivered",
    "replay_of": None,
    "created_at": "2026-12-05T15:10:45Z",
    "delivered_at": "2026-12-05T15:12:47Z",
    "attempts": [
        {
            "at": "2026-12-05T15:10:45Z",
            "status_code": 500,
            "error": "",
            "latency_ms": 212,
            "response_excerpt": "Internal Server Error",
        },
        {"at": "2026-12-05T15:12:46Z", "status_code": 200, "error": "", "latency_ms": 95, "response_excerpt": "ok"},
    ],
}


class EndpointPagination(CursorPagination):
    ordering = ("-created_at", "id")  # type: ignore[assignment]  # DRF takes a tuple; the stubs say str


class DeliveryPagination(CursorPagination):
    ordering = ("-created_at", "id")  # type: ignore[assignment]


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = WebhookEndpoint.objects.none()  # for the schema; requests use get_queryset
    serializer_class = WebhookEndpointSerializer
    permission_classes = [ActsForOrganization]
    pagination_class = EndpointPagination
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.endpoints_for(get_actor(self.request))

    @extend_schema(examples=[OpenApiExample("An ERP's endpoint", value=ENDPOINT_EXAMPLE, response_only=True)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Your organisation's webhook endpoints, newest first (its admins; staff: every organisation's)."""
        return super().list(request, *args, **kwargs)

    @extend_schema(examples=[OpenApiExample("An ERP's endpoint", value=ENDPOINT_EXAMPLE, response_only=True)])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One endpoint. Its secret is never shown again after it was created or rotated."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        examples=[
            OpenApiExample(
                "Register",
                value={
                    "url": ENDPOINT_EXAMPLE["url"],
                    "event_types": ENDPOINT_EXAMPLE["event_types"],
                    "description": ENDPOINT_EXAMPLE["description"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Registered, with its secret (shown once)",
                value={**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE},
                response_only=True,
            ),
        ],
    )
    @uncompressed  # the answer carries the signing secret (BREACH, docs/security.md)
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Register an endpoint for your organisation (its admins; audited `webhooks.endpoint.created`). The URL
        must be https:// with a host whose every address is public: a loopback, private, link-local (cloud
        metadata), multicast or reserved address is 400 `webhook_url_private_address`; also
        `webhook_url_not_https`, `webhook_url_invalid`, `webhook_url_unresolvable`. The answer carries the signing
        secret, once. Staff acting for no organisation register none (403 `organization_required`)."""
        services.require_registrar(get_actor(request))
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(actor=get_actor(request), **data.validated_data)
        return Response({**WebhookEndpointSerializer(endpoint).data, "secret": secret}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WebhookEndpointPatchSerializer,
        responses=WebhookEndpointSerializer,
        examples=[OpenApiExample("Disabled by an admin", value={"state": "disabled"}, request_only=True)],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the URL (checked again, same rules), the event types or the description, or stop deliveries
        with `{"state": "disabled"}` (audited `webhooks.endpoint.updated`)."""
        endpoint = self.get_object()
        data = WebhookEndpointPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        disable = values.pop("state", None) is not None
        endpoint = services.endpoint_update(actor=get_actor(request), endpoint=endpoint, disable=disable, **values)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete the endpoint, its secrets and its delivery log (audited `webhooks.endpoint.deleted`)."""
        services.endpoint_delete(actor=get_actor(request), endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=RotateSecretSerializer,
        responses=SecretSerializer,
        examples=[
            OpenApiExample("A day of overlap", value={"overlap_hours": 24}, request_only=True),
            OpenApiExample(
                "The new secret (shown once)",
                value={"secret": SECRET_EXAMPLE, "previous_expire_at": "2026-12-06T15:02:11Z"},
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    @uncompressed  # the answer carries the new signing secret (BREACH, docs/security.md)
    @idempotent
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret (answered once). The previous one keeps signing for `overlap_hours` (0 to 168,
        default 24): meanwhile each delivery carries two `v1=` signatures (audited
        `webhooks.endpoint.secret_rotated`)."""
        endpoint = self.get_object()
        data = RotateSecretSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        secret, ends = services.endpoint_rotate_secret(
            actor=get_actor(request), endpoint=endpoint, overlap_hours=data.validated_data["overlap_hours"]
        )
        return Response(SecretSerializer({"secret": secret, "previous_expire_at": ends}).data)

    @extend_schema(
        request=None,
        responses=WebhookEndpointSerializer,
        examples=[OpenApiExample("Active again", value=ENDPOINT_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Enable a disabled endpoint again, its URL checked again (audited `webhooks.endpoint.enabled`). What it
        missed meanwhile can be replayed delivery by delivery."""
        endpoint = services.endpoint_enable(actor=get_actor(request), endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses=WebhookDeliverySerializer(many=True),
        examples=[OpenApiExample("Accepted at the second attempt", value=DELIVERY_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The endpoint's deliveries, newest first, each with its event's payload and every attempt (when, the
        status code or the error, the latency and the first 500 characters of the answer)."""
        endpoint = self.get_object()
        queryset = selectors.deliveries_of(endpoint)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(viewsets.GenericViewSet):
    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [ActsForOrganization]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        return selectors.deliveries_for(get_actor(self.request))

    @extend_schema(
        request=None,
        responses={201: WebhookDeliverySerializer},
        examples=[
            OpenApiExample(
                "Sent again",
                value={
                    **DELIVERY_EXAMPLE,
                    "state": "pending",
                    "replay_of": DELIVERY_EXAMPLE["id"],
                    "attempts": [],
                    "delivered_at": None,
                },
                response_only=True,
            )
        ],
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    @idempotent
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Deliver the same event (same `Oro-Event-Id`) again to the same endpoint, now (audited
        `webhooks.delivery.replayed`). A disabled endpoint is 409 `webhook_endpoint_disabled`."""
        replay = services.delivery_replay(actor=get_actor(request), delivery=self.get_object())
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_201_CREATED)


class WebhookEventTypesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=EventTypeSerializer(many=True),
        examples=[
            OpenApiExample(
                "The catalogue",
                value=[{"type": "contract.accepted", "description": str(EVENT_TYPES["contract.accepted"])}],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """The webhook event types an endpoint may subscribe to, with what each tells (public)."""
        rows = [{"type": name, "description": str(text)} for name, text in EVENT_TYPES.items()]
        return Response(EventTypeSerializer(rows, many=True).data)
