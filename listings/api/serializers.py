from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance import catalogue
from core.money import Currency, Money
from core.serializers import CharField, DecimalField, GramsField, ModelSerializer, MoneyField, MoneySerializer
from listings.indicative import listing_indicative_price
from listings.models import (
    FinenessBasis,
    Incoterm,
    Kind,
    Listing,
    ListingLot,
    ListingPrice,
    PriceBasis,
    SourcingRequest,
)
from prices.models import Benchmark
from provenance.models import Form, ProcessingMethod


class OfferedLotSerializer(serializers.Serializer):
    """A lot a spot listing offers, as anyone may see it: what it is, not where it is or who holds it (the
    lot's sources, assays and custody are for the producer, reviewers and buyers under an inquiry)."""

    id = serializers.UUIDField(source="lot.pk")
    code = CharField(source="lot.code")
    form = serializers.ChoiceField(source="lot.form", choices=Form.choices)
    gross_grams = GramsField(source="lot.gross_grams")
    fineness = serializers.SerializerMethodField()
    fire_assayed = serializers.SerializerMethodField()
    production_from = serializers.DateField(source="lot.production_from")
    production_to = serializers.DateField(source="lot.production_to")
    live = serializers.BooleanField(help_text="Still offered by this listing (false once it was withdrawn).")

    def get_fineness(self, row: ListingLot) -> str:
        return f"{row.lot.fineness_in_force():.1f}"

    def get_fire_assayed(self, row: ListingLot) -> bool:
        return any(assay.method == "fire_assay" for assay in row.lot.assays.all())


def offered_lot(row: ListingLot) -> dict[str, Any]:
    lot = row.lot
    return {
        "id": str(lot.pk),
        "code": lot.code,
        "form": lot.form,
        "gross_grams": f"{lot.gross_grams:.3f}",
        "fineness": f"{lot.fineness_in_force():.1f}",
        "fire_assayed": any(assay.method == "fire_assay" for assay in lot.assays.all()),
        "production_from": lot.production_from.isoformat(),
        "production_to": lot.production_to.isoformat(),
        "live": row.live,
    }


class ListingBadgeSerializer(serializers.Serializer):
    code = CharField()
    assurance = CharField(help_text="self_declared, reviewer_verified or third_party_certified")
    evidence_types = serializers.ListField(
        child=CharField(), help_text="The evidence types (GET /api/v1/evidence-types/{code}/) that back the claim."
    )


