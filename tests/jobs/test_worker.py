"""The queue for real: a Celery worker process on the local Redis runs what the test process commits. (The faults,
a mail server refusing, a worker killed mid-task, Redis restarted under load, are the drills of ops/drills.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobs import services
from jobs.models import Job, JobState
from tests.jobs import kinds  # noqa: F401  (registers the tests' jobs here too)
from tests.jobs.worker import new_queue, redis_or_skip, running_worker, sending_to, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path: Path) -> Any:
    redis_or_skip()
    queue = new_queue()
    log = tmp_path / "worker.log"
    with running_worker(log, queue), sending_to(queue):
        yield log


def _state(job: Job) -> tuple[str, int]:
    job.refresh_from_db()
    return job.state, job.attempts


def test_a_committed_job_runs_on_the_worker(worker: Path, tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    job = services.enqueue("tests.flaky", args={"log": str(attempts), "failures": 0})  # autocommit: sent at once
    assert Job.objects.get(pk=job.pk).enqueued_at is not None  # the message left for the broker
    wait_for(lambda: _state(job) == (JobState.DONE, 1), what="the job done", log=worker)
    assert attempts.read_text() == "attempt\n"


def test_a_failing_job_comes_back_after_its_backoff_until_it_succeeds(worker: Path, tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    job = services.enqueue("tests.flaky", args={"log": str(attempts), "failures": 2})
    wait_for(lambda: _state(job) == (JobState.DONE, 3), what="the third attempt done", log=worker)
    assert attempts.read_text() == "attempt\n" * 3
    assert job.last_error == "Refused: not yet"  # the last failure stays readable


def test_a_job_that_never_reached_the_broker_is_sent_by_the_sweeper(worker: Path, tmp_path: Path) -> None:
    # What a broker down at the commit, or restarted without its messages, leaves: a committed row, no message.
    attempts = tmp_path / "attempts"
    job = Job.objects.create(
        name="tests.flaky",
        args={"log": str(attempts), "failures": 0},
        max_attempts=4,
        run_after=services.timezone.now(),
    )
    assert services.sweep() == 1
    wait_for(lambda: _state(job) == (JobState.DONE, 1), what="the swept job done", log=worker)
    assert services.sweep() == 0  # nothing left to send


def test_a_notification_e_mail_is_sent_by_the_worker(worker: Path) -> None:
    """The worker prints e-mail on its console (the default backend): its log shows the message, the row says so."""
    from notifications.services import notify
    from tests.factories import UserFactory

    user = UserFactory()
    [notification] = notify(recipients=[user], kind="membership_removed", params={"organization": "Cooperativa"})
    wait_for(
        lambda: Job.objects.filter(name="notifications.email", state=JobState.DONE).exists(),
        what="the e-mail job",
        log=worker,
    )
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert f"Message-ID: <notification.{notification.pk}@" in worker.read_text()
