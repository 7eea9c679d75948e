"""Shared pieces for the apps' API layers."""

from drf_spectacular.utils import OpenApiParameter

from core.idempotency import HEADER as IDEMPOTENCY_HEADER_NAME
from core.idempotency import KEY_MAX_LENGTH, KEY_PATTERN

UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

ORGANIZATION_HEADER = OpenApiParameter(
    "X-Organization",
    {"type": "string", "format": "uuid"},
    OpenApiParameter.HEADER,
    required=False,
    description="Id of the organisation the request acts for; needed when you belong to several.",
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    IDEMPOTENCY_HEADER_NAME,
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "1 to 255 visible ASCII characters (no spaces). Retries with the same key get the first answer; the same "
        "key with another body is 422."
    ),
)
