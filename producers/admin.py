"""Read-only: the profile, its identity (the RUC is the organisation's tax id), the verification, the sites
and the roster change only through the API's services, which check the rules and record the audit event; the
reference areas (protected areas, buffer zones, concessions) only through `manage.py load_reference_areas`, which
compares every site again."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from producers.models import MemberMiner, Producer, ReferenceArea, Site


class SiteInline(ReadOnlyAdmin, admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "concession_code", "district", "status", "reviewed_at"]
    show_change_link = True


@admin.register(Producer)
class ProducerAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["organization", "legal_kind", "legal_category", "district", "verification_status", "verified_at"]
    list_filter = ["verification_status", "legal_kind", "district"]
    search_fields = ["organization__legal_name", "ruc", "reinfo_code"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "producer", "concession_code", "district", "status"]
    list_filter = ["status", "district"]
    search_fields = ["name", "concession_code", "producer__organization__legal_name"]


@admin.register(MemberMiner)
class MemberMinerAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The roster holds personal data (DNI, year of birth) and decides the women-led figures."""

    list_display = ["full_name", "producer", "sex", "role", "active"]
    list_filter = ["sex", "role", "active"]
    search_fields = ["full_name", "dni"]


@admin.register(ReferenceArea)
class ReferenceAreaAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "kind", "code", "source", "loaded_at"]
    list_filter = ["kind", "source"]
    search_fields = ["name", "code"]
