"""Small, valid files for the demo data and the tests: a PDF with a line of text, and images (optionally
with a GPS position in their EXIF, to show that public photos drop it). Never used to check an upload."""

from __future__ import annotations

import io
from typing import Any

from PIL import ExifTags, Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

from core.uploads import PILLOW_FORMATS


def make_test_pdf(text: str = "Constancia") -> bytes:
    """A real one-page A4 PDF showing `text` in Helvetica (characters outside Windows-1252 become "?")."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", " ").replace("\n", " ")
    contents = ContentStream(None, writer)
    contents.set_data(b"BT /F1 18 Tf 72 770 Td (" + escaped.encode("cp1252", errors="replace") + b") Tj ET")
    page.replace_contents(contents)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def make_test_image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), exif_gps: bool = False) -> bytes:
    """A real image (JPEG, PNG or WEBP) with some detail; `exif_gps` adds EXIF with a GPS position.

    The GPS block (12°35'24"S 70°31'12"W, Huepetuhe) is set as a top-level entry: an EXIF whose only content
    is a sub-IFD reached through `get_ifd()` is empty to `len()`, and Pillow's PNG writer then drops it.
    """
    pillow_format = {"JPG": "JPEG"}.get(fmt.upper(), fmt.upper())
    if pillow_format not in PILLOW_FORMATS.values():
        raise ValueError(f"unsupported test image format: {fmt}")
    width, height = size
    gradient = Image.linear_gradient("L")
    img = Image.merge(
        "RGB",
        (
            gradient.resize((width, height)),
            gradient.rotate(90).resize((width, height)),
            Image.new("L", (width, height), 160),
        ),
    )
    draw = ImageDraw.Draw(img)
    draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(212, 175, 55))
    options: dict[str, Any] = {"quality": 90} if pillow_format in {"JPEG", "WEBP"} else {}
    if exif_gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "Oro Responsable test camera"
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "S",
            ExifTags.GPS.GPSLatitude: (12.0, 35.0, 24.0),
            ExifTags.GPS.GPSLongitudeRef: "W",
            ExifTags.GPS.GPSLongitude: (70.0, 31.0, 12.0),
        }
        options["exif"] = exif
    output = io.BytesIO()
    img.save(output, pillow_format, **options)
    return output.getvalue()
