from rest_framework.routers import SimpleRouter

from listings.api.views import ListingViewSet, SourcingRequestViewSet

router = SimpleRouter()
router.register("listings", ListingViewSet, basename="listing")
router.register("sourcing-requests", SourcingRequestViewSet, basename="sourcing-request")
urlpatterns = router.urls
