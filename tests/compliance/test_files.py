"""Uploaded evidence: accepted by its bytes (never its name), refused with a stable code, stored byte-exact."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pypdf
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils.functional import Promise
from PIL import ExifTags, Image, ImageFile

from core.uploads import (
    ALLOWED_TYPES,
    CheckedFile,
    FileIntegrityError,
    FileRejected,
    check_upload,
    check_uploads,
    read_verified,
    sanitize_name,
    store,
)
from marketplace.demo_files import make_test_image, make_test_pdf

MAX_BYTES = 1_000_000
MAX_PIXELS = 10_000_000
LIMITS = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS}
MANY_LIMITS = {"max_files": 3, "max_file_bytes": MAX_BYTES, "max_request_bytes": 2_000_000, "max_pixels": MAX_PIXELS}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(uploaded: object, **limits: int) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        check_upload(uploaded, **{**LIMITS, **limits})
    return caught.value


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def single_colour_png(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of one colour: rows of zeros compress to almost nothing."""
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


# --- accepted ---------------------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_byte_exact_with_its_sha256():
    content = make_test_pdf("Constancia de origen")

    checked = check_upload(upload("constancia.pdf", content, "application/pdf"), **LIMITS)

    assert checked == CheckedFile(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type="application/pdf",
        original_name="constancia.pdf",
        extension=".pdf",
    )


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"), ("WEBP", "image/webp", ".webp")],
)
def test_real_images_are_accepted_with_their_sniffed_type(fmt, content_type, extension):
    content = make_test_image(fmt, size=(320, 240))

    checked = check_upload(upload(f"foto{extension}", content), **LIMITS)

    assert checked.content == content
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)
    assert checked.content_type == content_type
    assert checked.extension == extension
    assert checked.content_type in ALLOWED_TYPES


def test_the_type_comes_from_the_bytes_not_the_name_nor_the_declared_type():
    png = make_test_image("PNG")

    checked = check_upload(upload("x.pdf", png, content_type="application/pdf"), **LIMITS)

    assert checked.content_type == "image/png"
    assert checked.extension == ".png"
    assert checked.original_name == "x.pdf"  # kept for display only


def test_a_pdf_named_and_declared_as_an_image_is_a_pdf():
    checked = check_upload(upload("foto.jpg", make_test_pdf(), content_type="image/jpeg"), **LIMITS)

    assert checked.content_type == "application/pdf"
    assert checked.extension == ".pdf"


def test_a_pdf_encrypted_without_a_user_password_is_accepted():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_test_pdf()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)

    checked = check_upload(upload("protegido.pdf", output.getvalue()), **LIMITS)

    assert checked.content_type == "application/pdf"


def test_a_multi_picture_jpeg_from_a_phone_camera_is_a_jpeg():
    """Pillow's JPEG plugin reports a JPEG with a multi-picture index as "MPO": still image/jpeg."""
    first = Image.open(io.BytesIO(make_test_image("JPEG", size=(120, 90))))
    output = io.BytesIO()
    first.save(output, "MPO", save_all=True, append_images=[Image.new("RGB", (60, 45), "white")])

    checked = check_upload(upload("IMG_0001.JPG", output.getvalue()), **LIMITS)

    assert checked.content_type == "image/jpeg"
    assert checked.content == output.getvalue()


def test_a_temporary_uploaded_file_spilled_to_disk_is_read_fully():
    content = make_test_image("JPEG", size=(400, 300))
    uploaded = TemporaryUploadedFile("grande.jpg", "image/jpeg", len(content), None)
    uploaded.write(content)
    uploaded.seek(0)
    try:
        checked = check_upload(uploaded, **LIMITS)
    finally:
        uploaded.close()

    assert checked.content == content
    assert checked.content_type == "image/jpeg"


def test_any_readable_object_with_a_name_can_be_checked():
    stream = io.BytesIO(make_test_image("WEBP"))
    stream.name = "c:\\fotos\\pepita.webp"  # type: ignore[attr-defined]

    checked = check_upload(stream, **LIMITS)

    assert checked.content_type == "image/webp"
    assert checked.original_name == "pepita.webp"


def test_an_image_exactly_at_the_pixel_cap_is_accepted():
    checked = check_upload(
        upload("a.png", make_test_image("PNG", size=(64, 48))), max_bytes=MAX_BYTES, max_pixels=64 * 48
    )

    assert checked.content_type == "image/png"


