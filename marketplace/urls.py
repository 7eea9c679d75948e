from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

from core import views as core_views
from openapi.views import OfflineRedocView, OfflineSwaggerView

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("producers.api.urls")),
    path("", include("compliance.api.urls")),
    path("", include("provenance.api.urls")),
    path("", include("diligence.api.urls")),
    path("", include("prices.api.urls")),
    path("", include("listings.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("trade.api.urls")),
    path("", include("settlement.api.statement_urls")),
    path("", include("settlement.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("jobs.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("webhooks.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", OfflineSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("console.urls")),
]

handler400 = "console.views.errors.bad_request"
handler403 = "console.views.errors.permission_denied"
handler404 = "console.views.errors.page_not_found"
handler500 = "console.views.errors.server_error"
