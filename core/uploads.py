"""Checking, storing and re-reading uploaded files: evidence (compliance) and listing photos (listings).

Uploads are PDF, JPEG, PNG or WebP, decided by their bytes (magic numbers, then a real decode), never by
their name or declared content type. Evidence is kept byte-exact: the bytes stored are the bytes received,
and their SHA-256 is recorded so a later read can prove nothing changed.

Images are decoded under a pixel cap checked from the header before any pixel is decoded; truncated or
corrupt files are refused (Pillow's `LOAD_TRUNCATED_IMAGES` must stay off). No global Pillow setting is
changed here.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from core.errors import DomainError, PayloadTooLarge

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
ALLOWED_TYPES: tuple[str, ...] = (PDF, JPEG, PNG, WEBP)

EXTENSIONS: dict[str, str] = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp"}
# The one Pillow plugin each image type is opened with. A JPEG carrying a multi-picture index (many phone
# cameras write one) is reported by Pillow's JPEG plugin as "MPO": it is still a JPEG file.
PILLOW_FORMATS: dict[str, str] = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
PILLOW_DETECTED: dict[str, frozenset[str]] = {
    JPEG: frozenset({"JPEG", "MPO"}),
    PNG: frozenset({"PNG"}),
    WEBP: frozenset({"WEBP"}),
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_NAME_LENGTH = 120
DEFAULT_NAME = "file"
READ_CHUNK_SIZE = 64 * 1024
# A PDF that also reads as a web page in its first KiB is a polyglot: refused.
POLYGLOT_WINDOW = 1024
POLYGLOT_MARKERS = re.compile(rb"<html|<script|<!doctype\s+html|<svg", re.IGNORECASE)

StrOrPromise = str | Promise


def _interpolate(template: StrOrPromise, params: dict[str, Any]) -> str:
    return str(template) % params


# Translated when rendered (in the language of the response), not when raised.
_lazy_interpolate = lazy(_interpolate, str)


class FileRejected(DomainError):
    """An upload refused with a stable `code`: 400, or 413 for the size limits.

    A `DomainError`, so the API's exception handler renders it as problem details as it is. `index` is the
    file's position (0-based) in a multi-file upload when `check_uploads` raised it, else None.
    """

    def __init__(self, code: str, message: StrOrPromise, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.code = code
        self.message = message
        self.status = status
        self.index: int | None = None


class FileIntegrityError(Exception):
    """A stored evidence file is missing or no longer has the SHA-256 recorded when it was received."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Stored file {name!r} is missing or does not match its recorded SHA-256")


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    sha256: str
    size: int
    content_type: str
    original_name: str
    extension: str

    def __repr__(self) -> str:  # never dump the bytes into a log or a traceback
        return (
            f"CheckedFile(original_name={self.original_name!r}, content_type={self.content_type!r}, "
            f"size={self.size}, sha256={self.sha256!r})"
        )


def sanitize_name(name: object) -> str:
    """A display name: basename only, no control or format characters, at most 120 characters, never empty."""
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = re.split(r"[/\\]", text)[-1]
    text = text.strip().lstrip(".").strip()
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, suffix = text.rpartition(".")
        if dot and stem and 0 < len(suffix) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip() + "." + suffix
        else:
            text = text[:MAX_NAME_LENGTH].rstrip()
    return text or DEFAULT_NAME


def _too_large(name: str, max_bytes: int) -> FileRejected:
    message = _lazy_interpolate(
        _("“%(name)s” is larger than the limit of %(limit)s bytes."), {"name": name, "limit": max_bytes}
    )
    return FileRejected("file_too_large", message, status=413)


def _iter_chunks(uploaded: object) -> Iterator[bytes]:
    chunks = getattr(uploaded, "chunks", None)
    if callable(chunks):
        for chunk in chunks(READ_CHUNK_SIZE):
            yield bytes(chunk)
        return
    read = getattr(uploaded, "read", None)
    if not callable(read):
        raise TypeError("an upload needs .chunks() or .read()")
    seek = getattr(uploaded, "seek", None)
    if callable(seek):
        seek(0)
    while chunk := read(READ_CHUNK_SIZE):
        yield bytes(chunk)