# --- refused: not an allowed type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("informe.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x02\x00\x3e\x00", id="elf-renamed-pdf"),
        pytest.param(
            "informe.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"PE\x00\x00", id="pe-renamed-pdf"
        ),
        pytest.param(
            "informe.pdf",
            b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
            id="html-renamed-pdf",
        ),
        pytest.param(
            "foto.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
            id="svg-renamed-png",
        ),
        pytest.param("foto.jpg", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40), id="zip-renamed-jpg"),
        pytest.param("nota.pdf", "Constancia de origen, Huepetuhe – Perú".encode(), id="plain-text"),
        pytest.param("foto.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
        pytest.param("informe.pdf", b"  \n%PDF-1.4\n", id="pdf-header-not-at-offset-0"),
    ],
)
def test_files_that_are_not_pdf_jpeg_png_or_webp_are_refused_whatever_their_name(name, content):
    error = refused(upload(name, content, content_type="application/pdf"))

    assert error.code == "unsupported_file_type"
    assert error.status == 400


def test_a_pdf_html_polyglot_is_refused():
    error = refused(upload("poliglota.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"))

    assert error.code == "unsupported_file_type"


def test_a_valid_pdf_carrying_a_web_page_in_its_first_kilobyte_is_refused():
    pdf = make_test_pdf()
    header_end = pdf.index(b"\n") + 1
    polyglot = pdf[:header_end] + b"%<HTML><SCRIPT>alert(1)</SCRIPT>\n" + pdf[header_end:]
    assert len(pypdf.PdfReader(io.BytesIO(polyglot), strict=False).pages) == 1  # pypdf alone would accept it

    error = refused(upload("constancia.pdf", polyglot))

    assert error.code == "unsupported_file_type"


# --- refused: damaged --------------------------------------------------------------------------------------


def test_a_fake_pdf_that_does_not_parse_is_refused_as_corrupt():
    error = refused(upload("constancia.pdf", b"%PDF-1.4 garbage"))

    assert error.code == "corrupt_file"
    assert error.status == 400


