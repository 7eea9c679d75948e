"""The Celery tasks: the only messages on the queue. `jobs.run` runs one attempt of a job row; beat's ticks ask
for scheduled jobs (`jobs.periodic`) and for the sweeper (`jobs.sweep`). And this app's own jobs, the pruning of
finished jobs and of expired idempotency keys."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from core.idempotency import prune_expired
from jobs import services
from jobs.registry import job


@shared_task(name="jobs.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run(job_id: str) -> str:
    # Acknowledged after it returns: a worker killed mid-attempt leaves the message to be delivered again, and
    # the row's lease lets the sweeper send it again if the broker lost it too.
    return services.run_job(job_id)


@shared_task(name="jobs.sweep", ignore_result=True)
def sweep() -> int:
    return services.sweep()


@shared_task(name="jobs.periodic", ignore_result=True)
def periodic(name: str) -> Any:
    return str(services.enqueue_periodic(name).pk)


@job("jobs.prune", max_attempts=3)
def prune_jobs() -> None:
    services.prune(older_than=settings.JOBS_KEEP)


@job("jobs.prune_idempotency_keys", max_attempts=3)
def prune_idempotency_keys() -> None:
    prune_expired()
