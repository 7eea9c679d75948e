from django.urls import path
from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter()
router.register("webhook-endpoints", views.WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("webhook-event-types/", views.WebhookEventTypesView.as_view(), name="webhook-event-types"),
    *router.urls,
]