def test_a_pdf_cut_in_half_is_refused_as_corrupt():
    pdf = make_test_pdf()

    error = refused(upload("constancia.pdf", pdf[: len(pdf) // 2]))

    assert error.code == "corrupt_file"


def test_a_pdf_without_pages_is_refused_as_corrupt():
    output = io.BytesIO()
    pypdf.PdfWriter().write(output)

    error = refused(upload("vacio.pdf", output.getvalue()))

    assert error.code == "corrupt_file"


def minimal_pdf(*objects: bytes) -> bytes:
    """A hand-written PDF with a correct cross-reference table; object 1 is the catalogue."""
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def test_a_hand_written_one_page_pdf_is_accepted():
    pdf = minimal_pdf(
        CATALOG,
        b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    )

    assert check_upload(upload("a.pdf", pdf), **LIMITS).content_type == "application/pdf"


@pytest.mark.parametrize(
    "pages",
    [
        pytest.param((b"<< /Type /Pages /Count 1 /Kids [] >>",), id="count-says-one-but-no-kids"),
        pytest.param(
            (b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>", b"<< /Type /Pages /Parent 2 0 R /Count 1 /Kids [2 0 R] >>"),
            id="page-tree-cycle",
        ),
        pytest.param((b"<< /Type /Pages /Count 1 /Kids [9 0 R] >>",), id="kid-that-does-not-exist"),
    ],
)
def test_a_pdf_whose_page_tree_has_no_real_page_is_refused_as_corrupt(pages):
    error = refused(upload("a.pdf", minimal_pdf(CATALOG, *pages)))

    assert error.code == "corrupt_file"


def test_a_pdf_that_needs_a_password_is_refused():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_test_pdf()))
    writer.encrypt(user_password="secreto", owner_password="owner", algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)

    error = refused(upload("protegido.pdf", output.getvalue()))

    assert error.code == "encrypted_file"
    assert error.status == 400


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_image_cut_in_half_is_refused_as_corrupt(fmt):
    content = make_test_image(fmt, size=(320, 240))

    error = refused(upload("foto", content[: len(content) // 2]))

    assert error.code == "corrupt_file"


def test_a_jpeg_missing_only_its_last_bytes_is_refused_as_corrupt():
    content = make_test_image("JPEG", size=(320, 240))

    error = refused(upload("foto.jpg", content[:-200]))

    assert error.code == "corrupt_file"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, id="jpeg-magic-then-garbage"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, id="png-magic-then-garbage"),
        pytest.param(b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"not really a webp" * 10, id="webp-magic-then-garbage"),
    ],
)
def test_magic_bytes_alone_do_not_make_an_image(content):
    error = refused(upload("foto", content))

    assert error.code == "corrupt_file"


def test_pillow_is_not_told_to_load_truncated_images():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- refused: sizes ----------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    error = refused(upload("vacio.pdf", b""))

    assert error.code == "empty_file"
    assert error.status == 400


def test_a_file_over_the_size_limit_is_refused_with_413():
    content = make_test_pdf()

    error = refused(upload("grande.pdf", content), max_bytes=len(content) - 1)

    assert error.code == "file_too_large"
    assert error.status == 413


def test_a_file_of_exactly_the_size_limit_is_accepted():
    content = make_test_pdf()

    checked = check_upload(upload("justo.pdf", content), max_bytes=len(content), max_pixels=MAX_PIXELS)

    assert checked.size == len(content)


def test_the_size_limit_holds_while_reading_when_no_size_is_declared():
    class Unsized:
        name = "stream.pdf"
        size = None

        def __init__(self, content: bytes) -> None:
            self.stream = io.BytesIO(content)
            self.read_so_far = 0

        def read(self, n: int = -1) -> bytes:
            data = self.stream.read(n)
            self.read_so_far += len(data)
            return data

    unsized = Unsized(b"%PDF-1.4\n" + bytes(5_000_000))

    error = refused(unsized, max_bytes=100_000)

    assert error.code == "file_too_large"
    assert error.status == 413
    assert unsized.read_so_far < 200_000  # stopped early, not after reading everything


def test_a_decompression_bomb_png_is_refused_before_decoding():
    bomb = single_colour_png(20_000, 20_000)  # 400 million pixels in a few tens of KB
    assert len(bomb) < 100_000

    error = refused(upload("bomba.png", bomb), max_pixels=10_000_000)

    assert error.code == "image_too_large"
    assert error.status == 400


def test_pillows_own_bomb_limit_is_reported_as_image_too_large_too():
    bomb = single_colour_png(20_000, 20_000)  # over twice Image.MAX_IMAGE_PIXELS: Pillow refuses to open it

    error = refused(upload("bomba.png", bomb), max_pixels=10**12)

    assert error.code == "image_too_large"


def test_an_image_one_pixel_over_the_cap_is_refused():
    error = refused(upload("a.png", make_test_image("PNG", size=(64, 48))), max_pixels=64 * 48 - 1)

    assert error.code == "image_too_large"


def test_every_frame_of_an_animated_image_counts_toward_the_pixel_cap():
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "green", "blue")]
    output = io.BytesIO()
    frames[0].save(output, "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)

    assert check_upload(upload("a.webp", output.getvalue()), max_bytes=MAX_BYTES, max_pixels=30_000).size > 0
    error = refused(upload("a.webp", output.getvalue()), max_pixels=29_999)

    assert error.code == "image_too_large"


def test_checking_images_leaves_pillows_global_settings_alone():
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)

    refused(upload("bomba.png", single_colour_png(20_000, 20_000)), max_pixels=1_000)
    check_upload(upload("a.png", make_test_image("PNG")), **LIMITS)

    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)


# --- several files -----------------------------------------------------------------------------------------


def test_several_valid_files_are_checked_in_order():
    files = [upload("a.pdf", make_test_pdf()), upload("b.jpg", make_test_image("JPEG"))]

    checked = check_uploads(files, **MANY_LIMITS)

    assert [one.content_type for one in checked] == ["application/pdf", "image/jpeg"]


def test_no_file_is_refused():
    with pytest.raises(FileRejected) as caught:
        check_uploads([], **MANY_LIMITS)

    assert caught.value.code == "no_file"
    assert caught.value.status == 400


def test_more_files_than_allowed_are_refused():
    files = [upload(f"{n}.png", make_test_image("PNG")) for n in range(4)]

    with pytest.raises(FileRejected) as caught:
        check_uploads(files, **MANY_LIMITS)

    assert caught.value.code == "too_many_files"
    assert caught.value.status == 400


def test_files_whose_total_is_over_the_request_limit_are_refused_with_413():
    pdf = make_test_pdf()
    files = [upload("a.pdf", pdf), upload("b.pdf", pdf)]

    with pytest.raises(FileRejected) as caught:
        check_uploads(files, **{**MANY_LIMITS, "max_request_bytes": 2 * len(pdf) - 1})

    assert caught.value.code == "request_too_large"
    assert caught.value.status == 413


