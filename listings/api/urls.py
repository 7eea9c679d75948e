from rest_framework.routers import SimpleRouter

from listings.api.views import ListingViewSet

router = SimpleRouter()
router.register("listings", ListingViewSet, basename="listing")
urlpatterns = router.urls