def _read_limited(uploaded: object, name: str, max_bytes: int) -> bytes:
    declared = getattr(uploaded, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large(name, max_bytes)
    received = bytearray()
    for chunk in _iter_chunks(uploaded):
        received += chunk
        if len(received) > max_bytes:
            raise _too_large(name, max_bytes)
    return bytes(received)


def sniff(content: bytes) -> str | None:
    """The allowed type the leading bytes announce, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(PNG_SIGNATURE):
        return PNG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    return None


def _unsupported(name: str) -> FileRejected:
    message = _lazy_interpolate(
        _("“%(name)s” is not a PDF, JPEG, PNG or WebP file."),
        {"name": name},
    )
    return FileRejected("unsupported_file_type", message)


def _corrupt(name: str) -> FileRejected:
    return FileRejected(
        "corrupt_file", _lazy_interpolate(_("“%(name)s” is damaged or incomplete and cannot be read."), {"name": name})
    )


def _check_pdf(content: bytes, name: str) -> None:
    if POLYGLOT_MARKERS.search(content[:POLYGLOT_WINDOW]):
        raise _unsupported(name)
    try:
        # strict=False tolerates the small defects of real-world scanners; it still needs a page tree
        # (pypdf 7 walks the whole tree for len(): a cycle raises, a lying /Count is not believed).
        reader = PdfReader(io.BytesIO(content), strict=False)
        pages = len(reader.pages)
        if pages:
            reader.pages[0].mediabox  # noqa: B018 -- the first page must resolve to a page object
        encrypted = False
    except (FileNotDecryptedError, DependencyError):  # a user password, or AES, which needs a crypto library
        pages, encrypted = 0, True
    except Exception as exc:  # pypdf raises many types on malformed input: all mean "cannot be read"
        raise _corrupt(name) from exc
    if encrypted:
        message = _lazy_interpolate(
            _("“%(name)s” is protected by a password. Upload a copy without a password."), {"name": name}
        )
        raise FileRejected("encrypted_file", message)
    if pages < 1:
        raise _corrupt(name)


def _image_too_large(name: str, max_pixels: int) -> FileRejected:
    message = _lazy_interpolate(
        _("“%(name)s” has more than %(limit)s pixels."),
        {"name": name, "limit": max_pixels},
    )
    return FileRejected("image_too_large", message)


def _check_image(content: bytes, content_type: str, name: str, max_pixels: int) -> None:
    try:
        with Image.open(io.BytesIO(content), formats=[PILLOW_FORMATS[content_type]]) as img:
            if img.format not in PILLOW_DETECTED[content_type]:
                raise _corrupt(name)
            width, height = img.size
            frames = int(getattr(img, "n_frames", 1))
            if width < 1 or height < 1 or frames < 1:
                raise _corrupt(name)
            # The cap counts every pixel that would be decoded, across all frames, before decoding any.
            if width * height * frames > max_pixels:
                raise _image_too_large(name, max_pixels)
            for frame in range(frames):
                if frame:
                    img.seek(frame)
                img.load()
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own global limit, when it is lower than ours (the warning is raised only where
        # warnings are errors, as in the tests; elsewhere our own check above refuses the image).
        raise _image_too_large(name, max_pixels) from exc
    except Exception as exc:  # truncated data, bad chunks, decoder errors: Pillow raises many types
        raise _corrupt(name) from exc


def check_upload(uploaded: object, *, max_bytes: int, max_pixels: int) -> CheckedFile:
    """Read `uploaded` (a Django UploadedFile or anything with .name, .size, .chunks() or .read()) and check it.

    Raises FileRejected; returns the bytes exactly as received with their hash and sniffed type.
    """
    name = sanitize_name(getattr(uploaded, "name", None))
    content = _read_limited(uploaded, name, max_bytes)
    if not content:
        raise FileRejected("empty_file", _lazy_interpolate(_("“%(name)s” is empty."), {"name": name}))
    content_type = sniff(content)
    if content_type is None:
        raise _unsupported(name)
    if content_type == PDF:
        _check_pdf(content, name)
    else:
        _check_image(content, content_type, name, max_pixels)
    return CheckedFile(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type=content_type,
        original_name=name,
        extension=EXTENSIONS[content_type],
    )


def check_uploads(
    files: Sequence[object],
    *,
    max_files: int,
    max_file_bytes: int,
    max_request_bytes: int,
    max_pixels: int,
) -> list[CheckedFile]:
    """Check a multi-file upload: count and total size first, then each file. Raises FileRejected."""
    if not files:
        raise FileRejected("no_file", _("No file was sent."))
    if len(files) > max_files:
        message = _lazy_interpolate(_("At most %(limit)s files can be sent at once."), {"limit": max_files})
        raise FileRejected("too_many_files", message)
    request_too_large = FileRejected(
        "request_too_large",
        _lazy_interpolate(_("The files sent together exceed %(limit)s bytes."), {"limit": max_request_bytes}),
        status=413,
    )
    declared = sum(size for upload in files if isinstance(size := getattr(upload, "size", None), int))
    if declared > max_request_bytes:
        raise request_too_large
    checked: list[CheckedFile] = []
    total = 0
    for index, upload in enumerate(files):
        try:
            one = check_upload(upload, max_bytes=max_file_bytes, max_pixels=max_pixels)
        except FileRejected as exc:
            exc.index = index
            raise
        total += one.size
        if total > max_request_bytes:  # the sizes declared were wrong or missing
            raise request_too_large
        checked.append(one)
    return checked


# Form fields and part headers around the files of a multipart upload.
MULTIPART_OVERHEAD = 64 * 1024


def check_upload_length(content_length: object, *, max_request_bytes: int) -> None:
    """Refuse an upload whose declared length is over the limit (413) before a byte of it is read, so a huge
    body is never parsed or spooled to disk. Raises PayloadTooLarge."""
    try:
        length = int(str(content_length or 0))
    except ValueError:
        return  # the server refuses a malformed Content-Length; the per-file checks still hold
    if length > max_request_bytes + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            _("The upload is larger than this API accepts."),
            code="request_too_large",
            extra={"limit": max_request_bytes},
        )


def store(checked: CheckedFile, *, storage: Storage, prefix: str) -> str:
    """Save the exact bytes under a random name (never the uploader's); return the name the storage used."""
    folder = prefix.strip("/")
    name = f"{folder}/{uuid.uuid4().hex}{checked.extension}" if folder else f"{uuid.uuid4().hex}{checked.extension}"
    return storage.save(name, ContentFile(checked.content))


def read_verified(storage: Storage, name: str, expected_sha256: str) -> bytes:
    """The stored bytes, after checking they still hash to `expected_sha256`. Raises FileIntegrityError."""
    try:
        with storage.open(name, "rb") as stored:
            content = stored.read()
    except OSError as exc:  # FileNotFoundError and the like
        raise FileIntegrityError(name) from exc
    if not isinstance(content, bytes):
        raise FileIntegrityError(name)
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), expected_sha256.strip().lower()):
        raise FileIntegrityError(name)
    return content


