"""Every write to producers: profile, verification, sites and roster. One audit event per change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.selectors import acting_organization, is_member, organization_admins
from accounts.services import organization_tax_id_set
from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import BadRequest, Conflict, PermissionDenied, field_error
from core.extensions import provider
from notifications.services import notify
from producers import selectors
from producers.geometry import WGS84, overlap_hectares, reference_shape, site_geometry, stored_shape
from producers.models import (
    FLAGGING_KINDS,
    SITE_TRANSITIONS,
    VERIFICATION_TRANSITIONS,
    LegalKind,
    MemberMiner,
    Producer,
    ReferenceArea,
    Site,
    Verification,
)

ADULT_AGE = 18
IDENTITY_FIELDS = ("legal_kind", "legal_category", "ruc", "dni", "holder_sex", "reinfo_code")
PROFILE_FIELDS = (*IDENTITY_FIELDS, "district", "contact_phone", "description_es", "description_en")
# While the network is looking at the profile, or vouches for it, identity fields cannot change.
IDENTITY_LOCKED = (Verification.SUBMITTED, Verification.VERIFIED, Verification.SUSPENDED, Verification.REVOKED)
REASON_REQUIRED = ("request_changes", "reject", "suspend", "revoke")


def require_producer_admin(actor: Actor, producer: Producer) -> None:
    if actor.is_staff:
        return
    if actor.organization_id != producer.pk or not actor.is_org_admin:
        raise PermissionDenied(_("Only an administrator of this producer can do this."), code="not_admin")


def require_site_keeper(actor: Actor, producer: Producer) -> None:
    """The producer's admins keep its sites, and so does a field officer whose delegation covers them."""
    if actor.organization_id == producer.pk and actor.is_delegate_for("sites"):
        return
    require_producer_admin(actor, producer)


