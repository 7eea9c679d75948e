"""Staff keep the catalogue and the policy here. A policy in force is never edited: a change is a new
version, effective from a date, so that decisions taken under the old one stay as they were. The same holds
for a deadline set by law (`ValidityDeadline`: a decree that moves it is a new row) and for the validity
rule of an evidence type that a policy in force requires (read-only here; the models refuse it too). Nothing
new may take effect before today. Every save is audited (audit/admin_mixins.py) and recomputes the stored
standings in the same transaction; evidence is read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest

from audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin, admin_audit
from compliance.deadlines import validity_deadlines_apply
from compliance.models import (
    Claim,
    Evidence,
    EvidenceBasis,
    EvidenceDecision,
    EvidenceFile,
    EvidenceType,
    KycPolicy,
    Policy,
    Requirement,
    ReviewReason,
    ValidityDeadline,
)
from compliance.standing import standings_refresh
from core import clock


class RefreshesStandings(AuditedAdmin):
    """A change to the catalogue or to a policy can change every organisation's verdict: the stored
    standings are recomputed in the same transaction as the change."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        standings_refresh()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        standings_refresh()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        standings_refresh()


class NotBeforeTodayForm(forms.ModelForm):
    """A new version (a policy, a deadline) takes effect today or later: one dated before would change
    verdicts already given."""

    def clean_effective_from(self) -> dt.date:
        value: dt.date = self.cleaned_data["effective_from"]
        if value < clock.today_lima():
            raise forms.ValidationError(
                "A new version cannot take effect before today: that would change decisions already taken.",
                code="edits_the_past",
            )
        return value


class EvidenceBasisInline(admin.TabularInline):
    model = EvidenceBasis
    extra = 0
    fields = ["position", "citation", "clause", "url", "to_confirm", "note"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(EvidenceType)
class EvidenceTypeAdmin(RefreshesStandings):
    """A type's validity rule decides when evidence lapses, so a change recomputes the standings too; once a
    policy in force requires the type, the rule is read-only (a new rule is a new type in a new policy
    version). The norms that ask for the type are edited below it."""

    list_display = ["code", "name_en", "area", "subject", "validity", "validity_days", "purpose", "needs_second_review"]
    list_filter = ["area", "subject", "validity", "purpose", "needs_second_review"]
    search_fields = ["code", "name_en", "name_es"]
    inlines = [EvidenceBasisInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.in_force_policy_uses(clock.today_lima()):
            fields += list(EvidenceType.VALIDITY_FIELDS)
        return fields


@admin.register(ValidityDeadline)
class ValidityDeadlineAdmin(RefreshesStandings):
    """Deadlines set by law. When a decree moves one, add a row with the new deadline, the norm, where it was
    read and the day it takes effect (today or later): a row in force is never edited. A row in force today
    moves the items granted an earlier deadline at once; a later one is applied by the daily
    `apply_validity_deadlines`."""

    form = NotBeforeTodayForm
    list_display = ["code", "deadline", "effective_from", "norm", "in_force_or_past"]
    list_filter = ["code"]

    @admin.display(boolean=True, description="in force or past")
    def in_force_or_past(self, obj: ValidityDeadline) -> bool:
        return obj.effective_from <= clock.today_lima()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False  # in force (or was): add a new row instead
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if form.instance.effective_from == clock.today_lima():
            validity_deadlines_apply()
        super().save_related(request, form, formsets, change)


@admin.register(Requirement)
class RequirementAdmin(RefreshesStandings):
    list_display = ["code", "name_en", "area"]
    list_filter = ["area"]
    filter_horizontal = ["evidence_types"]
    search_fields = ["code", "name_en", "name_es"]


@admin.register(Claim)
class ClaimAdmin(RefreshesStandings):
    list_display = ["code", "name_en", "assurance", "rule"]
    filter_horizontal = ["requirements", "implies"]


@admin.register(Policy)
class PolicyAdmin(RefreshesStandings):
    form = NotBeforeTodayForm
    list_display = ["subject", "version", "effective_from", "in_force_or_past"]
    list_filter = ["subject"]
    filter_horizontal = ["requirements"]
    actions = ["copy_as_new_version"]

    @admin.display(boolean=True, description="in force or past")
    def in_force_or_past(self, obj: Policy) -> bool:
        return obj.effective_from <= clock.today_lima()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False  # in force (or was): make a new version instead
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Copy as a new version, effective tomorrow (then edit it)")
    @transaction.atomic
    def copy_as_new_version(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        tomorrow = clock.today_lima() + dt.timedelta(days=1)
        for policy in queryset:
            latest = Policy.objects.filter(subject=policy.subject).aggregate(v=Max("version"))["v"] or 0
            if Policy.objects.filter(subject=policy.subject, effective_from__gte=tomorrow).exists():
                messages.warning(request, f"{policy.subject}: a future version already exists; edit that one.")
                continue
            copy = Policy.objects.create(
                subject=policy.subject,
                version=latest + 1,
                effective_from=tomorrow,
                notes=f"Copied from version {policy.version}.",
            )
            copy.requirements.set(policy.requirements.all())
            admin_audit(request, copy, "added", ["copied_from_version"])
            standings_refresh()
            messages.success(request, f"{policy.subject} v{copy.version} created, effective {tomorrow}.")


@admin.register(KycPolicy)
class KycPolicyAdmin(AuditedAdmin):
    """How long a buyer's KYC verification counts. A version in force (or past) is read-only: a change is a
    new version effective today or later (the model refuses one that edits the past, with a message)."""

    list_display = ["effective_from", "validity_months", "reminder_days", "source", "in_force_or_past"]

    @admin.display(boolean=True, description="in force or past")
    def in_force_or_past(self, obj: KycPolicy) -> bool:
        return obj.effective_from <= clock.today_lima()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= clock.today_lima():
            return False
        return super().has_delete_permission(request, obj)


class EvidenceFileInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    can_delete = False
    readonly_fields = ["position", "original_name", "content_type", "size", "sha256", "created_at"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceDecisionInline(admin.TabularInline):
    model = EvidenceDecision
    extra = 0
    can_delete = False
    readonly_fields = ["action", "reviewer", "reason", "valid_until", "file_hashes", "decided_at"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: evidence is immutable, and decisions go through the API so they are audited."""

    list_display = ["evidence_type", "organization", "document_number", "status", "valid_until", "created_at"]
    list_filter = ["status", "evidence_type__area", "evidence_type"]
    search_fields = ["document_number", "organization__legal_name"]
    inlines = [EvidenceFileInline, EvidenceDecisionInline]


@admin.register(ReviewReason)
class ReviewReasonAdmin(AuditedAdmin):
    """The reviewers' common reasons. A reason already offered is reworded by a new row (same code, a later
    `effective_from`) and the old one retired (`retired_on`): decisions copy the text, so none changes."""

    list_display = ["code", "move", "text_es", "effective_from", "retired_on", "position"]
    list_filter = ["move"]
    search_fields = ["code", "text_es", "text_en"]