class ListingSerializer(ModelSerializer):
    producer = serializers.UUIDField(source="producer_id", read_only=True)
    producer_name = CharField(source="producer.organization.legal_name", read_only=True)
    district = CharField(source="producer.district", read_only=True)
    sites = serializers.SerializerMethodField()
    claims = serializers.SerializerMethodField()
    badges = serializers.SerializerMethodField()
    quantity_grams = GramsField(read_only=True)
    available_grams = GramsField(read_only=True)
    min_order_grams = GramsField(read_only=True)
    monthly_capacity_grams = GramsField(
        read_only=True, allow_null=True, help_text="Forward listings: what the sites can deliver in one month."
    )
    lots = serializers.SerializerMethodField()
    fineness = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    fine_grams = GramsField(read_only=True)
    karat = DecimalField(max_digits=5, decimal_places=2, read_only=True)
    price_per_fine_gram = serializers.SerializerMethodField()
    premium_per_kg_fine = serializers.SerializerMethodField()
    lbma_adjustment_percent = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    troy_ounces = DecimalField(
        max_digits=14, decimal_places=4, read_only=True, help_text="Troy ounces of fine gold available."
    )

    class Meta:
        model = Listing
        fields = [
            "id",
            "producer",
            "producer_name",
            "district",
            "kind",
            "sites",
            "lots",
            "form",
            "quantity_grams",
            "available_grams",
            "min_order_grams",
            "monthly_capacity_grams",
            "fineness",
            "fineness_basis",
            "fine_grams",
            "troy_ounces",
            "karat",
            "processing_methods",
            "claims",
            "badges",
            "price_basis",
            "price_per_fine_gram",
            "lbma_adjustment_percent",
            "premium_per_kg_fine",
            "premium_currency",
            "incoterm",
            "incoterm_place",
            "valid_from",
            "valid_until",
            "title_es",
            "title_en",
            "description_es",
            "description_en",
            "status",
            "close_reason",
            "published_at",
            "created_at",
            "updated_at",
            "photos",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Listing) -> dict[str, Any]:
        """DRF's loop without its per-field lookup machinery: search renders thousands of these (the hot
        path in bench/README.md). Each field still formats its own value with its own `to_representation`,
        so the output is DRF's; tests/listings/test_serializers.py compares the two on every demo listing."""
        out: dict[str, Any] = {}
        for name, field, source in self._plan():
            if source is None:  # a method field: it reads the instance itself
                out[name] = field.to_representation(instance)
                continue
            value: Any = instance
            for attribute in source:
                value = getattr(value, attribute)
                if value is None:
                    break
            out[name] = None if value is None else field.to_representation(value)
        return out

    def _plan(self) -> list[tuple[str, Any, tuple[str, ...] | None]]:
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = [
                (
                    field.field_name,
                    field,
                    None if isinstance(field, serializers.SerializerMethodField) else tuple(field.source_attrs),
                )
                for field in self._readable_fields
            ]
            self.__dict__["_fast_plan"] = plan
        return plan

    def get_sites(self, obj: Listing) -> list[str]:
        return [str(site.pk) for site in obj.sites.all()]

    @extend_schema_field(OfferedLotSerializer(many=True))
    def get_lots(self, obj: Listing) -> list[dict[str, Any]]:
        """Spot listings: the recorded lots offered (empty for forward listings). Search renders thousands of
        listings: the summary is built without a serializer per row; tests/listings/test_serializers.py checks
        that it is what OfferedLotSerializer gives."""
        return [offered_lot(row) for row in obj.listing_lots.all()]

    def get_photos(self, obj: Listing) -> list[str]:
        return [f"/api/v1/listings/{obj.pk}/photos/{photo.position}/" for photo in obj.photos.all()]

    def get_claims(self, obj: Listing) -> list[str]:
        return [row.claim_id for row in obj.claim_rows.all()]

    @extend_schema_field(ListingBadgeSerializer(many=True))
    def get_badges(self, obj: Listing) -> list[dict[str, Any]]:
        """Each claim with its assurance level and the evidence types that back it. The catalogue is read once
        per response (the context is shared by every row of a list), and only when a row has claims."""
        codes = [row.claim_id for row in obj.claim_rows.all()]
        if not codes:
            return []
        context = cast(dict[str, Any], self.context)  # the root's dict, shared by every row
        if "claim_backing" not in context:
            context["claim_backing"] = catalogue.claim_evidence_types()
        backing = context["claim_backing"]
        return [{"code": code, **backing.get(code, {"assurance": "", "evidence_types": []})} for code in codes]

    @staticmethod
    def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
        return None if amount is None else Money(amount, currency).as_dict()

    def get_price_per_fine_gram(self, obj: Listing) -> dict[str, Any] | None:
        return self._money(obj.price_per_fine_gram_minor, obj.currency)

    def get_premium_per_kg_fine(self, obj: Listing) -> dict[str, Any] | None:
        """Per kilogram of fine gold, in `premium_currency`."""
        return self._money(obj.premium_per_kg_fine_minor, obj.premium_currency)

    def get_lbma_adjustment_percent(self, obj: Listing) -> str | None:
        return None if obj.lbma_adjustment_bp is None else str(Decimal(obj.lbma_adjustment_bp) / 100)


