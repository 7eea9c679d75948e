"""The one settings module, read in a fresh interpreter under different environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], "
    "'cache': settings.CACHES['default']['BACKEND'], 'secure_cookie': settings.SESSION_COOKIE_SECURE, "
    "'hsts': settings.SECURE_HSTS_SECONDS, 'proxy': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None), "
    "'debug': settings.DEBUG, 'pg_options': settings.DATABASES['default'].get('OPTIONS', {}).get('options')}))"
)


def read_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_secret_key_is_required_when_debug_is_off():
    result = read_settings()

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_the_defaults_are_sqlite_and_local_memory():
    result = read_settings(DJANGO_DEBUG="1")

    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["debug"] is True


def test_production_variables_switch_on_postgresql_redis_and_the_security_headers():
    result = read_settings(
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@db:5432/oro",
        REDIS_URL="redis://cache:6379/0",
        DJANGO_SECURE_HSTS_SECONDS="31536000",
        DJANGO_BEHIND_PROXY="1",
    )

    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["secure_cookie"] is True
    assert values["hsts"] == 31536000
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_postgresql_queries_run_without_parallel_workers_or_jit_unless_asked():
    production = {"DJANGO_SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u@db:5432/oro"}

    default = json.loads(read_settings(**production, PGOPTIONS="").stdout)
    asked = json.loads(
        read_settings(
            **production, DATABASE_PARALLEL_WORKERS="2", DATABASE_JIT="1", PGOPTIONS="-c statement_timeout=5s"
        ).stdout
    )

    assert default["pg_options"] == "-c max_parallel_workers_per_gather=0 -c jit=off"
    # PGOPTIONS kept, first; with DATABASE_JIT the server's own JIT setting applies.
    assert asked["pg_options"] == "-c statement_timeout=5s -c max_parallel_workers_per_gather=2"


def test_a_negative_number_of_parallel_workers_stops_the_start_with_a_clear_message():
    result = read_settings(
        DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@db:5432/oro", DATABASE_PARALLEL_WORKERS="-1"
    )

    assert result.returncode != 0
    assert "DATABASE_PARALLEL_WORKERS must be 0 or more" in result.stderr


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_on_an_unconfigured_machine_uses_development_settings_and_says_so():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert "using development settings" in result.stderr


def test_manage_py_with_a_secret_key_keeps_debug_off():
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_SECRET_KEY="x" * 50
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert "development settings" not in result.stderr


STORAGE_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({name: settings.STORAGES[name] for name in ('default', 'evidence')}, default=str))"
)


def _storages(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MEDIA_", "EVIDENCE_", "S3_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings", "DJANGO_DEBUG": "1", **env})
    result = subprocess.run(
        [sys.executable, "-c", STORAGE_PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_uploaded_files_stay_on_the_local_disk_by_default():
    stored = _storages()

    assert (
        stored["default"]["BACKEND"] == stored["evidence"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    )


def test_several_servers_share_photos_and_evidence_in_private_s3_compatible_buckets():
    stored = _storages(
        MEDIA_S3_BUCKET="oro-photos", EVIDENCE_S3_BUCKET="oro-evidence", S3_ENDPOINT_URL="http://minio:9000"
    )

    for name, bucket in (("default", "oro-photos"), ("evidence", "oro-evidence")):
        assert stored[name]["BACKEND"] == "storages.backends.s3.S3Storage"
        options = stored[name]["OPTIONS"]
        assert (options["bucket_name"], options["endpoint_url"]) == (bucket, "http://minio:9000")
        assert (options["default_acl"], options["querystring_auth"], options["file_overwrite"]) == (
            "private",
            True,
            False,
        )