def require_independent_reviewer(actor: Actor, organization_id: Any) -> None:
    """Reviewers decide; never on an organisation they belong to."""
    if not (actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the network's reviewers decide on this."), code="not_reviewer")
    if is_member(user=actor.user, organization_id=organization_id):
        raise PermissionDenied(
            _("You belong to this organisation: another reviewer must decide."), code="own_organization"
        )


def _check_identity(fields: dict[str, Any]) -> None:
    kind, ruc, dni = fields.get("legal_kind"), fields.get("ruc", ""), fields.get("dni", "")
    if kind == LegalKind.INDIVIDUAL:
        if not ruc.startswith("10"):
            raise field_error("ruc", "ruc_kind_mismatch", _("An individual miner's RUC starts with 10."))
        if not dni:
            raise field_error("dni", "required_for_individual", _("An individual miner gives her DNI."))
        if ruc[2:10] != dni:
            raise field_error("dni", "dni_ruc_mismatch", _("The DNI must be the one embedded in the RUC."))
        if not fields.get("holder_sex"):
            raise field_error("holder_sex", "required_for_individual", _("Say whether the miner is a woman or a man."))
    else:
        if not ruc.startswith("20"):
            raise field_error("ruc", "ruc_kind_mismatch", _("An organisation's RUC starts with 20."))
        fields["dni"] = ""
        fields["holder_sex"] = ""


# --- Profile --------------------------------------------------------------------------------------
def require_can_create_profile(actor: Actor) -> Organization:
    organization = acting_organization(actor)
    if organization is None or organization.kind != Organization.Kind.PRODUCER:
        raise PermissionDenied(_("Only a producer organisation has a producer profile."), code="not_producer")
    if not actor.is_org_admin:
        raise PermissionDenied(_("Only an administrator of this producer can do this."), code="not_admin")
    return organization


def _save_identity(producer: Producer, organization: Organization, save: Any) -> None:
    """Save, keeping the organisation's tax id equal to the RUC; a RUC held elsewhere is a field error."""
    taken = Organization.objects.filter(country="PE", tax_id=producer.ruc).exclude(pk=organization.pk).exists()
    if taken:
        raise field_error("ruc", "ruc_taken", _("Another producer is registered with this RUC."))
    try:
        with transaction.atomic():
            save()
            organization_tax_id_set(organization=organization, tax_id=producer.ruc)
    except IntegrityError:
        raise field_error("ruc", "ruc_taken", _("Another producer is registered with this RUC.")) from None


@transaction.atomic
def producer_create(*, actor: Actor, **fields: Any) -> Producer:
    organization = require_can_create_profile(actor)
    if Producer.objects.filter(pk=organization.pk).exists():
        raise Conflict(_("This organisation already has a producer profile."), code="profile_exists")
    values = {k: v for k, v in fields.items() if k in PROFILE_FIELDS}
    _check_identity(values)
    producer = Producer(organization=organization, **values)
    _save_identity(producer, organization, lambda: producer.save(force_insert=True))
    audit_record(
        action="producers.producer.created",
        actor=actor,
        target=producer,
        data={k: str(v) for k, v in values.items() if k not in ("dni",)},
    )
    return producer


@transaction.atomic
def producer_update(*, actor: Actor, producer: Producer, **fields: Any) -> Producer:
    require_producer_admin(actor, producer)
    # Decide on the row as it is now, and hold it: a submission or a verification committed since the caller
    # loaded its copy locks the identity, and must not be undone by saving that copy.
    producer = Producer.objects.select_for_update(of=("self",)).select_related("organization").get(pk=producer.pk)
    changes = {k: v for k, v in fields.items() if k in PROFILE_FIELDS and getattr(producer, k) != v}
    if not changes:
        return producer
    if set(changes) & set(IDENTITY_FIELDS) and producer.verification_status in IDENTITY_LOCKED:
        raise Conflict(
            _("Identity fields cannot change while the profile is submitted or verified."), code="profile_locked"
        )
    merged = {field: changes.get(field, getattr(producer, field)) for field in PROFILE_FIELDS}
    _check_identity(merged)  # may clear the DNI and sex when an individual becomes an organisation
    changes = {field: merged[field] for field in PROFILE_FIELDS if getattr(producer, field) != merged[field]}
    for field, value in changes.items():
        setattr(producer, field, value)
    _save_identity(producer, producer.organization, lambda: producer.save(update_fields=[*changes, "updated_at"]))
    if set(changes) & set(IDENTITY_FIELDS):
        provider("PRODUCER_IDENTITY_CHANGED")(organization_id=producer.pk)  # its verdicts, then its search rows
    else:
        provider("CATALOGUE_CHANGED")(producer_ids=[producer.pk])  # the district search filters by, for one
    audit_record(
        action="producers.producer.updated",
        actor=actor,
        subject_organization=producer.organization,
        target=producer,
        data={k: str(v) for k, v in changes.items() if k != "dni"},
    )
    return producer


@transaction.atomic
def producer_transition(*, actor: Actor, producer: Producer, move: str, reason: str = "") -> Producer:
    """submit (the producer's admin) or verify, request_changes, reject, suspend, reinstate, revoke (reviewers)."""
    allowed_from, target = VERIFICATION_TRANSITIONS[move]
    if move == "submit":
        require_producer_admin(actor, producer)
    else:
        require_independent_reviewer(actor, producer.pk)
    if move in REASON_REQUIRED and not reason.strip():
        raise field_error("reason", "required", _("Give the reason: the producer will read it."))
    if producer.verification_status == target:
        return producer  # a repeated move is a no-op
    if move == "submit" and not producer.sites.exists():
        raise Conflict(_("Add at least one mining site before submitting."), code="no_site")
    now = timezone.now()
    updates: dict[str, Any] = {
        "verification_status": target,
        "verification_reason": reason.strip(),
        "verification_changed_at": now,
        "verification_changed_by": actor.user,
        "updated_at": now,
    }
    if target == Verification.VERIFIED:
        updates["verified_at"] = now
    moved = Producer.objects.filter(pk=producer.pk, verification_status__in=allowed_from).update(**updates)
    if not moved:
        raise Conflict(
            _("This producer is %(status)s: it cannot be moved that way.")
            % {"status": Verification(producer.verification_status).label},
            code="invalid_transition",
        )
    previous = producer.verification_status
    producer.refresh_from_db()
    provider("CATALOGUE_CHANGED")(producer_ids=[producer.pk])  # only a verified producer's listings are offered
    audit_record(
        action=f"producers.producer.{move}",
        actor=actor,
        subject_organization=producer.organization,
        target=producer,
        data={"from": previous, "to": target, "reason": reason.strip()},
    )
    organization = producer.organization
    if move == "submit":
        from accounts.models import Membership

        reviewers = [
            m.user
            for m in Membership.objects.select_related("user").filter(
                organization__kind=Organization.Kind.NETWORK, role__in=("reviewer", "admin")
            )
        ]
        notify(
            recipients=reviewers,
            kind="producer_submitted",
            params={"organization": organization.legal_name},
            target=producer,
        )
    else:
        notify(
            recipients=organization_admins(organization_id=organization.pk),
            kind="producer_verification_changed",
            params={"organization": organization.legal_name, "status": target, "reason": reason.strip()},
            organization=organization,
            target=producer,
        )
    return producer


# --- Sites ----------------------------------------------------------------------------------------
def site_overlaps(site_shape: Any, areas: list[tuple[ReferenceArea, Any]]) -> list[dict[str, Any]]:
    """The reference areas (with their shapes) this site overlaps, as stored on the site."""
    found = []
    for area, area_shape in areas:
        overlap = overlap_hectares(site_shape, area_shape)
        if overlap is not None:
            found.append({"kind": area.kind, "code": area.code, "name": area.name, "overlap_hectares": str(overlap)})
    return found


def _site_fields(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if k in ("name", "concession_code", "district", "geometry")}
    crs = fields.get("crs")
    if crs is not None and "geometry" not in values:
        raise field_error("crs", "geometry_required", _("Send the geometry together with its coordinate system."))
    if "geometry" in values:
        try:
            checked = site_geometry(values["geometry"], crs or WGS84)
        except DjangoValidationError as exc:
            raise field_error("geometry", exc.code or "invalid_geometry", " ".join(exc.messages)) from None
        overlaps = site_overlaps(checked.shape, selectors.reference_area_shapes(kinds=FLAGGING_KINDS))
        values |= {
            "geometry": checked.geojson,
            "source_crs": crs or WGS84,
            "latitude": checked.latitude,
            "longitude": checked.longitude,
            "area_hectares": checked.area_hectares,
            "overlaps": overlaps,
            "flagged": bool(overlaps),
        }
    return values


@transaction.atomic
def site_create(*, actor: Actor, producer: Producer, **fields: Any) -> Site:
    require_site_keeper(actor, producer)
    values = _site_fields(fields)
    try:
        with transaction.atomic():
            site = Site.objects.create(producer=producer, **values)
    except IntegrityError:
        raise field_error(
            "concession_code", "concession_taken", _("This producer already has a site with this concession code.")
        ) from None
    audit_record(
        action="producers.site.created",
        actor=actor,
        subject_organization=producer.organization,
        target=site,
        data={
            "concession_code": site.concession_code,
            "district": site.district,
            "source_crs": site.source_crs,
            "overlaps": site.overlaps,
        },
    )
    # A new origin: the compliance app stores its verdict now (the producer's items that are not
    # site-specific already count for it), in this transaction.
    provider("SITE_ADDED")(organization_id=producer.pk)
    return site


@transaction.atomic
def site_update(*, actor: Actor, site: Site, **fields: Any) -> Site:
    require_site_keeper(actor, site.producer)
    if site.status == Site.Status.APPROVED:
        raise Conflict(_("An approved site cannot change: add a new site instead."), code="site_locked")
    values = _site_fields(fields)
    changes = {k: v for k, v in values.items() if getattr(site, k) != v}
    if not changes:
        return site
    previous = site.status
    try:
        with transaction.atomic():
            moved = Site.objects.filter(pk=site.pk, status=previous).update(
                **changes, status=Site.Status.PENDING, review_reason="", updated_at=timezone.now()
            )
    except IntegrityError:
        raise field_error(
            "concession_code", "concession_taken", _("This producer already has a site with this concession code.")
        ) from None
    if not moved:
        raise Conflict(_("The site changed meanwhile; reload it and try again."), code="stale_site")
    site.refresh_from_db()
    provider("CATALOGUE_CHANGED")(producer_ids=[site.producer_id])  # a site back to review hides its listings
    audit_record(
        action="producers.site.updated",
        actor=actor,
        subject_organization=site.producer.organization,
        target=site,
        data={k: str(v) for k, v in changes.items() if k not in ("geometry", "overlaps")}
        | {"geometry_changed": "geometry" in changes, "overlaps": site.overlaps},
    )
    return site


def _overlap_conflict(site: Site) -> Conflict:
    names = ", ".join(f"{o['name']} ({o['overlap_hectares']} ha)" for o in site.overlaps)
    return Conflict(
        _(
            "The site overlaps %(areas)s. To approve it, acknowledge the overlap "
            "(acknowledge_overlaps) and give the reason."
        )
        % {"areas": names},
        code="site_overlaps_protected_area",
        extra={"overlaps": site.overlaps},
    )


@transaction.atomic
def site_review(*, actor: Actor, site: Site, move: str, reason: str = "", acknowledge_overlaps: bool = False) -> Site:
    """approve or reject. A flagged site (it overlaps a protected area or buffer zone) is approved only with
    the overlaps acknowledged and a reason: the decision and its reason stay in the audit trail."""
    require_independent_reviewer(actor, site.producer_id)
    allowed_from, target = SITE_TRANSITIONS[move]
    if move == "reject" and not reason.strip():
        raise field_error("reason", "required", _("Give the reason: the producer will read it."))
    if site.status == target:
        return site
    acknowledged = acknowledge_overlaps and bool(reason.strip())
    if move == "approve" and site.flagged and not acknowledged:
        raise _overlap_conflict(site)
    candidates = Site.objects.filter(pk=site.pk, status__in=allowed_from)
    if move == "approve" and not acknowledged:
        candidates = candidates.filter(flagged=False)  # a reload may have flagged it meanwhile
    moved = candidates.update(
        status=target, review_reason=reason.strip(), reviewed_by=actor.user, reviewed_at=timezone.now()
    )
    site.refresh_from_db()
    if not moved:
        if move == "approve" and site.flagged and site.status in allowed_from:
            raise _overlap_conflict(site)
        raise Conflict(_("This site was already reviewed."), code="invalid_transition")
    provider("CATALOGUE_CHANGED")(producer_ids=[site.producer_id])  # listings are offered from approved sites
    organization = site.producer.organization
    data: dict[str, Any] = {"to": target, "reason": reason.strip(), "concession_code": site.concession_code}
    if move == "approve" and site.flagged:
        data["acknowledged_overlaps"] = site.overlaps
    audit_record(
        action=f"producers.site.{move}",
        actor=actor,
        subject_organization=organization,
        target=site,
        data=data,
    )
    notify(
        recipients=organization_admins(organization_id=organization.pk),
        kind="site_reviewed",
        params={"site": site.name, "organization": organization.legal_name, "status": target, "reason": reason},
        organization=organization,
        target=site,
    )
    return site


# --- Reference areas ------------------------------------------------------------------------------
def _feature_area(feature: Any, index: int) -> tuple[dict[str, Any], Any]:
    where = _("Feature %(number)s") % {"number": index + 1}
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BadRequest(_("%(where)s: not a GeoJSON Feature.") % {"where": where}, code="invalid_reference_file")
    properties = feature.get("properties") or {}
    name = str(properties.get("name") or "").strip()
    if not name or len(name) > 200:
        raise BadRequest(
            _("%(where)s: its properties need a name (at most 200 characters).") % {"where": where},
            code="invalid_reference_file",
        )
    try:
        area_shape = reference_shape(feature.get("geometry"))
    except DjangoValidationError as exc:
        raise BadRequest(f"{where}: {' '.join(exc.messages)}", code="invalid_reference_file") from None
    code = str(properties.get("code") or "").strip()[:60]
    return {"name": name, "code": code, "geometry": feature["geometry"]}, area_shape


@transaction.atomic
def reference_areas_load(*, kind: str, collection: Any, source: str, actor: Actor | None = None) -> dict[str, Any]:
    """Replace every reference area of this kind with the features of a GeoJSON FeatureCollection, then
    recompute every site's overlaps. All or nothing: one bad feature refuses the whole file."""
    if kind not in ReferenceArea.Kind.values:
        raise BadRequest(_("Unknown kind of reference area."), code="invalid_reference_kind")
    if not source.strip():
        raise BadRequest(_("Say where the areas come from (the source)."), code="invalid_reference_file")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BadRequest(_("The file must be a GeoJSON FeatureCollection."), code="invalid_reference_file")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise BadRequest(_("The FeatureCollection has no features."), code="invalid_reference_file")
    parsed = [_feature_area(feature, index) for index, feature in enumerate(features)]
    now = timezone.now()
    replaced, _deleted = ReferenceArea.objects.filter(kind=kind).delete()
    ReferenceArea.objects.bulk_create(
        ReferenceArea(kind=kind, source=source.strip(), loaded_at=now, **values) for values, _shape in parsed
    )
    audit_record(
        action="producers.reference_areas.loaded",
        actor=actor,
        data={"kind": kind, "source": source.strip(), "loaded": len(parsed), "replaced": replaced},
    )
    changed = sites_recheck_overlaps(actor=actor)
    return {"kind": kind, "loaded": len(parsed), "replaced": replaced, "sites_changed": changed}


@transaction.atomic
def sites_recheck_overlaps(*, actor: Actor | None = None) -> int:
    """Compare every site with the flagging reference areas again; audit each site whose findings change."""
    areas = selectors.reference_area_shapes(kinds=FLAGGING_KINDS)
    changed = 0
    for site in Site.objects.select_for_update().select_related("producer__organization").order_by("pk"):
        overlaps = site_overlaps(stored_shape(site.geometry), areas)
        if overlaps == site.overlaps:
            continue
        Site.objects.filter(pk=site.pk).update(overlaps=overlaps, flagged=bool(overlaps), updated_at=timezone.now())
        audit_record(
            action="producers.site.overlaps_changed",
            actor=actor,
            subject_organization=site.producer.organization,
            target=site,
            data={"from": site.overlaps, "to": overlaps, "status": site.status},
        )
        changed += 1
    return changed


# --- Roster ---------------------------------------------------------------------------------------
def _check_member(values: dict[str, Any], today: dt.date) -> None:
    birth_year = values.get("birth_year")
    if birth_year is not None and today.year - int(birth_year) < ADULT_AGE:
        raise field_error(
            "birth_year", "under_age", _("Nobody under 18 may work in the mine: the roster takes adults only.")
        )


@transaction.atomic
def member_miner_add(*, actor: Actor, producer: Producer, **fields: Any) -> MemberMiner:
    require_producer_admin(actor, producer)
    values = {k: v for k, v in fields.items() if k in ("full_name", "dni", "birth_year", "sex", "role", "active")}
    _check_member(values, clock.today_lima())
    try:
        with transaction.atomic():
            member = MemberMiner.objects.create(producer=producer, **values)
    except IntegrityError:
        raise field_error("dni", "dni_taken", _("This DNI is already on the roster.")) from None
    audit_record(
        action="producers.member_miner.added",
        actor=actor,
        subject_organization=producer.organization,
        target=member,
        data={"sex": member.sex, "role": member.role},
    )
    return member


@transaction.atomic
def member_miner_update(*, actor: Actor, member: MemberMiner, **fields: Any) -> MemberMiner:
    require_producer_admin(actor, member.producer)
    changes = {
        k: v
        for k, v in fields.items()
        if k in ("full_name", "dni", "birth_year", "sex", "role", "active") and getattr(member, k) != v
    }
    if not changes:
        return member
    _check_member(changes, clock.today_lima())
    for field, value in changes.items():
        setattr(member, field, value)
    try:
        with transaction.atomic():
            member.save(update_fields=list(changes))
    except IntegrityError:
        raise field_error("dni", "dni_taken", _("This DNI is already on the roster.")) from None
    audit_record(
        action="producers.member_miner.updated",
        actor=actor,
        subject_organization=member.producer.organization,
        target=member,
        data={k: str(v) for k, v in changes.items() if k not in ("dni", "full_name")},
    )
    return member


@transaction.atomic
def member_miner_remove(*, actor: Actor, member: MemberMiner) -> None:
    require_producer_admin(actor, member.producer)
    organization, member_id = member.producer.organization, member.pk
    member.delete()
    audit_record(
        action="producers.member_miner.removed",
        actor=actor,
        subject_organization=organization,
        target=organization,
        data={"member": str(member_id)},
    )
