"""A real Celery worker on the local Redis, for the tests: a subprocess reading the test database, on a queue of its
own (so parallel test processes never take each other's messages)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection

REDIS = "redis://127.0.0.1:6379/15"


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):  # .ci/run starts Redis: there, a missing one is a failure, not a skip
            raise
        pytest.skip("needs the local Redis at 127.0.0.1:6379 (CI starts it)")


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def running_worker(log: Path, queue: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS,
        "CELERY_QUEUE": queue,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "0",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo", "-Q", queue,
        "--include", "tests.jobs.kinds", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def sending_to(queue: str) -> Iterator[None]:
    """This process sends its jobs' messages to the worker's broker and queue (instead of running them itself)."""
    before = (settings.CELERY_BROKER_URL, settings.CELERY_TASK_DEFAULT_QUEUE, current_app.conf.broker_url)
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_DEFAULT_QUEUE = REDIS, queue
    current_app.conf.broker_url = REDIS
    try:
        yield
    finally:
        settings.CELERY_BROKER_URL, settings.CELERY_TASK_DEFAULT_QUEUE, current_app.conf.broker_url = before


def new_queue() -> str:
    return f"oro-test-{uuid.uuid4().hex[:10]}"


def wait_for(condition: Callable[[], Any], *, seconds: float = 60, what: str = "", log: Path | None = None) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    shown = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"waited {seconds} s for {what}; the worker said:\n{shown}")
