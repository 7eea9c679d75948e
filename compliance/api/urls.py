from django.urls import path
from rest_framework.routers import SimpleRouter

from compliance.api import views

router = SimpleRouter()
router.register("evidence-types", views.EvidenceTypeViewSet, basename="evidence-type")
router.register("requirements", views.RequirementViewSet, basename="requirement")
router.register("evidence", views.EvidenceViewSet, basename="evidence")

ORG = "organizations/<uuid:organization_pk>"
urlpatterns = [
    path(
        "producers/<uuid:producer_pk>/compliance/", views.ProducerComplianceView.as_view(), name="producer-compliance"
    ),
    path(f"{ORG}/kyc/", views.KycView.as_view(), name="kyc"),
    path(f"{ORG}/kyc/submit/", views.KycMoveView.as_view(move="submit"), name="kyc-submit"),
    path(f"{ORG}/kyc/verify/", views.KycMoveView.as_view(move="verify"), name="kyc-verify"),
    path(f"{ORG}/kyc/reject/", views.KycRejectView.as_view(move="reject"), name="kyc-reject"),
    *router.urls,
]
