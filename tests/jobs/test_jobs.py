"""The outbox and one attempt, in process: what a worker does, run here (tests/jobs/test_worker.py runs a real
worker on Redis)."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from jobs import services
from jobs.models import Job, JobState
from jobs.registry import KINDS, JobKind
from tests.jobs import kinds  # noqa: F401  (registers the tests' jobs)
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db


def test_a_job_asked_for_in_a_transaction_runs_once_it_commits(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    log = tmp_path / "log"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        job = services.enqueue("tests.flaky", args={"log": str(log), "failures": 0})
        assert not log.exists()  # not before the commit
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 1)
    assert log.read_text() == "attempt\n"


def test_a_rolled_back_transaction_asks_for_nothing(tmp_path: Path, django_capture_on_commit_callbacks: Any) -> None:
    def ask_then_fail() -> None:
        with transaction.atomic():
            services.enqueue("tests.flaky", args={"log": str(tmp_path / "log"), "failures": 0})
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        ask_then_fail()
    assert callbacks == []
    assert not Job.objects.exists()


def test_an_unknown_name_is_refused_where_it_is_asked_for() -> None:
    with pytest.raises(ValueError, match="No job is named"):
        services.enqueue("tests.nobody")


def test_a_key_makes_the_request_once_only(tmp_path: Path) -> None:
    args = {"log": str(tmp_path / "log"), "failures": 0}
    with transaction.atomic():
        first = services.enqueue("tests.flaky", args=args, key="daily@2026-12-05")
        second = services.enqueue("tests.flaky", args=args, key="daily@2026-12-05")
        assert Job.objects.filter(key="daily@2026-12-05").count() == 1  # and the transaction goes on
    assert first.pk == second.pk


def test_beat_ticking_twice_in_a_minute_asks_once() -> None:
    at = timezone.now().replace(second=5)
    one = services.enqueue_periodic("jobs.prune", at)
    two = services.enqueue_periodic("jobs.prune", at + timedelta(seconds=40))
    assert one.pk == two.pk
    assert services.periodic_key("jobs.prune", at).startswith("jobs.prune@")


def test_a_failed_attempt_comes_back_later_then_the_job_fails_for_good(tmp_path: Path) -> None:
    job = services.enqueue("tests.flaky", args={"log": str(tmp_path / "log"), "failures": 10})
    assert services.run_job(job.pk) == "retry"
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    assert job.attempts == 1
    assert "Refused: not yet" in job.last_error
    assert job.run_after > timezone.now()
    assert services.run_job(job.pk) == "not_due"  # its time has not come: nobody runs it early
    for attempt in range(2, 5):
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
        outcome = services.run_job(job.pk)
        assert outcome == ("failed" if attempt == 4 else "retry")
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.FAILED, 4)
    assert job.finished_at is not None
    assert services.run_job(job.pk) == "finished"


def test_the_backoff_doubles_up_to_its_ceiling_with_jitter_in_the_upper_half() -> None:
    kind = JobKind("x", print, 10, timedelta(seconds=30), timedelta(minutes=10), timedelta(minutes=1))
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (9, 600)]:
        waits = [kind.delay_after(attempt, rng).total_seconds() for _ in range(200)]
        assert ceiling / 2 <= min(waits)
        assert max(waits) <= ceiling
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not one fixed value


def test_a_job_left_running_past_its_lease_is_taken_over_and_the_old_attempt_records_nothing(tmp_path: Path) -> None:
    log = tmp_path / "log"
    job = services.enqueue("tests.flaky", args={"log": str(log), "failures": 0})
    # A worker claimed it (attempt 1) and was killed: its lease runs out.
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert services.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    # A running job still inside its lease is nobody else's to take.
    other = services.enqueue("tests.flaky", args={"log": str(log), "failures": 0})
    Job.objects.filter(pk=other.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert services.run_job(other.pk) == "not_due"


def test_the_sweeper_runs_what_is_due_and_leaves_what_is_not(tmp_path: Path) -> None:
    due = services.enqueue("tests.flaky", args={"log": str(tmp_path / "a"), "failures": 0})
    later = services.enqueue("tests.flaky", args={"log": str(tmp_path / "b"), "failures": 0}, delay=timedelta(hours=1))
    abandoned = services.enqueue("tests.flaky", args={"log": str(tmp_path / "c"), "failures": 0})
    Job.objects.filter(pk=abandoned.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=timezone.now() - timedelta(seconds=5)
    )
    assert services.sweep() == 2
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {due.pk: JobState.DONE, later.pk: JobState.PENDING, abandoned.pk: JobState.DONE}


def test_pruning_deletes_old_done_jobs_and_keeps_failed_ones_longer(tmp_path: Path) -> None:
    old = timezone.now() - timedelta(days=40)
    done = services.enqueue("jobs.prune")
    failed = services.enqueue("jobs.prune")
    recent = services.enqueue("jobs.prune")
    Job.objects.filter(pk=done.pk).update(state=JobState.DONE, finished_at=old)
    Job.objects.filter(pk=failed.pk).update(state=JobState.FAILED, finished_at=old)
    Job.objects.filter(pk=recent.pk).update(state=JobState.DONE, finished_at=timezone.now())
    assert services.prune(older_than=timedelta(days=30)) == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {failed.pk, recent.pk}


def test_every_scheduled_entry_names_a_job_that_exists(settings: Any) -> None:
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        if entry["task"] == "jobs.periodic":
            assert entry["args"][0] in KINDS


def _failed_job(tmp_path: Path) -> Job:
    job = services.enqueue("tests.flaky", args={"log": str(tmp_path / "log"), "failures": 4})
    for _ in range(4):
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
        services.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    return job


def test_staff_list_the_failed_jobs_and_retry_one(
    staff: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = _failed_job(tmp_path)
    services.enqueue("tests.flaky", args={"log": str(tmp_path / "other"), "failures": 0})
    listed = staff.get("/api/v1/jobs/", {"state": "failed"})
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(job.pk)]
    assert listed.json()["results"][0]["last_error"] == "Refused: not yet"
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(f"/api/v1/jobs/{job.pk}/retry/")
    assert answer.status_code == 200
    assert answer.json()["attempts"] == 0
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 1)  # the fifth attempt overall succeeded, run after commit
    event = AuditEvent.objects.get(action="jobs.job.retried")
    assert event.data["name"] == "tests.flaky"
    assert event.data["attempts"] == 4
    again = staff.post(f"/api/v1/jobs/{job.pk}/retry/")
    assert_problem(again, 409, "job_not_failed")


@pytest.mark.parametrize("who", ["buyer", "producer_admin", "reviewer"])
def test_only_staff_see_the_queue(who: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    job = _failed_job(tmp_path)
    client = request.getfixturevalue(who)
    assert_problem(client.get("/api/v1/jobs/"), 403, "not_staff")
    assert_problem(client.post(f"/api/v1/jobs/{job.pk}/retry/"), 403, "not_staff")
    assert not AuditEvent.objects.filter(action="jobs.job.retried").exists()
