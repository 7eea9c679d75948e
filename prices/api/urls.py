from rest_framework.routers import SimpleRouter

from prices.api.views import CertificationTermsViewSet, FixViewSet, RateViewSet

router = SimpleRouter()
router.register("prices/fixes", FixViewSet, basename="price-fix")
router.register("prices/rates", RateViewSet, basename="price-rate")
router.register("prices/certification-terms", CertificationTermsViewSet, basename="price-certification-terms")
urlpatterns = router.urls
