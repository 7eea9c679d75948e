"""Accounts endpoints: sign-up, tokens, `me/`, organisations and their members, invitations."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import delegation, selectors, services
from accounts.api.examples import (
    DELEGATION_EXAMPLE,
    DELEGATION_REVOKED_EXAMPLE,
    TOKEN_DEVICE_EXAMPLE,
    TOKEN_EXAMPLE,
)
from accounts.api.serializers import (
    AcceptResultSerializer,
    DelegationCreateSerializer,
    DelegationSerializer,
    InvitationAcceptSerializer,
    InvitationCreateSerializer,
    InvitationSentSerializer,
    InvitationSerializer,
    LoginInputSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    MeSerializer,
    MeUpdateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    SignupInputSerializer,
    SignupResultSerializer,
    TokenDeviceSerializer,
    TokenSerializer,
)
from accounts.auth import TokenAuthentication
from accounts.models import Delegation, Invitation, Membership, Organization, TokenDevice, User
from core.actor import get_actor
from core.api import ORGANIZATION_HEADER, UUID_PATTERN
from core.errors import NotAuthenticated, documents_problems
from core.filters import StrictFilterSet
from core.http import uncompressed
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization, AllowAny, IsAuthenticated, IsOrganizationAdminOrReviewer
from core.throttling import LoginFailuresPerAccount


def _user(request: Request) -> User:
    """The authenticated user (the view's permission has already refused anonymous requests)."""
    assert isinstance(request.user, User)
    return request.user


class SignupView(APIView):
    """Register a buyer organisation and its first user (its admin). Producers join by invitation."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "signup"

    @extend_schema(
        request=SignupInputSerializer,
        responses={201: SignupResultSerializer},
        operation_id="auth_signup",
    )
    @documents_problems(409, 422)
    @idempotent
    def post(self, request: Request) -> Response:
        data = SignupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.buyer_signup(
            email=values["email"],
            password=values["password"],
            full_name=values["full_name"],
            preferred_language=values["preferred_language"],
            **values["organization"],
        )
        body = SignupResultSerializer({"user": result.user, "organization": result.organization}).data
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    """Exchange an e-mail address and password for a token that expires. Attempts are limited per client
    address (`login`) and failures per e-mail address (`login_account`), so guessing one account's password
    stays slow from any number of addresses."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "login"
    throttle_classes = [*cast(list[type[BaseThrottle]], api_settings.DEFAULT_THROTTLE_CLASSES), LoginFailuresPerAccount]

    @extend_schema(
        request=LoginInputSerializer,
        responses={200: TokenSerializer},
        operation_id="auth_login",
        examples=[
            OpenApiExample(
                "Rosa signs in on her phone",
                value={"email": "miner@demo.test", "password": "oro-limpio-2026", "device_name": "Teléfono de Rosa"},
                request_only=True,
            ),
            OpenApiExample("Signed in", value=TOKEN_EXAMPLE, response_only=True),
        ],
    )
    @documents_problems(401)
    @uncompressed  # the answer carries the token (BREACH, docs/security.md)
    def post(self, request: Request) -> Response:
        """Exchange an e-mail address and password for a token that expires (`TOKEN_TTL_HOURS`), recorded for
        the device named in `device_name` (or read from the User-Agent): `auth/tokens/` lists, refreshes and
        revokes it. Attempts are limited per client address (`login`) and failures per e-mail address
        (`login_account`), so guessing one account's password stays slow from any number of addresses."""
        failed = False
        try:
            data = LoginInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            issued = services.auth_login(
                request=request._request, user_agent=request.META.get("HTTP_USER_AGENT", ""), **data.validated_data
            )
        except NotAuthenticated:
            failed = True  # a wrong e-mail address or password stays counted against the account
            raise
        finally:
            if not failed:
                LoginFailuresPerAccount().give_back(request, self)
        return Response(_token_answer(issued))


def _token_answer(issued: services.IssuedToken) -> Any:
    instance = issued.instance
    return TokenSerializer({"token": issued.token, "expiry": instance.expiry, "user": instance.user}).data


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request: Request) -> Response:
        services.auth_logout(user=_user(request), token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every token of the caller (all devices)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout_all")
    def post(self, request: Request) -> Response:
        services.auth_logout_all(user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own tokens, one per device signed in: list them, revoke one, or swap the current one for a
    new one before it expires. Another person's token is 404, whoever asks (staff too)."""

    lookup_value_regex = UUID_PATTERN
    queryset = TokenDevice.objects.none()  # for the schema; requests use get_queryset
    serializer_class = TokenDeviceSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return selectors.tokens_of(user=_user(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        token = self.request.auth
        return {**super().get_serializer_context(), "current_token": getattr(token, "digest", None)}

    @extend_schema(
        operation_id="auth_tokens_list",
        examples=[OpenApiExample("The phone this request comes from", value=TOKEN_DEVICE_EXAMPLE, response_only=True)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The caller's tokens that still work, newest first: each one's id, device name, when it was issued, when
        it expires, when it was last used (to the minute) and whether this request was made with it."""
        return super().list(request, *args, **kwargs)

    @extend_schema(operation_id="auth_tokens_revoke", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Revoke one of your tokens (a lost phone): it stops working at once. Revoking the token this request
        is made with signs you out, like `auth/logout/`. Audited with the device's name."""
        device = selectors.token_get(user=_user(request), token_id=pk)
        services.token_revoke(user=_user(request), device=device, current=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="auth_tokens_refresh",
        request=None,
        responses={200: TokenSerializer},
        examples=[OpenApiExample("A new token for the same device", value=TOKEN_EXAMPLE, response_only=True)],
    )
    @action(detail=False, methods=["post"])
    @uncompressed  # the answer carries the new token (BREACH, docs/security.md)
    def refresh(self, request: Request) -> Response:
        """Swap the token this request is made with, while it still works, for a new one: a new secret, the full
        lifetime from now and the same device name, answered like `auth/login/`. The old token stops working in
        the same transaction. An expired or revoked token cannot be refreshed (401: sign in again), and of two
        refreshes of one token at once only one succeeds (the other is 401). Audited."""
        return Response(_token_answer(services.token_refresh(user=_user(request), token=request.auth)))


class MeView(APIView):
    """The caller and the organisations they belong to, with their role in each."""

    permission_classes = [IsAuthenticated]

    def _render(self, user: Any) -> Response:
        return Response(MeSerializer(selectors.user_with_memberships(user_id=user.pk)).data)

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        return self._render(request.user)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, operation_id="me_update")
    def patch(self, request: Request) -> Response:
        data = MeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(services.user_update(user=_user(request), **data.validated_data))


class OrganizationFilter(StrictFilterSet):
    class Meta:
        model = Organization
        fields = ["kind", "kyc_status", "country"]


@extend_schema(parameters=[ORGANIZATION_HEADER])
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your organisations (reviewers and staff: all of them). Another organisation's id is 404."""

    lookup_value_regex = UUID_PATTERN
    queryset = Organization.objects.none()  # for the schema; requests use get_queryset
    serializer_class = OrganizationSerializer
    permission_classes = [ActsForOrganization]
    filterset_class = OrganizationFilter

    def get_queryset(self) -> Any:
        return selectors.organizations_for(actor=get_actor(self.request))

    def get_object(self) -> Organization:
        return selectors.organization_get(actor=get_actor(self.request), organization_id=self.kwargs["pk"])

    @extend_schema(request=OrganizationUpdateSerializer, responses=OrganizationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        organization = self.get_object()
        services.require_admin_of(get_actor(request), organization)
        data = OrganizationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(
            actor=get_actor(request), organization=organization, **data.validated_data
        )
        return Response(OrganizationSerializer(organization).data)


@extend_schema(parameters=[ORGANIZATION_HEADER])
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members of one of your organisations. Admins change roles and remove members; anyone may leave."""

    lookup_value_regex = UUID_PATTERN
    queryset = Membership.objects.none()  # for the schema; requests use get_queryset
    serializer_class = MemberSerializer
    permission_classes = [ActsForOrganization]

    def get_organization(self) -> Organization:
        return selectors.organization_get(actor=get_actor(self.request), organization_id=self.kwargs["organization_pk"])

    def get_queryset(self) -> Any:
        return selectors.members_of(organization=self.get_organization())

    def get_object(self) -> Any:
        return selectors.member_get(organization=self.get_organization(), membership_id=self.kwargs["pk"])

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    @documents_problems(409)
    def partial_update(self, request: Request, organization_pk: str, pk: str) -> Response:
        membership = self.get_object()
        services.require_admin_of(get_actor(request), membership.organization)
        data = MemberUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "role" in data.validated_data:  # an empty PATCH changes nothing, like PATCH me/ or organizations/{id}/
            membership = services.membership_change_role(
                actor=get_actor(request), membership=membership, role=data.validated_data["role"]
            )
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    @documents_problems(409)
    def destroy(self, request: Request, organization_pk: str, pk: str) -> Response:
        services.membership_remove(actor=get_actor(request), membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _sent(issued: services.IssuedInvitation) -> Any:
    """The invitation, and whether its e-mail left (it is sent now: the invitation is committed)."""
    sent = services.invitation_email_send(issued=issued)
    message = "" if sent else _("The invitation was saved but its e-mail could not be sent. Resend it later.")
    return {**InvitationSerializer(issued.invitation).data, "email_sent": sent, "email_message": message}


class InvitationFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=[(kind, kind) for kind in Invitation.Kind.values])

    class Meta:
        model = Organization
        fields = ["kind"]


@extend_schema(parameters=[ORGANIZATION_HEADER])
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invitations your organisation sent. The network's reviewers invite producer organisations
    (`kind=producer_organization`) and support organisations (`kind=support_organization`, whose members are
    field officers producers may delegate to); an organisation's admin invites members (`kind=member`)."""

    lookup_value_regex = UUID_PATTERN
    queryset = Invitation.objects.none()  # for the schema; requests use get_queryset
    serializer_class = InvitationSerializer
    permission_classes = [IsOrganizationAdminOrReviewer]

    def get_throttles(self) -> list[Any]:
        # Sending an invitation e-mails someone outside: that is what the scope limits, not reading the list.
        self.throttle_scope = "invitations" if self.action == "create" else None
        return super().get_throttles()

    def get_queryset(self) -> Any:
        return selectors.invitations_for(actor=get_actor(self.request))

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSentSerializer})
    @documents_problems(409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.invitation_create(actor=get_actor(request), **data.validated_data)
        return Response(_sent(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSentSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str | None = None) -> Response:
        """Send the invitation again with a new token and a new expiry: the old token stops working. For an
        e-mail that was lost, or that the mail server refused (`email_sent: false`)."""
        issued = services.invitation_resend(actor=get_actor(request), invitation=self.get_object())
        return Response(_sent(issued))

    @extend_schema(request=None, responses=InvitationSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        invitation = services.invitation_revoke(actor=get_actor(request), invitation=self.get_object())
        return Response(InvitationSerializer(invitation).data)


class InvitationAcceptView(APIView):
    """Use an invitation token from the e-mail: create your account (or confirm it) and join."""

    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=InvitationAcceptSerializer, responses={201: AcceptResultSerializer}, operation_id="invitations_accept"
    )
    @documents_problems(409)
    @idempotent
    def post(self, request: Request) -> Response:
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.invitation_accept(**data.validated_data)
        body = AcceptResultSerializer({"user": result.user, "membership": result.membership}).data
        return Response(body, status=status.HTTP_201_CREATED)


class DelegationPagination(CursorPagination):
    ordering = "-granted_at"


@extend_schema(parameters=[ORGANIZATION_HEADER])
class DelegationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delegations to support organisations' field officers. A producer's people see the ones it granted; a
    field officer sees those granted to them; reviewers and staff see all. A producer's admins grant and
    revoke. The officer acts for the producer by sending its id in `X-Organization`, within the delegation's
    scopes (docs/delegation.md)."""

    lookup_value_regex = UUID_PATTERN
    queryset = Delegation.objects.none()  # for the schema; requests use get_queryset
    serializer_class = DelegationSerializer
    permission_classes = [ActsForOrganization]
    pagination_class = DelegationPagination

    def get_queryset(self) -> Any:
        return delegation.delegations_for(actor=get_actor(self.request))

    def get_object(self) -> Delegation:
        return delegation.delegation_get(actor=get_actor(self.request), delegation_id=self.kwargs["pk"])

    @extend_schema(
        examples=[OpenApiExample("The cooperative's delegation to its field officer", value=DELEGATION_EXAMPLE)]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delegations to support organisations' field officers, newest first, with their `status` today
        (`expired` once past `valid_until`). A producer's people see the ones it granted; a field officer sees
        those granted to them; reviewers and staff see all."""
        return super().list(request, *args, **kwargs)

    @extend_schema(examples=[OpenApiExample("Active", value=DELEGATION_EXAMPLE)])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=DelegationCreateSerializer,
        responses={201: DelegationSerializer},
        examples=[
            OpenApiExample(
                "Evidence and sites until the end of the year",
                value={
                    "officer_email": "officer@demo.test",
                    "scopes": ["evidence", "sites"],
                    "valid_until": "2026-12-31",
                },
                request_only=True,
            ),
            OpenApiExample("Granted", value=DELEGATION_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    @documents_problems(409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        """Let a field officer act for your producer organisation (its admins). An active delegation to the
        same officer is 409 `delegation_exists`; somebody who is not a support organisation's officer is 400
        `not_a_support_officer`."""
        actor = get_actor(request)
        delegation.require_producer_admin(actor)
        data = DelegationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        granted = delegation.delegation_grant(actor=actor, **data.validated_data)
        return Response(DelegationSerializer(granted).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=DelegationSerializer,
        examples=[OpenApiExample("Revoked", value=DELEGATION_REVOKED_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """End the delegation at once (the producer's admins): the officer's next request for the producer is
        refused. Revoking it again changes nothing."""
        revoked = delegation.delegation_revoke(actor=get_actor(request), delegation=self.get_object())
        return Response(DelegationSerializer(revoked).data)
