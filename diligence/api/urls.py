from rest_framework.routers import SimpleRouter

from diligence.api.views import RedFlagCategoryViewSet, RedFlagViewSet

router = SimpleRouter()
router.register("red-flags", RedFlagViewSet, basename="red-flag")
router.register("red-flag-categories", RedFlagCategoryViewSet, basename="red-flag-category")
urlpatterns = router.urls
