"""The due-diligence pack: a buyer's members ask a producer for it, the producer's admins grant, decline or
revoke, and the buyer reads it (JSON or PDF) and downloads its files through short-lived signed links. Without
a consent in force the pack, like the request, answers 404: the producer is not that buyer's to read. Every
read of the pack and every file download is audited (docs/diligence.md, "Due-diligence pack")."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.downloads import attachment_response
from core.errors import documents_problems
from core.filters import StrictFilterSet
from core.http import carries_secret
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization
from diligence import consent as consents
from diligence import pack, reads
from diligence.api.serializers import (
    PackConsentSerializer,
    PackDeclineSerializer,
    PackRevokeSerializer,
    PackSerializer,
)
from diligence.models import ConsentStatus, PackConsent

DECLINE_EXAMPLE = {"reason": "We share our documents only with buyers under a signed contract."}
REVOKE_EXAMPLE = {"reason": "The negotiation ended."}
CONSENT_EXAMPLE = {
    "id": "0b7c9d8e-2f4a-4c1e-9a3b-5d6e7f809a1b",
    "buyer": "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
    "buyer_name": "Refinadora Andina S.A.C.",
    "producer": "5f0c6a1e-8a59-4d7e-9d4c-2b1f3e9a7c11",
    "producer_name": "Cooperativa Minera Oro Verde",
    "status": "requested",
    "basis_kind": "inquiry",
    "basis_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "requested_by": "9e8d7c6b-5a49-4382-9716-05f4e3d2c1b0",
    "requested_by_name": "Ana Torres",
    "requested_at": "2026-05-04T15:20:00Z",
    "decided_by": None,
    "decided_by_name": None,
    "decided_at": None,
    "reason": "",
    "pack": "/api/v1/producers/5f0c6a1e-8a59-4d7e-9d4c-2b1f3e9a7c11/pack/",
}


class ConsentPagination(CursorPagination):
    ordering = "-requested_at"


class PackConsentFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ConsentStatus.choices)

    class Meta:
        model = PackConsent
        fields: list[str] = []


class PackRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Requests for producers' due-diligence packs: a buyer's members read their organisation's, a producer's
    members those addressed to it, reviewers and staff all of them."""

    queryset = PackConsent.objects.none()
    serializer_class = PackConsentSerializer
    permission_classes = [ActsForOrganization]
    filter_backends = [DjangoFilterBackend]
    filterset_class = PackConsentFilter
    pagination_class = ConsentPagination
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        return consents.consents_for(actor=get_actor(self.request))

    def get_object(self) -> PackConsent:
        return consents.consent_get(actor=get_actor(self.request), consent_id=self.kwargs["pk"])

    @extend_schema(request=None, responses={200: PackConsentSerializer})
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def grant(self, request: Request, pk: str) -> Response:
        """Grant the buyer access to the pack (the producer's admins). Granting again changes nothing; a
        declined or revoked request cannot be granted (409 `pack_consent_state`: the buyer asks again), nor one
        whose basis has closed (409 `pack_basis_closed`). The buyer is notified."""
        consent = consents.pack_grant(actor=get_actor(request), consent=self.get_object())
        return Response(PackConsentSerializer(consent).data)

    @extend_schema(
        request=PackDeclineSerializer,
        responses={200: PackConsentSerializer},
        examples=[OpenApiExample("Declined with a reason", value=DECLINE_EXAMPLE, request_only=True)],
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Decline a pending request with a reason the buyer reads (the producer's admins). A granted one is
        revoked instead (409 `pack_consent_state`)."""
        actor, consent = get_actor(request), self.get_object()
        consents.require_producer_admin(actor, consent)
        data = PackDeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = consents.pack_decline(actor=actor, consent=consent, reason=data.validated_data["reason"].strip())
        return Response(PackConsentSerializer(consent).data)

    @extend_schema(
        request=PackRevokeSerializer,
        responses={200: PackConsentSerializer},
        examples=[OpenApiExample("Revoked", value=REVOKE_EXAMPLE, request_only=True)],
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        """Withdraw a granted consent (the producer's admins), with an optional reason: from now on the pack
        and its links answer 404 to the buyer. Only a granted consent is revoked (409 `pack_consent_state`)."""
        actor, consent = get_actor(request), self.get_object()
        consents.require_producer_admin(actor, consent)
        data = PackRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "").strip()
        consent = consents.pack_revoke(actor=actor, consent=consent, reason=reason)
        return Response(PackConsentSerializer(consent).data)


class ProducerPackRequestView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=None,
        responses={
            201: PackConsentSerializer,
            200: OpenApiResponse(PackConsentSerializer, description="A request already pending or granted."),
        },
        examples=[OpenApiExample("Requested", value=CONSENT_EXAMPLE, response_only=True, status_codes=["201"])],
        operation_id="producers_pack_requests_create",
    )
    @idempotent
    def post(self, request: Request, producer_pk: str) -> Response:
        """Ask the producer for its due-diligence pack (a buyer's members). Only a buyer with an open inquiry or
        a contract with the producer may ask: otherwise 404. Asking again while a request is pending or granted
        returns it (200) and records nothing; after a decline or a revoke, a new request is made. The
        producer's admins are notified."""
        consent, created = consents.pack_request(actor=get_actor(request), producer_id=producer_pk)
        return Response(
            PackConsentSerializer(consent).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ProducerPackView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(responses=PackSerializer, operation_id="producers_pack_retrieve")
    def get(self, request: Request, producer_pk: str) -> Response:
        """The producer's due-diligence pack (a buyer's members, with the producer's consent in force): legal
        identity, owners and PEPs, the latest sanctions screening, the approved evidence valid today behind its
        sites with each file's SHA-256 and a signed link, the sites exactly, the lots listed or under contract
        with the buyer with their assays and custody, the mass balance of their sites and months, the red flags
        open and closed with their answers, the policy in force, and the SHA-256 of the content. Without
        consent, after a decline or a revoke, or once the buyer has no open inquiry or contract with the
        producer: 404. Every read is audited with its digest."""
        _consent, _content, body = reads.pack_read(get_actor(request), producer_pk, "json")
        return carries_secret(Response(body))  # the signed file links are not compressed (docs/security.md)


class ProducerPackPdfView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses={200: OpenApiResponse(description="The pack as a PDF (application/pdf), as an attachment.")},
        operation_id="producers_pack_pdf_retrieve",
    )
    def get(self, request: Request, producer_pk: str) -> HttpResponse:
        """The same pack as a PDF, with the same SHA-256 of the content printed on it. Audited as a read."""
        _consent, content, body = reads.pack_read(get_actor(request), producer_pk, "pdf")
        document = pack.render_pdf(content, body["sha256"], body["generated_at"])
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"pack-{content['producer']['ruc']}-{content['as_of']}.pdf"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class PackFileView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses={200: OpenApiResponse(description="The file, byte-exact, as an attachment.")},
        operation_id="pack_files_retrieve",
    )
    @documents_problems(500)
    def get(self, request: Request, token: str) -> HttpResponse:
        """Download a file of the pack through the signed link the pack gave (the buyer's members). A link
        that is altered or older than its lifetime, a consent revoked or lapsed since, or a file whose item is
        no longer approved and valid: 404. Its SHA-256 is checked again before it is served; the download is
        audited."""
        file, content = reads.pack_file_read(get_actor(request), token)
        return attachment_response(content, file.content_type, file.original_name)
