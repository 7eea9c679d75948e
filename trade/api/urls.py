from rest_framework.routers import SimpleRouter

from core.api import UUID_PATTERN
from trade.api.views import ContractViewSet, DepositViewSet, InquiryMessageViewSet, InquiryViewSet

router = SimpleRouter()
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register(
    rf"inquiries/(?P<inquiry_pk>{UUID_PATTERN})/messages", InquiryMessageViewSet, basename="inquiry-message"
)
router.register("contracts", ContractViewSet, basename="contract")
router.register("deposits", DepositViewSet, basename="deposit")
urlpatterns = router.urls
