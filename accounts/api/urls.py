from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views
from core.api import UUID_PATTERN

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register(rf"organizations/(?P<organization_pk>{UUID_PATTERN})/members", views.MemberViewSet, basename="member")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("auth/tokens", views.TokenViewSet, basename="auth-token")
router.register("delegations", views.DelegationViewSet, basename="delegation")

urlpatterns = [
    path("auth/signup/", views.SignupView.as_view(), name="auth-signup"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("me/", views.MeView.as_view(), name="me"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    *router.urls,
]
