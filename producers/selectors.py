"""Reads of producers, sites and rosters, scoped to the caller. What may not be seen is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from core.extensions import provider
from producers.geometry import stored_shape
from producers.models import MemberMiner, Producer, ReferenceArea, Site, Verification


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


def _women_majority(members: QuerySet[MemberMiner]) -> QuerySet[Any]:
    """The producers among these members' whose active roster is more than half women."""
    return (
        members.filter(active=True)
        .values("producer_id")
        .annotate(women=Count("pk", filter=Q(sex="female")), total=Count("pk"))
        .filter(total__gt=0, total__lt=2 * F("women"))
        .values("producer_id")
    )


def verified_condition(path: str = "") -> Q:
    """`Producer.is_verified` as a filter, on producers or on rows that reach one through `path`."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}verification_status": Verification.VERIFIED})


def women_led_condition() -> Q:
    """`is_women_led` as a filter on producers, for thousands of them in one query."""
    return Q(legal_kind="individual", holder_sex="female") | (
        ~Q(legal_kind="individual") & Q(pk__in=_women_majority(MemberMiner.objects.all()))
    )


def women_led_badge_condition() -> Q:
    """`shows_women_led` as a filter: what the directory's `women_led` filter and badge mean."""
    return verified_condition() & women_led_condition()


def women_led_producer_of(path: str) -> Q:
    """The same for rows that reach their producer through `path` (a listing: "producer"), correlated: a
    query that needs it for a few rows reads those producers' rosters (by the producer index) instead of
    grouping every roster."""
    own_roster = MemberMiner.objects.filter(producer_id=OuterRef(f"{path}_id"))
    return Q(**{f"{path}__legal_kind": "individual", f"{path}__holder_sex": "female"}) | (
        ~Q(**{f"{path}__legal_kind": "individual"}) & Q(Exists(_women_majority(own_roster)))
    )


def is_women_led(producer: Producer) -> bool:
    """An individual woman miner, or more than half of the active roster are women."""
    if producer.is_individual:
        return producer.holder_sex == "female"
    women = getattr(producer, "women_count", None)
    total = getattr(producer, "members_count", None)
    if women is None or total is None:
        counts = producer.members.filter(active=True).aggregate(
            women=Count("pk", filter=Q(sex="female")), total=Count("pk")
        )
        women, total = counts["women"], counts["total"]
    return total > 0 and women * 2 > total


def reference_area_shapes(*, kinds: tuple[str, ...]) -> list[tuple[ReferenceArea, Any]]:
    """The reference areas of these kinds with their shapes, to compare sites with."""
    return [(area, stored_shape(area.geometry)) for area in ReferenceArea.objects.filter(kind__in=kinds)]


def shows_women_led(producer: Producer) -> bool:
    """The women-led badge (and the claims that rest on it): a verified producer that is women-led."""
    return producer.is_verified and is_women_led(producer)
