"""Docs pages that load nothing from outside this server (the sidecar ships Swagger UI and Redoc).

Both run an inline script or style of their own (Swagger UI's start-up script; ReDoc's generated styles and its
search worker), which the site's Content-Security-Policy refuses: their pages get a policy that allows these,
still from this server only."""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

DOCS_POLICY = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "worker-src": [SELF, "blob:"],
    "img-src": [SELF, "data:"],
    "object-src": [NONE],
}


@method_decorator(csp_replace(DOCS_POLICY), name="dispatch")
class OfflineSwaggerView(SpectacularSwaggerView):
    pass


@method_decorator(csp_replace(DOCS_POLICY), name="dispatch")
class OfflineRedocView(SpectacularRedocView):
    template_name = "openapi/redoc.html"
