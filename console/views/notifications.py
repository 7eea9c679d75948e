"""A person's notifications, newest first, rendered as the API renders them (title and body in their language),
and marking them all read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.views.base import delegable, page, signed_in
from notifications import selectors, services
from notifications.api.serializers import NotificationSerializer

SHOWN = 50


@delegable("evidence", "sites")
@signed_in
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.notifications_for(user=request.user).order_by("-created_at")[:SHOWN]
    return page(request, "console/notifications.html", {"notifications": NotificationSerializer(rows, many=True).data})


@require_POST
@signed_in
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)
    return HttpResponseRedirect(reverse("console:notifications"))
