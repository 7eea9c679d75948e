"""Reads of producers, sites and rosters, scoped to the caller. What may not be seen is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from core.extensions import provider
from producers.geometry import stored_shape
from producers.models import MemberMiner, Producer, ReferenceArea, Site, Verification

# The claim the directory's `women_led` field and filter name: like every claim it rests on approved evidence
# (compliance), never on the roster the producer edits (the roster's counts are shown as `women_count`).
WOMEN_LED = "women_led"


def with_roster_figures(queryset: QuerySet[Producer]) -> QuerySet[Producer]:
    active = Q(members__active=True)
    return queryset.annotate(
        women_count=Count("members", filter=active & Q(members__sex="female")),
        members_count=Count("members", filter=active),
    )


def can_see_private(*, actor: Actor, producer: Producer) -> bool:
    """The producer's own people, reviewers and staff see everything; others see the public profile."""
    return actor.is_staff or actor.is_reviewer or actor.organization_id == producer.pk


def is_counterparty(*, actor: Actor, producer: Producer) -> bool:
    """A buyer organisation with an inquiry with this producer (trade answers, through the
    PRODUCER_COUNTERPARTIES setting): it sees the exact geometry of the producer's sites."""
    if actor.organization_kind != "buyer" or actor.organization_id is None:
        return False
    producer_ids = provider("PRODUCER_COUNTERPARTIES")(actor.organization_id)
    return bool(producer_ids.filter(producer_id=producer.pk).exists())


def producers_for(*, actor: Actor) -> QuerySet[Producer]:
    """Reviewers and staff see every producer; everybody else sees verified ones and their own."""
    producers = with_roster_figures(Producer.objects.select_related("organization"))
    if actor.is_staff or actor.is_reviewer:
        return producers
    visible = verified_condition()
    if actor.organization_id is not None:
        visible |= Q(pk=actor.organization_id)
    return producers.filter(visible)


def producer_get(*, actor: Actor, producer_id: Any) -> Producer:
    producer = producers_for(actor=actor).filter(pk=producer_id).first()
    if producer is None:
        raise NotFound()
    return producer


def sites_of(*, actor: Actor, producer: Producer) -> QuerySet[Site]:
    sites = Site.objects.filter(producer=producer).select_related("producer")
    return sites if can_see_private(actor=actor, producer=producer) else sites.filter(status=Site.Status.APPROVED)


def sites_for_review() -> QuerySet[Site]:
    """Every producer's sites, oldest first: the reviewers' view across producers (the view lets in only the
    network's reviewers and staff)."""
    return Site.objects.select_related("producer__organization").order_by("created_at", "id")


def site_get(*, actor: Actor, producer: Producer, site_id: Any) -> Site:
    site = sites_of(actor=actor, producer=producer).filter(pk=site_id).first()
    if site is None:
        raise NotFound()
    return site


def roster_of(*, actor: Actor, producer: Producer) -> QuerySet[MemberMiner]:
    """Personal data: only the producer's admins, reviewers and staff."""
    if actor.is_staff or actor.is_reviewer or (actor.organization_id == producer.pk and actor.is_org_admin):
        return MemberMiner.objects.filter(producer=producer)
    if actor.organization_id == producer.pk:
        raise PermissionDenied(_("Only the producer's administrators see the member roster."), code="not_admin")
    raise NotFound()


def member_miner_get(*, actor: Actor, producer: Producer, member_id: Any) -> MemberMiner:
    member = roster_of(actor=actor, producer=producer).filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    return member


def verified_condition(path: str = "") -> Q:
    """`Producer.is_verified` as a filter, on producers or on rows that reach one through `path`."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}verification_status": Verification.VERIFIED})


def reference_area_shapes(*, kinds: tuple[str, ...]) -> list[tuple[ReferenceArea, Any]]:
    """The reference areas of these kinds with their shapes, to compare sites with."""
    return [(area, stored_shape(area.geometry)) for area in ReferenceArea.objects.filter(kind__in=kinds)]
