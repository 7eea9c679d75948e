"""The Celery application: the worker (`celery -A marketplace worker`) and beat (`celery -A marketplace beat`)
read their settings from Django's (`CELERY_*`), and find the tasks in each app's `tasks.py`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
