"""Red flags: record (reviewers), list and read (reviewers and staff all; a producer's members their own),
close (reviewers; four-eyes for high severity), answer (the producer's members), attach a file and download
it; and the public list of categories. Anybody else gets 404 for a flag (buyers see none: see
diligence/selectors.py)."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.conf import settings
from django.core.files.storage import storages
from django.http import HttpResponse, QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import audit_record
from core.actor import get_actor
from core.api import UUID_PATTERN
from core.downloads import attachment_response, read_or_refuse
from core.errors import documents_problems
from core.filters import StrictFilterSet
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.parsers import ExactJSONParser
from core.permissions import ActsForOrganization, AllowAny
from core.uploads import CheckedFile, check_upload_length, check_uploads
from diligence import selectors, services
from diligence.api.serializers import (
    RedFlagAnswerFormSerializer,
    RedFlagAnswerInputSerializer,
    RedFlagAttachmentInputSerializer,
    RedFlagCategorySerializer,
    RedFlagCloseSerializer,
    RedFlagInputSerializer,
    RedFlagSerializer,
)
from diligence.models import FlagStatus, RedFlag, Severity, SubjectKind

FLAG_EXAMPLE = {
    "subject_kind": "site",
    "site": "5f0c6a1e-8a59-4d7e-9d4c-2b1f3e9a7c11",
    "category": "protected_area",
    "severity": "high",
    "facts": "The site's polygon overlaps the Tambopata National Reserve by 3.2 ha (SERNANP boundary, 2024).",
}
CLOSE_EXAMPLE = {"reason": "Field visit on 2026-05-04: the workings are 400 m outside the reserve; SERNANP letter."}
ANSWER_EXAMPLE = {"text": "We stopped working the northern pit in 2025; the SERNANP letter is attached."}


class FlagPagination(CursorPagination):
    ordering = "-opened_at"


class RedFlagFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    category = django_filters.CharFilter(field_name="category_id", help_text="A category code.")
    subject_kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    producer = extend_schema_field(OpenApiTypes.UUID)(
        django_filters.UUIDFilter(
            method="filter_producer", help_text="Flags against this producer, its sites and its lots."
        )
    )

    class Meta:
        model = RedFlag
        fields: list[str] = []

    def filter_producer(self, queryset: Any, name: str, value: Any) -> Any:
        return selectors.against_producer(queryset, value)


def _files(files: list[Any], max_files: int) -> list[CheckedFile]:
    """Through the hardened upload checks (type from the bytes, size, pixels)."""
    return check_uploads(
        files,
        max_files=max_files,
        max_file_bytes=settings.EVIDENCE_MAX_FILE_BYTES,
        max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES,
        max_pixels=settings.IMAGE_MAX_PIXELS,
    )


class RedFlagCategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The red-flag categories (OECD Annex II and the gold supplement), with the text each comes from."""

    queryset = selectors.categories()
    serializer_class = RedFlagCategorySerializer
    permission_classes = [AllowAny]
    pagination_class = None


class RedFlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Red flags: risks the network's reviewers record against a producer, a site, a lot or a buyer."""

    queryset = RedFlag.objects.none()
    serializer_class = RedFlagSerializer
    permission_classes = [ActsForOrganization]
    filter_backends = [DjangoFilterBackend]
    filterset_class = RedFlagFilter
    pagination_class = FlagPagination
    lookup_value_regex = UUID_PATTERN

    @property
    def throttle_scope(self) -> str | None:  # type: ignore[override]
        return "uploads" if getattr(self, "action", None) in ("attachments", "answers") else None

    def get_parsers(self) -> list[Any]:
        # Attachments are multipart; answers JSON or multipart (with files); the rest JSON. The parsers are
        # chosen before `action` is known, so the path decides.
        action_name = getattr(self, "action", None)
        path = self.request.path if self.request is not None else ""
        if action_name == "attachments" or (action_name is None and path.endswith("/attachments/")):
            return [MultiPartParser()]
        if action_name == "answers" or (action_name is None and path.endswith("/answers/")):
            return [ExactJSONParser(), MultiPartParser()]
        return super().get_parsers()

    def get_serializer_context(self) -> dict[str, Any]:
        actor = get_actor(self.request)
        return {**super().get_serializer_context(), "network": selectors.sees_everything(actor)}

    def get_queryset(self) -> Any:
        return selectors.flags_for(actor=get_actor(self.request))

    def get_object(self) -> RedFlag:
        return selectors.flag_get(actor=get_actor(self.request), flag_id=self.kwargs["pk"])

    def _detail(self, flag: RedFlag, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.flag_get(actor=get_actor(self.request), flag_id=flag.pk)
        return Response(RedFlagSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        request=RedFlagInputSerializer,
        responses={201: RedFlagSerializer},
        examples=[OpenApiExample("A site inside a reserve", value=FLAG_EXAMPLE, request_only=True)],
    )
    @documents_problems(409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        """Record a red flag (a reviewer) against exactly one subject: `producer`, `site`, `lot` or `buyer`,
        as `subject_kind` says. A site or lot that is not the named producer's: 400 `subject_not_of_producer`;
        a subject that does not exist: 400 naming the field. An open high-severity flag hides at once the
        offers it concerns (the producer's, the site's, or the spot offers of the lot). The producer's admins
        are notified (without the reviewer's name); a buyer is not told."""
        actor = get_actor(request)
        services.require_reviewer(actor)
        data = RedFlagInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_open(actor=actor, **data.validated_data)
        return self._detail(flag, status.HTTP_201_CREATED)

    @extend_schema(
        request=RedFlagCloseSerializer,
        responses={200: RedFlagSerializer},
        examples=[OpenApiExample("Closed after a field visit", value=CLOSE_EXAMPLE, request_only=True)],
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close with a reason (a reviewer). A high-severity flag needs two reviewers: the first close is a
        proposal (`close_proposed`, the flag stays open and keeps suspending), a different reviewer's close
        confirms it; the same reviewer again is 409 `second_reviewer_required`. Closing a closed flag changes
        nothing."""
        actor = get_actor(request)
        flag = self.get_object()
        services.require_reviewer(actor)
        data = RedFlagCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_close(actor=actor, flag=flag, reason=data.validated_data["reason"])
        return self._detail(flag)

    @extend_schema(
        request={"application/json": RedFlagAnswerInputSerializer, "multipart/form-data": RedFlagAnswerFormSerializer},
        responses={201: RedFlagSerializer},
        examples=[OpenApiExample("The producer's answer", value=ANSWER_EXAMPLE, request_only=True)],
    )
    @documents_problems(409, 422)
    @action(detail=True, methods=["post"])
    @idempotent
    def answers(self, request: Request, pk: str) -> Response:
        """Answer the flag (the producer's members), as JSON or as a form with files (`file`, up to 5). The
        network's reviewers are notified. A closed flag: 409 `red_flag_closed`."""
        actor = get_actor(request)
        flag = self.get_object()
        services.require_flag_member(actor, flag)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        payload: Any = request.data
        form = isinstance(payload, QueryDict)
        if isinstance(payload, QueryDict):
            payload = {key: value for key, value in payload.items() if key != "file"}
        data = (RedFlagAnswerFormSerializer if form else RedFlagAnswerInputSerializer)(data=payload)
        data.is_valid(raise_exception=True)
        uploads = request.FILES.getlist("file") if form else []
        checked = _files(uploads, settings.EVIDENCE_MAX_FILES) if uploads else []
        services.answer_add(actor=actor, flag=flag, text=data.validated_data["text"], files=checked)
        return self._detail(flag, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": RedFlagAttachmentInputSerializer}, responses={201: RedFlagSerializer}
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    @idempotent
    def attachments(self, request: Request, pk: str) -> Response:
        """Attach a file (a PDF or an image): the reviewers, to the facts; the producer's members, to their
        side. A closed flag: 409 `red_flag_closed`."""
        actor = get_actor(request)
        flag = self.get_object()
        services.require_attacher(actor, flag)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        form = cast(QueryDict, request.data)
        fields = {key: value for key, value in form.items() if key != "file"}
        data = RedFlagAttachmentInputSerializer(data={**fields, "file": request.FILES.get("file")})
        data.is_valid(raise_exception=True)
        [checked] = _files(request.FILES.getlist("file"), 1)
        services.attachment_add(actor=actor, flag=flag, file=checked)
        return self._detail(flag, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: OpenApiResponse(description="The file, byte-exact, as an attachment.")},
        operation_id="red_flags_attachments_download",
    )
    @documents_problems(500)
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<position>[1-9][0-9]{0,2})")
    def attachment_file(self, request: Request, pk: str, position: str) -> HttpResponse:
        """Download an attachment (whoever reads the flag). Its SHA-256 is checked again: a file altered in
        storage is never served."""
        actor = get_actor(request)
        attachment = selectors.attachment_get(actor=actor, flag_id=pk, position=int(position))
        flag = attachment.flag
        content = read_or_refuse(
            storages["evidence"],
            str(attachment.file.name),
            attachment.sha256,
            what=f"Red flag attachment {pk}/{position}",
            on_failure=lambda: audit_record(
                action="diligence.attachment.integrity_failed",
                actor=actor,
                subject_organization=flag.organization if flag.subject_kind != "buyer" else None,
                target=flag,
                data={"position": attachment.position, "sha256": attachment.sha256},
            ),
        )
        return attachment_response(content, attachment.content_type, attachment.original_name)
