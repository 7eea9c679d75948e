from django.urls import path
from rest_framework.routers import SimpleRouter

from diligence.api.pack import (
    PackFileView,
    PackRequestViewSet,
    ProducerPackPdfView,
    ProducerPackRequestView,
    ProducerPackView,
)
from diligence.api.views import RedFlagCategoryViewSet, RedFlagViewSet

router = SimpleRouter()
router.register("red-flags", RedFlagViewSet, basename="red-flag")
router.register("red-flag-categories", RedFlagCategoryViewSet, basename="red-flag-category")
router.register("pack-requests", PackRequestViewSet, basename="pack-request")
urlpatterns = [
    *router.urls,
    path(
        "producers/<uuid:producer_pk>/pack-requests/", ProducerPackRequestView.as_view(), name="producer-pack-requests"
    ),
    path("producers/<uuid:producer_pk>/pack/", ProducerPackView.as_view(), name="producer-pack"),
    path("producers/<uuid:producer_pk>/pack.pdf", ProducerPackPdfView.as_view(), name="producer-pack-pdf"),
    path("pack-files/<str:token>/", PackFileView.as_view(), name="pack-file"),
]
