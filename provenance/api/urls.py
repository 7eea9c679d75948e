from django.urls import path
from rest_framework.routers import SimpleRouter

from provenance.api.views import LotViewSet, MassBalanceView

router = SimpleRouter()
router.register("lots", LotViewSet, basename="lot")
urlpatterns = [
    *router.urls,
    path("producers/<uuid:producer_pk>/mass-balance/", MassBalanceView.as_view(), name="producer-mass-balance"),
]
