"""The two shapes a Django admin page may take here.

`ReadOnlyAdmin`: staff look, and every change goes through the API's services, which check the rules and
record the audit event. Use it for anything with a rule or a state (organisations, memberships, producers,
listings...).

`AuditedAdmin`: staff keep plain data here (the requirement catalogue, the policy, user accounts) and each
save or delete records an audit event (`<app>.<model>.admin_<verb>`, e.g. `accounts.user.admin_changed`)
in the admin's own transaction, naming the fields that changed (never
their values: a password hash has no place in the trail).

tests/core/test_admin.py walks every registered admin and fails on one that saves without either.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from audit.services import audit_record


class ReadOnlyAdmin:
    """Mix in before `admin.ModelAdmin` or an inline: no add, no change, no delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def admin_audit(request: HttpRequest, obj: Model, verb: str, fields: list[str]) -> None:
    audit_record(
        action=f"{obj._meta.app_label}.{obj._meta.model_name}.admin_{verb}",
        actor=request.user,
        target=obj,
        data={"fields": sorted(fields), "object": str(obj)[:200]},
    )


class AuditedAdmin(admin.ModelAdmin):
    """Each add, change and delete made in the admin leaves an audit event in the same transaction."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = list(form.changed_data)
        for formset in formsets:
            if formset.has_changed():
                changed.append(formset.prefix)
        admin_audit(request, form.instance, "changed" if change else "added", changed)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        admin_audit(request, obj, "deleted", [])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            admin_audit(request, obj, "deleted", [])
        super().delete_queryset(request, queryset)
