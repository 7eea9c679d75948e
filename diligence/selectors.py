"""Reads of red flags, scoped to the caller (a flag the caller may not see does not exist: 404).

- the network's reviewers and staff: every flag;
- a producer's members: the flags against their producer, its sites and its lots (without who opened or
  closed them: the network speaks as one);
- buyers: none, not even a flag against themselves. A flag against a buyer is most often a sanctions or
  money-laundering match, and telling the buyer would tip it off; the network contacts the buyer itself. A
  buyer with the producer's consent will read a producer's flags in the due-diligence pack
  (`flags_for_producer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from core.actor import Actor
from core.errors import NotFound
from diligence.models import (
    PRODUCER_SIDE,
    FlagStatus,
    RedFlag,
    RedFlagAnswer,
    RedFlagAttachment,
    RedFlagCategory,
    SanctionsList,
    Screening,
    Severity,
)


def categories() -> QuerySet[RedFlagCategory]:
    return RedFlagCategory.objects.all()


def flag_relations(flags: QuerySet[RedFlag]) -> QuerySet[RedFlag]:
    """What a flag's representation reads: its subject's names, category, answers and attachments."""
    return flags.select_related(
        "organization", "site", "lot", "category", "opened_by", "close_proposed_by", "closed_by"
    ).prefetch_related(
        Prefetch("answers", queryset=RedFlagAnswer.objects.select_related("answered_by").order_by("answered_at", "id")),
        Prefetch("attachments", queryset=RedFlagAttachment.objects.order_by("position")),
    )


def sees_everything(actor: Actor) -> bool:
    return actor.is_reviewer or actor.is_staff


def flags_for(*, actor: Actor) -> QuerySet[RedFlag]:
    flags = flag_relations(RedFlag.objects.all())
    if sees_everything(actor):
        return flags
    if actor.organization_kind == "producer" and actor.organization_id is not None:
        return flags.filter(organization_id=actor.organization_id, subject_kind__in=PRODUCER_SIDE)
    return flags.none()


def flag_get(*, actor: Actor, flag_id: Any) -> RedFlag:
    flag = flags_for(actor=actor).filter(pk=flag_id).first()
    if flag is None:
        raise NotFound()
    return flag


def attachment_get(*, actor: Actor, flag_id: Any, position: int) -> RedFlagAttachment:
    flag = flag_get(actor=actor, flag_id=flag_id)
    attachment = RedFlagAttachment.objects.select_related("flag").filter(flag=flag, position=position).first()
    if attachment is None:
        raise NotFound()
    return attachment


def against_producer(flags: QuerySet[RedFlag], producer_id: Any) -> QuerySet[RedFlag]:
    """Of `flags`, those against a producer, its sites and its lots."""
    return flags.filter(organization_id=producer_id, subject_kind__in=PRODUCER_SIDE)


def flags_for_producer(producer_id: Any) -> list[RedFlag]:
    """Every flag against a producer, its sites and its lots, open and closed, with answers and attachments,
    newest first: for the due-diligence pack a buyer reads with the producer's consent (the caller checks the
    consent). Two queries whatever the count, plus one per relation prefetched."""
    return list(against_producer(flag_relations(RedFlag.objects.all()), producer_id).order_by("-opened_at", "id"))


def suspending_flags() -> QuerySet[RedFlag]:
    """The flags that suspend offers: open and of high severity (a small partial index)."""
    return RedFlag.objects.filter(status=FlagStatus.OPEN, severity=Severity.HIGH)


def buyer_under_review(buyer_id: Any) -> bool:
    """Whether an open high-severity flag stands against this buyer organisation."""
    return suspending_flags().filter(organization_id=buyer_id, subject_kind="buyer").exists()


@dataclass(frozen=True)
class ScreeningState:
    """An organisation's last sanctions screening, and whether a list now in force was imported after it (or it
    was never screened while lists were in force): it then needs screening again."""

    screened_at: dt.datetime | None
    hits: int
    needs_screening: bool


def screening_states(organization_ids: Iterable[Any]) -> dict[Any, ScreeningState]:
    """For each organisation, its last screening against the lists in force. Two queries whatever the count."""
    ids = list(organization_ids)
    newest_list = (
        SanctionsList.objects.filter(superseded_at__isnull=True)
        .order_by("-imported_at")
        .values_list("imported_at", flat=True)
    ).first()
    latest: dict[Any, Screening] = {}
    for screening in Screening.objects.filter(organization_id__in=ids).order_by(
        "organization_id", "-screened_at", "-id"
    ):
        latest.setdefault(screening.organization_id, screening)
    states = {}
    for pk in ids:
        last = latest.get(pk)
        stale = newest_list is not None and (last is None or last.screened_at < newest_list)
        states[pk] = ScreeningState(last.screened_at if last else None, len(last.hits) if last else 0, stale)
    return states
