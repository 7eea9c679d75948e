"""The real URLs plus views that fail on purpose, for the error-handling tests."""

from django.db import OperationalError, transaction
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.pagination import CursorPagination
from marketplace.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401
from notifications.models import Notification


class Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("kaboom")


class DatabaseDown(APIView):
    """Fails as Django does when PostgreSQL refuses the connection (the fault drill restarts a real one)."""

    permission_classes = [AllowAny]

    def post(self, request):
        with transaction.atomic():
            Notification.objects.create(recipient=User.objects.get(email=request.data["email"]), kind="x")
            raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


class Echo(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        return Response(
            {
                "types": {key: type(value).__name__ for key, value in request.data.items()},
                "data": {key: str(value) for key, value in request.data.items()},
            }
        )


class Throttled(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "login"

    def get(self, request):
        return Response({"ok": True})


class Paged(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(Notification.objects.all(), request, view=self)
        return paginator.get_paginated_response([str(n.pk) for n in page])


urlpatterns = [
    path("test/boom/", Boom.as_view()),
    path("test/echo/", Echo.as_view()),
    path("test/database-down/", DatabaseDown.as_view()),
    path("test/throttled/", Throttled.as_view()),
    path("test/paged/", Paged.as_view()),
    *urlpatterns,
]
