"""Docs pages that load nothing from outside this server (the sidecar ships Swagger UI and Redoc)."""

from drf_spectacular.views import SpectacularRedocView


class OfflineRedocView(SpectacularRedocView):
    template_name = "openapi/redoc.html"