def test_a_bad_file_among_several_is_refused_with_its_position_and_name():
    files = [upload("a.pdf", make_test_pdf()), upload("pagina.pdf", b"<html></html>")]

    with pytest.raises(FileRejected) as caught:
        check_uploads(files, **MANY_LIMITS)

    assert caught.value.code == "unsupported_file_type"
    assert caught.value.index == 1
    assert "pagina.pdf" in str(caught.value.message)


def test_refusal_messages_are_lazy_translations_naming_the_file():
    error = refused(upload("vacio.pdf", b""))

    assert isinstance(error.message, Promise)
    assert str(error.message) == "“vacio.pdf” is empty."
    assert error.detail is error.message  # what the problem-details handler renders


# --- names -------------------------------------------------------------------------------------------------


def test_the_original_name_keeps_only_the_basename():
    checked = check_upload(upload("../../etc/passwd", make_test_pdf()), **LIMITS)

    assert checked.original_name == "passwd"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\informe.pdf", "informe.pdf"),
        ("C:\\Users\\Rosa\\constancia.pdf", "constancia.pdf"),
        ("foto\x00.jpg", "foto.jpg"),
        ("con\x1b[31mrojo\x7f.png", "con[31mrojo.png"),
        ("linea\r\nnueva.pdf", "lineanueva.pdf"),
        ("factura\u202egpj.exe", "facturagpj.exe"),  # right-to-left override would display "exe.jpg"
        ("  Constancia de Origen – Huepetuhe.pdf  ", "Constancia de Origen – Huepetuhe.pdf"),
        (".htaccess", "htaccess"),
        ("..", "file"),
        ("", "file"),
        ("\x00\x01", "file"),
        ("dir/", "file"),
        (None, "file"),
    ],
)
def test_display_names_are_sanitised(raw, clean):
    assert sanitize_name(raw) == clean


def test_long_names_are_cut_to_120_characters_keeping_the_extension():
    name = sanitize_name("a" * 300 + ".pdf")

    assert len(name) == 120
    assert name.endswith("a.pdf")
    assert len(sanitize_name("b" * 300)) == 120


# --- storage -----------------------------------------------------------------------------------------------


def test_store_writes_exactly_the_bytes_under_a_random_name_with_the_sniffed_extension(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    checked = check_upload(upload("../../informe.pdf", make_test_image("PNG")), **LIMITS)

    first = store(checked, storage=storage, prefix="evidence")
    second = store(checked, storage=storage, prefix="evidence")

    assert first != second
    for name in (first, second):
        assert name.startswith("evidence/")
        assert name.endswith(".png")
        assert "informe" not in name
        assert (tmp_path / name).read_bytes() == checked.content


def test_read_verified_returns_the_stored_bytes(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    checked = check_upload(upload("a.pdf", make_test_pdf()), **LIMITS)
    name = store(checked, storage=storage, prefix="evidence")

    assert read_verified(storage, name, checked.sha256) == checked.content


def test_read_verified_detects_a_file_modified_on_disk(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    checked = check_upload(upload("a.pdf", make_test_pdf()), **LIMITS)
    name = store(checked, storage=storage, prefix="evidence")
    path = Path(storage.path(name))
    path.write_bytes(path.read_bytes().replace(b"Constancia", b"Constancio"))

    with pytest.raises(FileIntegrityError) as caught:
        read_verified(storage, name, checked.sha256)

    assert caught.value.name == name


def test_read_verified_reports_a_missing_file(tmp_path):
    storage = FileSystemStorage(location=tmp_path)

    with pytest.raises(FileIntegrityError):
        read_verified(storage, "evidence/0123456789abcdef.pdf", hashlib.sha256(b"").hexdigest())


# --- test helpers ------------------------------------------------------------------------------------------


def test_make_test_pdf_builds_a_one_page_pdf_with_the_text():
    reader = pypdf.PdfReader(io.BytesIO(make_test_pdf("Constancia (Perú)")), strict=True)

    assert len(reader.pages) == 1
    assert "Constancia (Perú)" in reader.pages[0].extract_text()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_make_test_image_can_carry_an_exif_gps_position(fmt):
    with Image.open(io.BytesIO(make_test_image(fmt, size=(80, 60), exif_gps=True))) as img:
        gps = img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert img.format == fmt
        assert img.size == (80, 60)

    assert gps[ExifTags.GPS.GPSLatitudeRef] == "S"
    assert gps[ExifTags.GPS.GPSLongitudeRef] == "W"


def test_make_test_image_has_no_exif_unless_asked():
    with Image.open(io.BytesIO(make_test_image("JPEG"))) as img:
        assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
