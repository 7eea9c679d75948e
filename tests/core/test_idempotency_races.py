"""One upload sent twice at once with one Idempotency-Key, on PostgreSQL with real threads: the phone's retry
arrives while the first copy is still being stored. One item, never two, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import Evidence, EvidenceFile
from tests.compliance.helpers import EVIDENCE_URL, iso, make_producer, pdf_bytes, stored_files
from tests.concurrency import postgres_only, run_at_once
from tests.conftest import make_client
from tests.problems import assert_problem

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

RUC_PDF = pdf_bytes("Ficha RUC 20527145661")


@pytest.mark.parametrize("attempt", range(3))
def test_one_upload_sent_at_once_with_one_key_stores_one_item(attempt, coop, producer_admin):
    make_producer(coop)
    clients = [make_client(producer_admin.user, coop) for _ in range(3)]  # one user, three connections

    def upload(i: int):
        form = {"evidence_type": "TAX_RUC", "issue_date": iso(-10), "files": [SimpleUploadedFile("ruc.pdf", RUC_PDF)]}
        return clients[i].post(EVIDENCE_URL, form, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-ruc-1")

    responses = run_at_once(3, upload)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    # Copies that arrive while the first is running get 409; later ones the first answer again.
    assert all(r.status_code in (201, 409) for r in responses), [r.status_code for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "idempotency_key_in_progress")
    created = [r for r in responses if r.status_code == 201]
    assert len(created) >= 1
    assert len({r.json()["id"] for r in created}) == 1
    assert sum("Idempotent-Replayed" not in r for r in created) == 1
    assert Evidence.objects.count() == EvidenceFile.objects.count() == len(stored_files()) == 1
