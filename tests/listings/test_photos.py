"""Listing photos are public: re-encoded, so the miner's GPS position and camera never leave with them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from listings.models import ListingPhoto
from marketplace.demo_files import make_test_image, make_test_pdf
from tests.listings.test_listings import login, offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    call_command("seed_demo")
    president = login("coop-admin@demo.test")
    listing = president.post("/api/v1/listings/", offer("Cooperativa Minera"), format="json").json()
    return president, listing


def test_a_photo_is_published_without_its_gps_position(draft):
    president, listing = draft
    original = make_test_image("JPEG", (640, 480), exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload has a GPS block

    response = president.post(
        f"/api/v1/listings/{listing['id']}/photos/",
        {"files": [SimpleUploadedFile("mesa.jpg", original)]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    url = response.json()["photos"][0]
    served = president.get(url)
    assert served["Content-Type"] == "image/jpeg"
    published = Image.open(io.BytesIO(served.content))
    assert published.size == (640, 480)
    assert not published.getexif()
    assert "exif" not in published.info
    assert "xmp" not in published.info


@pytest.mark.parametrize("content", [make_test_pdf("no"), b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""])
def test_anything_but_an_image_is_refused_and_nothing_is_stored(draft, content):
    president, listing = draft
    media = Path(storages["default"].location)
    before = sorted(media.rglob("*"))

    response = president.post(
        f"/api/v1/listings/{listing['id']}/photos/",
        {"files": [SimpleUploadedFile("photo.jpg", content)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert ListingPhoto.objects.count() == 0
    assert sorted(media.rglob("*")) == before


def test_another_producer_cannot_add_photos(draft):
    _president, listing = draft
    other = login("miner@demo.test")

    response = other.post(
        f"/api/v1/listings/{listing['id']}/photos/",
        {"files": [SimpleUploadedFile("x.png", make_test_image("PNG"))]},
        format="multipart",
    )

    assert response.status_code == 404
    assert ListingPhoto.objects.count() == 0
