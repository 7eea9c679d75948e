"""The search's filters, one set of rules for every reader: the API's search and a producer's own listings, and
the console's search page. `CatalogueFilter` filters the search read model's rows of what buyers see today;
`ListingFilter` a producer's own listings."""

from __future__ import annotations

from typing import Any

import django_filters

from core.filters import StrictFilterSet, bounded_decimal
from listings import selectors
from listings.models import FinenessBasis, Form, Incoterm, Listing, PriceBasis, SearchEntry, Status
from producers.models import District, LegalKind


class _OfferFilters(StrictFilterSet):
    """The search parameters both filter sets share, on columns of the same names in the listing and in its
    search row."""

    form = django_filters.MultipleChoiceFilter(choices=Form.choices, distinct=False)
    # Bounded like the stored values (per mille with one decimal; grams to the milligram): a value the database
    # field cannot hold is a 400 for the query parameter, not an error while building the query.
    fineness_min = bounded_decimal(field_name="fineness", lookup_expr="gte", maximum=1000, decimal_places=1)
    fineness_max = bounded_decimal(field_name="fineness", lookup_expr="lte", maximum=1000, decimal_places=1)
    min_available_grams = bounded_decimal(
        field_name="available_grams", lookup_expr="gte", maximum=1_000_000_000, decimal_places=3
    )
    price_basis = django_filters.ChoiceFilter(choices=PriceBasis.choices)
    fineness_basis = django_filters.ChoiceFilter(choices=FinenessBasis.choices)
    incoterm = django_filters.MultipleChoiceFilter(choices=Incoterm.choices, distinct=False)
    producer = django_filters.UUIDFilter(field_name="producer_id")
    claims = django_filters.CharFilter(method="filter_claims", help_text="Comma-separated: all must hold.")
    q = django_filters.CharFilter(method="filter_text", help_text="Words in the title or description (es, en).")


class ListingFilter(_OfferFilters):
    """A producer's own listings (`mine=true`), on the listings themselves."""

    district = django_filters.MultipleChoiceFilter(
        field_name="producer__district", choices=District.choices, distinct=False
    )
    producer_kind = django_filters.ChoiceFilter(field_name="producer__legal_kind", choices=LegalKind.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, help_text="Your own listings (mine=true)."
    )

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_claims(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.with_claims(queryset, _codes(value))

    def filter_text(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.search_own(queryset, value[: selectors.MAX_TEXT])


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()][:10]


class CatalogueFilter(_OfferFilters):
    """The same parameters on the search read model's rows of the listings buyers see today: the page is chosen
    from the read model alone, and only its rows are read (no join to the listing, its producer, its claims or
    the verdicts while filtering and ordering)."""

    district = django_filters.MultipleChoiceFilter(choices=District.choices, distinct=False)
    producer_kind = django_filters.ChoiceFilter(choices=LegalKind.choices)
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, method="filter_status", help_text="Your own listings (mine=true)."
    )

    class Meta:
        model = SearchEntry
        fields: list[str] = []

    def filter_claims(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.catalogue_with_claims(queryset, _codes(value))

    def filter_status(self, queryset: Any, name: str, value: list[str]) -> Any:
        return queryset if not value or Status.PUBLISHED in value else queryset.none()  # buyers see published ones

    def filter_text(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.search(queryset, value[: selectors.MAX_TEXT])
