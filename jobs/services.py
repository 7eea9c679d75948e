"""Asking for work after the request, and running it: the outbox (`enqueue` in the caller's transaction), the
message after commit (`dispatch`), one attempt (`run_job`), the sweeper that puts back on the queue what a
broker lost or a killed worker left (`sweep`), staff's retry of a failed job (`job_retry`). docs/jobs.md."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, PermissionDenied
from jobs.models import Job, JobState
from jobs.registry import KINDS, JobKind

logger = logging.getLogger(__name__)

LIMA = ZoneInfo("America/Lima")


def in_process() -> bool:
    """No broker configured (a developer's `make run`, the test suite): jobs run in the process that asked for
    them, right after the commit, instead of on a worker."""
    return not settings.CELERY_BROKER_URL


def _kind(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"No job is named {name!r}: declare it with @job in an app's tasks.py.") from None


def enqueue(
    name: str, *, args: dict[str, Any] | None = None, key: str | None = None, delay: timedelta | None = None
) -> Job:
    """Ask for the job `name` with `args` (JSON), in the caller's transaction: if it rolls back, nothing was asked;
    once it commits, the job will run, even if the broker is down now (the sweeper puts it on the queue later).
    A `key` makes the request once-only: asking again under the same key returns the job already asked for."""
    kind = _kind(name)
    now = timezone.now()
    job = Job(
        name=name,
        args=args or {},
        key=key,
        max_attempts=kind.max_attempts,
        run_after=now + (delay or timedelta(0)),
    )
    if key is None:
        job.save(force_insert=True)
    else:
        try:
            with transaction.atomic():  # a savepoint: the duplicate's error must not break the caller's transaction
                job.save(force_insert=True)
        except IntegrityError:
            return Job.objects.get(key=key)
    job_id = job.pk
    transaction.on_commit(lambda: dispatch([job_id]), robust=True)
    return job


def dispatch(job_ids: Iterable[uuid.UUID]) -> None:
    """After commit: run the jobs here (in process) or put a message for each on the queue. A broker that is down
    is logged, never raised: the rows are committed, and the sweeper will put them on the queue."""
    ids = list(job_ids)
    if in_process():
        for job_id in ids:
            run_job(job_id)
        return
    from celery import current_app  # the marketplace's Celery app (marketplace/celery.py)

    now = timezone.now()
    pushed = []
    for job_id, run_after in Job.objects.filter(pk__in=ids, state=JobState.PENDING).values_list("pk", "run_after"):
        countdown = max(0.0, (run_after - now).total_seconds())
        try:
            current_app.send_task(
                "jobs.run", args=[str(job_id)], countdown=countdown or None, queue=settings.CELERY_TASK_DEFAULT_QUEUE
            )
        except Exception:  # the broker unreachable: the sweeper will send it
            logger.warning("Could not put job %s on the queue; the sweeper will", job_id, exc_info=True)
            continue
        pushed.append(job_id)
    if pushed:
        Job.objects.filter(pk__in=pushed).update(enqueued_at=now)


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def run_job(job_id: uuid.UUID | str) -> str:
    """One attempt at the job, if it is due and nobody holds it: claim it (compare-and-set, with a lease), run its
    function, then record the outcome fenced by the attempt number (a worker whose lease ran out and was taken
    over records nothing). Answers what happened, for the logs and the tests."""
    row = Job.objects.filter(pk=job_id).values("name", "state").first()
    if row is None or row["state"] in (JobState.DONE, JobState.FAILED):
        return "gone" if row is None else "finished"
    now = timezone.now()
    kind = KINDS.get(row["name"])
    if kind is None:  # a job of a release that had it, read by one that has not: wait for the right worker
        logger.error("Job %s is named %r, which this process does not know", job_id, row["name"])
        return "unknown"
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(Q(state=JobState.PENDING, run_after__lte=now) | Q(state=JobState.RUNNING, lease_until__lt=now))
        .update(
            state=JobState.RUNNING,
            attempts=F("attempts") + 1,
            lease_until=now + kind.lease * settings.JOBS_TIME_SCALE,
            started_at=now,
        )
    )
    if not claimed:
        return "not_due"
    job = Job.objects.get(pk=job_id)
    fence = Q(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)
    try:
        kind.function(**job.args)
    except Exception as error:
        finished = timezone.now()
        if job.attempts >= job.max_attempts:
            logger.exception("Job %s (%s) failed for good after %s attempts", job.pk, job.name, job.attempts)
            Job.objects.filter(fence).update(
                state=JobState.FAILED, lease_until=None, finished_at=finished, last_error=_error_text(error)
            )
            return "failed"
        wait = kind.delay_after(job.attempts, scale=settings.JOBS_TIME_SCALE)
        logger.warning(
            "Job %s (%s) attempt %s failed; again in %.0f s",
            job.pk,
            job.name,
            job.attempts,
            wait.total_seconds(),
            exc_info=True,
        )
        retried = Job.objects.filter(fence).update(
            state=JobState.PENDING,
            lease_until=None,
            run_after=finished + wait,
            last_error=_error_text(error),
            enqueued_at=None,
        )
        if retried and not in_process():
            dispatch([job.pk])
        return "retry"
    Job.objects.filter(fence).update(state=JobState.DONE, lease_until=None, finished_at=timezone.now())
    return "done"


def sweep(*, limit: int = 500) -> int:
    """Put back on the queue (or run here, in process) the jobs that should be running and may have no message:
    pending and due with no message sent for `JOBS_RESEND_AFTER` (a broker that lost its messages on a restart, a
    countdown held by a worker that died), and running past their lease (a worker killed mid-attempt). A second
    message for a job is harmless: only one attempt claims it. Answers how many it sent or ran."""
    now = timezone.now()
    resend_before = now - settings.JOBS_RESEND_AFTER
    stale = Job.objects.filter(
        Q(state=JobState.PENDING, run_after__lte=now) & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend_before))
        | Q(state=JobState.RUNNING, lease_until__lt=now)
    ).order_by("run_after")
    ids = list(stale.values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    if in_process():
        for job_id in ids:
            run_job(job_id)
        return len(ids)
    # A running job past its lease is sent as it is: the attempt that gets the message takes it over.
    from celery import current_app

    sent = []
    for job_id in ids:
        try:
            current_app.send_task("jobs.run", args=[str(job_id)], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        except Exception:
            logger.warning("The sweeper could not reach the broker", exc_info=True)
            break
        sent.append(job_id)
    Job.objects.filter(pk__in=sent).update(enqueued_at=now)
    return len(sent)


def periodic_key(name: str, at: datetime | None = None) -> str:
    """The once-only key of a scheduled run: the job's name and the minute it was due, in Lima."""
    moment = (at or timezone.now()).astimezone(LIMA)
    return f"{name}@{moment:%Y-%m-%dT%H:%M}"


def enqueue_periodic(name: str, at: datetime | None = None) -> Job:
    """Celery beat's tick for the schedule entry that runs the job `name`: once per minute it is due, however
    many beats tick (two beats by mistake, a tick delivered twice)."""
    with transaction.atomic():
        return enqueue(name, key=periodic_key(name, at))


def prune(*, older_than: timedelta) -> int:
    """Delete finished jobs older than `older_than` (done ones; failed ones stay until staff retry them or they
    age out at twice that)."""
    now = timezone.now()
    deleted, _counts = Job.objects.filter(
        Q(state=JobState.DONE, finished_at__lt=now - older_than)
        | Q(state=JobState.FAILED, finished_at__lt=now - 2 * older_than)
    ).delete()
    return deleted


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied(_("Only staff see and retry the queue's jobs."), code="not_staff")


@transaction.atomic
def job_retry(*, actor: Actor, job: Job) -> Job:
    """Staff: try a failed job again from its first attempt, now. A job that is not failed is 409."""
    require_staff(actor)
    before = Job.objects.select_for_update().get(pk=job.pk)
    if before.state != JobState.FAILED:
        raise Conflict(
            _("Only a failed job can be retried; this one is %(state)s.") % {"state": before.state},
            code="job_not_failed",
        )
    Job.objects.filter(pk=job.pk).update(
        state=JobState.PENDING,
        attempts=0,
        run_after=timezone.now(),
        finished_at=None,
        enqueued_at=None,
        max_attempts=_kind(before.name).max_attempts if before.name in KINDS else before.max_attempts,
    )
    audit_record(
        action="jobs.job.retried",
        actor=actor,
        target=before,
        data={"name": before.name, "attempts": before.attempts, "last_error": before.last_error[:200]},
    )
    transaction.on_commit(lambda: dispatch([before.pk]), robust=True)
    return Job.objects.get(pk=job.pk)
