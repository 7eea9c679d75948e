"""Production serves the collected, hashed static files itself (whitenoise), with DEBUG off.

The suite serves static files from the apps (DJANGO_STATIC_FROM_APPS=1); here the production storage is put
back: `collectstatic` builds the hashed manifest in a temporary STATIC_ROOT, and a fresh client (so
whitenoise reads that folder at start, as it does in gunicorn) downloads what `{% static %}` points at.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def _production_static(settings, root):  # what production settings say (DJANGO_STATIC_FROM_APPS unset)
    settings.DEBUG = False
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, **PRODUCTION_STATIC}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    from django.test import override_settings

    root = tmp_path_factory.mktemp("staticfiles")
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, **PRODUCTION_STATIC}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def collected(settings, static_root):
    _production_static(settings, static_root)
    return static_root


def _body(response):
    # Reading the whole stream closes the response the way the test client does for a WSGI server: with the
    # database connection check disconnected. Calling close() again would run that check inside the test's
    # transaction, which on PostgreSQL breaks it.
    return b"".join(response.streaming_content)


def test_a_hashed_static_file_is_served_with_a_long_cache_and_debug_off(collected):
    url = static("rest_framework/css/bootstrap.min.css")
    original = next(collected.glob("rest_framework/css/bootstrap.min.*.css")).read_bytes()

    response = Client().get(url)

    assert url.startswith("/static/rest_framework/css/bootstrap.min.")
    assert url != "/static/rest_framework/css/bootstrap.min.css"
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    assert _body(response) == original


def test_the_compressed_copy_is_served_to_clients_that_accept_it(collected):
    response = Client().get(static("rest_framework/css/bootstrap.min.css"), HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert _body(response)[:2] == b"\x1f\x8b"


def test_an_unknown_static_file_is_404(collected):
    assert Client().get("/static/no/such/file.css").status_code == 404
