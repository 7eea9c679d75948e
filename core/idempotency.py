"""`Idempotency-Key` for POSTs that create state: a retry gets the first answer.

The key is claimed by inserting a row (unique per caller) before the view runs, so two concurrent requests
with one key cannot both act: the second sees the claim and answers 409 until the first is done. A key sent
again with another body answers 422. Failed requests (an error response or an exception) release the key,
since they changed nothing; successful answers are stored and replayed until the key expires.

Every operation that creates something takes a key (`tests/core/test_idempotency_coverage.py` fails for one that
does not). The body's fingerprint covers each file of a multipart upload by its field, its name and the SHA-256
of its bytes (read in chunks), so a retry of the same file replays and the same key with another file is 422; an
upload declared larger than the API takes is refused (413) before its body is read, as the upload views do.

A claim still in progress after `IDEMPOTENCY_IN_PROGRESS_LEASE` belongs to a request whose process died
(a worker killed mid-request never releases it; its transaction was rolled back): the next retry takes the
key over and runs the operation. Had the dead request committed just before dying, the retry meets the
operation's own checks (a contract already signed, the contract's active deposit, an e-mail taken). Keep
the lease above the longest a request may run (gunicorn's timeout).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import BadRequest, Conflict, Unprocessable
from core.models import IdempotencyRecord
from core.uploads import READ_CHUNK_SIZE, check_upload_length

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
# Visible ASCII (0x21-0x7E), as the schema documents the header.
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}$"
_VALID_KEY = re.compile(KEY_PATTERN)
# The attribute that marks a view method wrapped by `idempotent` (the schema and the coverage test read it).
MARKER = "idempotent"


def is_idempotent(view_method: object) -> bool:
    return getattr(view_method, MARKER, False) is True


def _file_digest(upload: Any) -> dict[str, Any]:
    """An uploaded file by its name and the SHA-256 of its bytes, read in chunks (`chunks()` starts from the
    beginning); rewound after, so the view reads it whole."""
    digest = hashlib.sha256()
    for chunk in upload.chunks(READ_CHUNK_SIZE):
        digest.update(chunk)
    upload.seek(0)
    return {"name": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def _form_value(value: Any) -> Any:
    return _file_digest(value) if hasattr(value, "chunks") else value


def _canonical_body(request: Request) -> str:
    if request.content_type.startswith("multipart/"):
        # Refused before the body is parsed (or spooled to disk) to be fingerprinted; the upload views check the
        # same limit first thing for a request without a key.
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
    data = request.data
    if isinstance(data, QueryDict):  # a form: each field's every value, each file by its bytes
        return canonical_form(data)
    try:
        return json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(data)


def _fingerprint(request: Request) -> str:
    return fingerprint_of(request.method or "", request.path, _canonical_body(request))


def _scope(request: Request) -> str:
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else "anonymous"


def _claim(scope: str, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    now = timezone.now()
    lease_start = now - settings.IDEMPOTENCY_IN_PROGRESS_LEASE
    abandoned = Q(state=IdempotencyRecord.State.IN_PROGRESS, created_at__lte=lease_start)
    IdempotencyRecord.objects.filter(Q(expires_at__lte=now) | abandoned, scope=scope, key=key).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, expires_at=now + settings.IDEMPOTENCY_KEY_TTL
            )
        return record, True
    except IntegrityError:
        return IdempotencyRecord.objects.get(scope=scope, key=key), False


def prune_expired(*, batch: int = 5000) -> int:
    """Delete the keys past their expiry, a batch at a time (a stored answer may hold a secret: a deposit's client
    secret, a new token; it is kept no longer than the key is honoured). Returns how many were deleted."""
    deleted = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]


def check_key(key: str) -> None:
    if not _VALID_KEY.fullmatch(key):
        raise BadRequest(
            _("Idempotency-Key must be 1 to 255 visible ASCII characters."), code="invalid_idempotency_key"
        )


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def once(*, scope: str, key: str, fingerprint: str, act: Callable[[], tuple[int, Any]]) -> Answer:
    """Run `act` (which answers a status and a JSON body) once for `key` in `scope`: a retry with the same
    fingerprint gets the stored answer (`replayed`), another fingerprint 422 `idempotency_key_reused`, a retry
    while the first still runs 409 `idempotency_key_in_progress`. A refusal (an exception, or a status of 400 or
    more) releases the key: it changed nothing. The API's views use it through `idempotent`; the console's forms
    call it with the key each form carries."""
    if not _VALID_KEY.fullmatch(key):
        raise BadRequest(
            _("Idempotency-Key must be 1 to 255 visible ASCII characters."), code="invalid_idempotency_key"
        )
    record, claimed = _claim(scope, key, fingerprint)
    if not claimed:
        if record.fingerprint != fingerprint:
            raise Unprocessable(
                _("This Idempotency-Key was already used with a different request."),
                code="idempotency_key_reused",
            )
        if record.state != IdempotencyRecord.State.COMPLETED:
            raise Conflict(
                _("A request with this Idempotency-Key is still being processed. Retry shortly."),
                code="idempotency_key_in_progress",
            )
        return Answer(record.response_status or 200, record.response_body, replayed=True)
    try:
        status, body = act()
    except BaseException:
        record.delete()
        raise
    if status >= 400:
        record.delete()
        return Answer(status, body, replayed=False)
    # An update, not save(): if this request outlived its lease and a retry took the key over, the row is gone
    # and there is nothing to store (save() would raise and turn a success into a 500).
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=status,
        response_body=json.loads(json.dumps(body, cls=DjangoJSONEncoder)),
    )
    return Answer(status, body, replayed=False)


def fingerprint_of(method: str, path: str, body: str) -> str:
    return salted_hmac("core.idempotency", f"{method} {path}\n{body}", algorithm="sha256").hexdigest()


def canonical_form(*parts: Any) -> str:
    """A form's fields (QueryDicts: the values, then the files), each value, each file by its name, size and
    bytes' SHA-256, as one string."""
    fields = {key: [_form_value(value) for value in values] for part in parts for key, values in part.lists()}
    return json.dumps(fields, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a view's `post`/`create` (or an action) to honour `Idempotency-Key`."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        check_key(key)  # before the fingerprint, which may read (and refuse) the body
        responses: list[Response] = []

        def act() -> tuple[int, Any]:
            response = view_method(self, request, *args, **kwargs)
            responses.append(response)
            return response.status_code, response.data if response.status_code < 400 else None

        answer = once(scope=_scope(request), key=key, fingerprint=_fingerprint(request), act=act)
        if answer.replayed:
            return Response(answer.body, status=answer.status, headers={"Idempotent-Replayed": "true"})
        return responses[0]

    setattr(wrapper, MARKER, True)  # carried to the outer decorators' wrappers by functools.wraps
    return wrapper
