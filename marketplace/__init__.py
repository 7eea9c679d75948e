"""The Django project: settings, URL wiring and the WSGI/ASGI entry points."""

# The Celery app is made when Django starts, so that `jobs` sends its messages through it (docs/jobs.md).
from marketplace.celery import app as celery_app

__all__ = ("celery_app",)
