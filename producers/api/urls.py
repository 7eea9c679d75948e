from rest_framework.routers import SimpleRouter

from core.api import UUID_PATTERN
from producers.api import views

router = SimpleRouter()
router.register("producers", views.ProducerViewSet, basename="producer")
router.register("sites", views.SiteReviewViewSet, basename="site-review")
router.register(rf"producers/(?P<producer_pk>{UUID_PATTERN})/sites", views.SiteViewSet, basename="site")
router.register(
    rf"producers/(?P<producer_pk>{UUID_PATTERN})/members", views.MemberMinerViewSet, basename="member-miner"
)
urlpatterns = router.urls