class ListingInputSerializer(serializers.Serializer):
    """A spot listing names its `lots` and takes its sites, form, quantity, fineness and methods from them
    (sending those is 400 `derived_from_lots`). A forward listing names its `sites`, `form`, `quantity_grams`,
    `min_order_grams`, `fineness` and `fineness_basis` (400 `required_for_forward` without them) and may give a
    `monthly_capacity_grams` (by default its whole quantity)."""

    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.FORWARD)
    lots = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=20, required=False)
    sites = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=20, required=False)
    form = serializers.ChoiceField(choices=Form.choices, required=False)
    quantity_grams = GramsField(required=False)
    min_order_grams = GramsField(required=False, help_text="Spot listings: by default the smallest lot.")
    monthly_capacity_grams = GramsField(required=False, help_text="Forward listings only.")
    fineness = DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal("1"), max_value=Decimal("1000"), required=False
    )
    fineness_basis = serializers.ChoiceField(choices=FinenessBasis.choices, required=False)
    processing_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcessingMethod.choices), max_length=10, required=False
    )
    claims = serializers.ListField(child=CharField(max_length=30), max_length=10, default=list)
    price_basis = serializers.ChoiceField(choices=PriceBasis.choices)
    price_per_fine_gram = MoneyField(required=False, allow_null=True, default=None)
    lbma_adjustment_percent = DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-50"),
        max_value=Decimal("50"),
        required=False,
        allow_null=True,
        default=None,
    )
    premium_per_kg_fine_minor = serializers.IntegerField(
        min_value=0,
        max_value=10**9,
        default=0,
        help_text="Minor units of `premium_currency` (cents, céntimos) per kilogram of fine gold.",
    )
    premium_currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)
    incoterm = serializers.ChoiceField(choices=Incoterm.choices)
    incoterm_place = CharField(max_length=120)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    title_es = CharField(max_length=160)
    title_en = CharField(max_length=160, required=False, allow_blank=True, default="")
    description_es = CharField(max_length=5000, required=False, allow_blank=True, default="")
    description_en = CharField(max_length=5000, required=False, allow_blank=True, default="")

    def to_service(self, partial: bool = False) -> dict[str, Any]:
        return price_to_service(dict(self.validated_data), partial)


def price_to_service(data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """The service's arguments: money as minor units, the LBMA adjustment as basis points."""
    if not partial or "price_per_fine_gram" in data:
        price = data.pop("price_per_fine_gram", None)
        data["price_per_fine_gram_minor"] = price.amount_minor if price else None
        data["currency"] = price.currency if price else Currency.USD
    if not partial or "lbma_adjustment_percent" in data:
        adjustment = data.pop("lbma_adjustment_percent", None)
        data["lbma_adjustment_bp"] = int(adjustment * 100) if adjustment is not None else None
    return data


class ListingRepriceSerializer(serializers.Serializer):
    """The whole new price of a listing on the market, as it will stand: its basis, the price per fine gram
    (fixed) or the adjustment to the LBMA Gold Price (LBMA bases), and the premium with its currency."""

    price_basis = serializers.ChoiceField(choices=PriceBasis.choices)
    price_per_fine_gram = MoneyField(required=False, allow_null=True, default=None, help_text="Fixed basis only.")
    lbma_adjustment_percent = DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-50"),
        max_value=Decimal("50"),
        required=False,
        allow_null=True,
        default=None,
        help_text="LBMA bases only: -2.00 is the fix minus 2 %.",
    )
    premium_per_kg_fine_minor = serializers.IntegerField(
        min_value=0,
        max_value=10**9,
        help_text="Minor units of `premium_currency` (cents, céntimos) per kilogram of fine gold; 0 for none.",
    )
    premium_currency = serializers.ChoiceField(choices=Currency.choices)
    reason = CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the price changes, kept with the version (its producer, reviewers and staff read it).",
    )

    def to_service(self) -> dict[str, Any]:
        return price_to_service(dict(self.validated_data))


