"""Fixtures the console tests share: localstripe, run for real on loopback, for the deposit pages."""

from tests.localstripe_server import localstripe, stripe_on_localstripe  # noqa: F401
