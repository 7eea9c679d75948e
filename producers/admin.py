from django.contrib import admin

from producers.models import MemberMiner, Producer, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["name", "concession_code", "district", "status", "reviewed_at"]
    readonly_fields = ["status", "reviewed_at"]
    show_change_link = True


@admin.register(Producer)
class ProducerAdmin(admin.ModelAdmin):
    """State fields change only through the API's moves, so they are read-only here too."""

    list_display = ["organization", "legal_kind", "legal_category", "district", "verification_status", "verified_at"]
    list_filter = ["verification_status", "legal_kind", "district"]
    search_fields = ["organization__legal_name", "ruc", "reinfo_code"]
    readonly_fields = ["verification_status", "verification_changed_at", "verification_changed_by", "verified_at"]
    raw_id_fields = ["organization"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "producer", "concession_code", "district", "status"]
    list_filter = ["status", "district"]
    search_fields = ["name", "concession_code", "producer__organization__legal_name"]
    readonly_fields = ["status", "reviewed_by", "reviewed_at"]


@admin.register(MemberMiner)
class MemberMinerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "producer", "sex", "role", "active"]
    list_filter = ["sex", "role", "active"]
    search_fields = ["full_name", "dni"]