class ListingPriceSerializer(ModelSerializer):
    """One version of a listing's price: 1 is the price it was first published at, each re-price the next."""

    price_per_fine_gram = serializers.SerializerMethodField()
    lbma_adjustment_percent = serializers.SerializerMethodField()
    premium_per_kg_fine = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True)
    created_by_name = CharField(source="created_by.full_name", read_only=True)

    class Meta:
        model = ListingPrice
        fields = [
            "number",
            "price_basis",
            "price_per_fine_gram",
            "lbma_adjustment_percent",
            "premium_per_kg_fine",
            "premium_currency",
            "reason",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_price_per_fine_gram(self, obj: ListingPrice) -> dict[str, Any] | None:
        amount = obj.price_per_fine_gram_minor
        return None if amount is None else Money(amount, obj.currency).as_dict()

    def get_lbma_adjustment_percent(self, obj: ListingPrice) -> str | None:
        return None if obj.lbma_adjustment_bp is None else str(Decimal(obj.lbma_adjustment_bp) / 100)

    @extend_schema_field(MoneySerializer)
    def get_premium_per_kg_fine(self, obj: ListingPrice) -> dict[str, Any]:
        return Money(obj.premium_per_kg_fine_minor, obj.premium_currency).as_dict()


class IndicativeFixSerializer(serializers.Serializer):
    benchmark = serializers.ChoiceField(choices=Benchmark.choices)
    date = serializers.DateField(help_text="The London day of the fix.")
    usd_per_troy_ounce = CharField(help_text="US dollars per troy ounce of fine gold, three decimals.")
    sample = serializers.BooleanField(help_text="A demonstration figure, not a real fix.")


class IndicativeRateSerializer(serializers.Serializer):
    base = CharField(help_text="USD")
    quote = CharField(help_text="PEN")
    date = serializers.DateField()
    rate = CharField(help_text="Soles per US dollar, six decimals.")
    sample = serializers.BooleanField(help_text="A demonstration figure, not a real rate.")


class IndicativePriceSerializer(serializers.Serializer):
    """About what a fine gram of the listing costs in US dollars today, premium included: to compare and sort
    offers in soles and dollars, fixed or on the LBMA Gold Price (docs/pricing-offers.md). A contract is priced
    by its own terms. Null when a figure it needs is not recorded (an LBMA listing and no fix of its benchmark,
    a price or premium in soles and no USD/PEN rate)."""

    usd_per_fine_gram = MoneySerializer()
    includes_premium = serializers.BooleanField()
    fix = IndicativeFixSerializer(allow_null=True, help_text="The fix it reads (LBMA bases), else null.")
    rate = IndicativeRateSerializer(
        allow_null=True, help_text="The USD/PEN rate it reads (a price or premium in soles), else null."
    )


class ObstacleSerializer(serializers.Serializer):
    code = CharField()
    message = CharField()
    what_to_do = CharField()
    site = serializers.UUIDField(
        allow_null=True,
        help_text="The listing's site whose origin (the producer at that site) misses it; null for what the "
        "producer misses as a whole.",
    )


class ListingSearchSerializer(ListingSerializer):
    """A listing as the search (and a listing's own page) shows it: with its indicative price in US dollars per
    fine gram, from the latest LBMA fixes and USD/PEN rate recorded."""

    # The figures are the context's `market`: a `Market`, or a function giving it (the view's, which reads them
    # once per request, when the first row is rendered).

    indicative_price = serializers.SerializerMethodField()

    class Meta(ListingSerializer.Meta):
        fields = [*ListingSerializer.Meta.fields, "indicative_price"]
        read_only_fields = fields

    @extend_schema_field(IndicativePriceSerializer(allow_null=True))
    def get_indicative_price(self, obj: Listing) -> dict[str, Any] | None:
        market = self.context["market"]
        found = listing_indicative_price(obj, market() if callable(market) else market)
        return None if found is None else found.as_dict()


class ListingDetailSerializer(ListingSearchSerializer):
    """For the listing's own producer, reviewers and staff: whether buyers see it today, and why not."""

    visible = serializers.BooleanField(required=False)
    hidden_because = ObstacleSerializer(many=True, required=False)

    class Meta(ListingSearchSerializer.Meta):
        fields = [*ListingSearchSerializer.Meta.fields, "visible", "hidden_because"]
        read_only_fields = ListingSearchSerializer.Meta.fields


class HoldSerializer(ObstacleSerializer):
    released_by = serializers.ChoiceField(
        choices=["network_reviewer"],
        help_text="Who lifts the hold: a reviewer of the network's technical support group "
        "(`POST /api/v1/listings/{id}/release/`).",
    )


class ListingPublishSerializer(ListingSerializer):
    """The listing after `publish`. `status` is `held` when more fine gold is offered than the producer's
    latest production declaration supports: buyers do not see it until a network reviewer releases it, and
    `hold` says so in the caller's language (null when the listing is not held)."""

    hold = HoldSerializer(allow_null=True)

    class Meta(ListingSerializer.Meta):
        fields = [*ListingSerializer.Meta.fields, "hold"]
        read_only_fields = ListingSerializer.Meta.fields


class SourcingRequestSerializer(ModelSerializer):
    """A buyer's standing need. Who has it (`buyer`) is shown to buyers, reviewers and staff only: producers
    browsing open requests see the need, not who has it."""

    grams = GramsField(read_only=True)
    min_fineness = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    max_price_per_fine_gram = serializers.SerializerMethodField()
    buyer = serializers.UUIDField(source="buyer_id", read_only=True, required=False)

    class Meta:
        model = SourcingRequest
        fields = [
            "id",
            "buyer",
            "title",
            "grams",
            "min_fineness",
            "forms",
            "claims",
            "max_price_per_fine_gram",
            "incoterm",
            "delivery_from",
            "delivery_until",
            "notes",
            "state",
            "created_at",
        ]
        read_only_fields = [f for f in fields if f != "buyer"]
        extra_kwargs = {"buyer": {"required": False}}
        omitted_for_some_readers = ["buyer"]  # the schema says so (openapi/schema.py)

    def get_max_price_per_fine_gram(self, obj: SourcingRequest) -> dict[str, Any] | None:
        if obj.max_price_per_fine_gram_minor is None:
            return None
        return Money(obj.max_price_per_fine_gram_minor, obj.currency).as_dict()

    def to_representation(self, instance: SourcingRequest) -> dict[str, Any]:
        body = super().to_representation(instance)
        if not self.context.get("show_buyer", False):
            body.pop("buyer", None)
        return body


class SourcingRequestInputSerializer(serializers.Serializer):
    title = CharField(max_length=160)
    grams = GramsField()
    min_fineness = DecimalField(max_digits=5, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("1000"))
    forms = serializers.ListField(child=serializers.ChoiceField(choices=Form.choices), max_length=4, default=list)
    claims = serializers.ListField(child=CharField(max_length=30), max_length=10, default=list)
    max_price_per_fine_gram = MoneyField(required=False, allow_null=True, default=None)
    incoterm = serializers.ChoiceField(choices=Incoterm.choices, required=False, allow_blank=True, default="")
    delivery_from = serializers.DateField()
    delivery_until = serializers.DateField()
    notes = CharField(max_length=2000, required=False, allow_blank=True, default="")

    def to_service(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        price = data.pop("max_price_per_fine_gram", None)
        data["max_price_per_fine_gram_minor"] = price.amount_minor if price else None
        data["currency"] = price.currency if price else Currency.USD
        return data


class MatchSerializer(serializers.Serializer):
    listing = ListingSerializer()
    score = serializers.IntegerField(help_text="How many criteria the listing meets.")
    criteria = serializers.DictField(
        child=serializers.BooleanField(), help_text="Each criterion of the request and whether the listing meets it."
    )
    reasons = serializers.DictField(
        child=CharField(),
        help_text="For each criterion, why it is met or not, with the figures compared, in the language asked "
        "for (Accept-Language): `fineness`, `claims`, `quantity`, `min_order`, `price`, `incoterm`, "
        "`delivery_window`.",
    )


class FacetCountSerializer(serializers.Serializer):
    value = CharField()
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    district = FacetCountSerializer(many=True)
    form = FacetCountSerializer(many=True)
    claims = FacetCountSerializer(many=True)
    price_basis = FacetCountSerializer(many=True)
    producer_kind = FacetCountSerializer(many=True)


class PhotoUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text="JPEG, PNG or WebP; at most 8.")
