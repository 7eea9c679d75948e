"""The rule that keeps the public impact report from singling anybody out (docs/impact.md), as versioned data.

A figure of the report is published only when at least `min_group_size` distinct producers stand behind it.
The number is the network's decision, not a law, and it may change: a change is a new version from its
`valid_from` day, never an edit of one in force, so a month already judged keeps the answer it had.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import Conflict

MIN_GROUP_SIZE_FLOOR = 2  # a "group" of one producer is that producer: no version may publish it
MIN_GROUP_SIZE_CEILING = 100


class PolicyInForce(Conflict):
    """A change to a version in force (or past): a new version is the only change."""

    code = "edits_the_past"


class ReportPolicy(models.Model):
    """The smallest number of distinct producers a published figure may describe, from `valid_from` on. The
    version that judges a month is the one in force on the month's last day (today, for the month under way);
    before the first version, the first one judges: nothing is ever published without a rule.

    A version in force (or past) is never edited or deleted; a new one takes effect today at the earliest (the
    admin refuses an earlier day; the ORM lets tests and the seeding migration write history)."""

    min_group_size = models.PositiveSmallIntegerField(
        help_text="A figure describing fewer distinct producers than this (but more than none) is not published."
    )
    valid_from = models.DateField(unique=True)
    source = models.CharField(max_length=300, help_text="Who decided this number, when, and on what grounds.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = "report policy"
        verbose_name_plural = "report policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_group_size__gte=MIN_GROUP_SIZE_FLOOR, min_group_size__lte=MIN_GROUP_SIZE_CEILING),
                name="report_policy_min_group_size_range",
            ),
            models.CheckConstraint(condition=~Q(source=""), name="report_policy_source_named"),
        ]

    def __str__(self) -> str:
        return f"at least {self.min_group_size} producers a figure, from {self.valid_from}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            today = clock.today_lima()
            stored = type(self).objects.filter(pk=self.pk).values_list("valid_from", flat=True).first()
            if stored is not None and stored <= today:
                raise PolicyInForce(_("This report policy is in force: add a new version instead of editing it."))
            if self.valid_from < today:
                raise PolicyInForce(_("A report policy cannot take effect before today."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.valid_from <= clock.today_lima():
            raise PolicyInForce(_("This report policy is in force or past: it cannot be deleted."))
        return super().delete(*args, **kwargs)

    def in_force_or_past(self, today: dt.date | None = None) -> bool:
        return self.valid_from <= (today or clock.today_lima())

    def clean(self) -> None:
        """What the admin form checks: a new version (or a future one moved) takes effect today at the earliest."""
        if self.valid_from is not None and self.valid_from < clock.today_lima():
            raise ValidationError(
                {"valid_from": "A new version takes effect today at the earliest: it cannot change the past."},
                code="edits_the_past",
            )
        if self.min_group_size is not None and not (
            MIN_GROUP_SIZE_FLOOR <= self.min_group_size <= MIN_GROUP_SIZE_CEILING
        ):
            raise ValidationError(
                {
                    "min_group_size": f"From {MIN_GROUP_SIZE_FLOOR} to {MIN_GROUP_SIZE_CEILING}: "
                    "a group of one producer is that producer."
                },
                code="invalid",
            )
