"""The demo data (`manage.py seed_demo`) seeded once for all the tests of a module, not once per test.

Seeding walks the whole compliance workflow through the services (about 2,400 queries): done per test it was
one of the slowest setups of the suite. `demo_once` seeds inside a transaction that stays open for the module
and is rolled back after its last test; each test runs in a savepoint inside it (pytest-django's `db`), so
whatever a test writes is undone before the next one, and the next module starts from an empty database.

Only for tests on `db`: a `transaction=True` test commits for real and empties the database after itself, so
it seeds its own demo. Evidence files of the demo go to a folder of the module, since each test's own
evidence folder (tests/conftest.py) does not exist yet when the module seeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings


@pytest.fixture(scope="module")
def demo_once(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    evidence = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.mktemp("demo-evidence")), "base_url": None},
    }
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast_hashing, STORAGES={**settings.STORAGES, "evidence": evidence}),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
