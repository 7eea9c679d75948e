"""The application's URLs, plus the hand-written yardstick at /bench/minimal/."""

from django.urls import path

from bench.minimal_view import minimal_listings
from marketplace.urls import handler400, handler403, handler404, handler500
from marketplace.urls import urlpatterns as app_urlpatterns

urlpatterns = [*app_urlpatterns, path("bench/minimal/", minimal_listings, name="bench-minimal")]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
