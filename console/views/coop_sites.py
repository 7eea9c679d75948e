"""The cooperative's sites: the list with each site's review, and a new site entered by its point, from the
phone's GPS or typed as latitude and longitude, or as UTM zone 19S coordinates from a concession map. The API's
serializer checks the point (inside Madre de Dios, a real UTM pair) and the API's service stores it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from console.views.base import Refusal, checked, delegable, once_per_form, page, signed_in
from core.errors import DomainError, field_error
from producers import selectors, services
from producers.api.serializers import SiteInputSerializer
from producers.models import District, SourceCrs

MODES = ("gps", "utm")
UTM_DATUMS = (SourceCrs.UTM_19S, SourceCrs.UTM_19S_PSAD56)


def _number(post: Any, name: str) -> float:
    from django.utils.translation import gettext

    raw = post.get(name, "").strip().replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        raise field_error("geometry", "invalid_coordinates", gettext("Give both coordinates as numbers.")) from None


def _point(post: Any) -> tuple[dict[str, Any], str]:
    """The GeoJSON point and its coordinate system, as the API takes them, from the form's fields."""
    if post.get("mode") == "utm":
        crs = (
            post.get("datum")
            if post.get("datum") in (SourceCrs.UTM_19S, SourceCrs.UTM_19S_PSAD56)
            else SourceCrs.UTM_19S
        )
        return {"type": "Point", "coordinates": [_number(post, "easting"), _number(post, "northing")]}, crs
    return {"type": "Point", "coordinates": [_number(post, "longitude"), _number(post, "latitude")]}, SourceCrs.WGS84


@delegable("sites")
@signed_in
def site_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        producer = selectors.producer_get(actor=actor, producer_id=actor.organization_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    sites = selectors.sites_of(actor=actor, producer=producer).order_by("name")
    return page(request, "console/coop/sites.html", {"sites": list(sites)})


@require_http_methods(["GET", "POST"])
@delegable("sites")
@signed_in
@once_per_form
def site_new(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "values": request.POST,
        "districts": District.choices,
        "datums": [
            (SourceCrs.UTM_19S.value, SourceCrs.UTM_19S.label),
            (SourceCrs.UTM_19S_PSAD56.value, SourceCrs.UTM_19S_PSAD56.label),
        ],
        "mode": request.POST.get("mode", "gps") if request.POST.get("mode") in MODES else "gps",
    }
    try:
        producer = selectors.producer_get(actor=actor, producer_id=actor.organization_id)
        services.require_producer_admin(actor, producer)
        if request.method == "POST":
            geometry, crs = _point(request.POST)
            body = {
                "name": request.POST.get("name", ""),
                "concession_code": request.POST.get("concession_code", ""),
                "district": request.POST.get("district", ""),
                "geometry": geometry,
                "crs": crs,
            }
            data = checked(SiteInputSerializer, body)
            services.site_create(actor=actor, producer=producer, **data.validated_data)
            return HttpResponseRedirect(reverse("console:coop-sites"))
    except DomainError as error:
        context["refusal"] = Refusal.of(error)
        return page(request, "console/coop/site_new.html", context, status=error.status)
    return page(request, "console/coop/site_new.html", context)