# --- Photos from phones in HEIC ------------------------------------------------------------------------------
# The brands of the ISO base media file types HEIF/HEIC photos are written in (iPhones' default).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
HEIC_JPEG_QUALITY = 90


def is_heif(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def heif_as_jpeg(uploaded: Any, *, max_bytes: int, max_pixels: int) -> Any:
    """A HEIF/HEIC photo as a JPEG (the console's phone uploads: browsers and reviewers cannot show HEIC); any
    other file as it came. Decoded with libheif (pillow-heif) under the same size and pixel caps as every image;
    the JPEG carries no metadata. Refused as damaged when it cannot be decoded."""
    name = sanitize_name(getattr(uploaded, "name", None))
    content = _read_limited(uploaded, name, max_bytes)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    if not is_heif(content[:16]):
        return uploaded
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(io.BytesIO(content), convert_hdr_to_8bit=True)
        width, height = heif.size
        if width * height > max_pixels:
            raise _image_too_large(name, max_pixels)
        picture = heif.to_pillow().convert("RGB")
    except FileRejected:
        raise
    except Exception as exc:  # libheif's errors on malformed input
        raise _corrupt(name) from exc
    converted = io.BytesIO()
    picture.save(converted, format="JPEG", quality=HEIC_JPEG_QUALITY)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return ContentFile(converted.getvalue(), name=f"{stem}.jpg")
