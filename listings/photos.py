"""Public listing photos: checked like evidence (by content, under a pixel cap), then re-encoded as JPEG
without any metadata (EXIF with GPS position, camera, XMP), oriented as the camera meant, and bounded in size."""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from core.uploads import CheckedFile, FileRejected

MAX_SIDE = 2048
QUALITY = 85


def reencode(checked: CheckedFile) -> tuple[bytes, int, int]:
    if not checked.content_type.startswith("image/"):
        raise FileRejected("unsupported_file_type", _("A listing photo is a JPEG, PNG or WebP image."))
    with Image.open(io.BytesIO(checked.content)) as opened:
        upright = ImageOps.exif_transpose(opened)  # keep the orientation the EXIF said, then drop the EXIF
        pixels: Image.Image = upright.convert("RGB")
        pixels.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        pixels.save(out, format="JPEG", quality=QUALITY, optimize=True)  # no exif=, no icc: nothing carried over
        return out.getvalue(), pixels.width, pixels.height


def store_photo(content: bytes, listing_id: object) -> str:
    return storages["default"].save(f"listings/{listing_id}/{uuid.uuid4().hex}.jpg", ContentFile(content))
