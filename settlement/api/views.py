"""A signed contract's shipments, the weighings and assays they are settled from, the bank payments between
the two parties and where the money stands.

Every path resolves the contract (or payment) within what the caller may see first (another organisation's is
404), then checks the role (403: only an admin of one of the two parties writes), then the shipment (404),
then reads the body (400), then the service checks the state (409).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actor import get_actor
from core.errors import documents_problems
from core.idempotency import idempotent
from core.permissions import ActsForOrganization
from settlement import payments, records, selectors
from settlement.api.serializers import (
    AssayResultSerializer,
    BalanceSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    ShipmentAssayCorrectionSerializer,
    ShipmentAssayInputSerializer,
    ShipmentRecordsSerializer,
    WeighingInputSerializer,
    WeighingSerializer,
)
from settlement.balance import contract_balance
from settlement.common import admin_side, require_own_party
from trade.models import Contract

_CONTRACT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
_PRODUCER_ADMIN = "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b"
_BUYER_ADMIN = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
WEIGHING_EXAMPLE = {
    "id": "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
    "contract": _CONTRACT,
    "shipment": 1,
    "party": "seller",
    "gross_grams": "301.250",
    "weighed_on": "2027-01-12",
    "recorded_by": _PRODUCER_ADMIN,
    "recorded_by_name": "Rosa Quispe Mamani",
    "recorded_at": "2027-01-12T16:05:00-05:00",
}
ASSAY_EXAMPLE = {
    "id": "7a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9",
    "contract": _CONTRACT,
    "shipment": 1,
    "party": "umpire",
    "au_per_mille": "918.6",
    "ag_per_mille": "62.0",
    "laboratory": "Alex Stewart International, Lima",
    "certificate_number": "ASI-2027-00417",
    "assayed_on": "2027-01-26",
    "cost": {"amount_minor": 35000, "currency": "USD"},
    "recorded_by": _BUYER_ADMIN,
    "recorded_by_name": "Anna Keller",
    "recorded_at": "2027-01-27T09:40:00-05:00",
}
STATEMENT_EXAMPLE = {
    "id": "8b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
    "kind": "provisional",
    "issued_at": "2027-01-13T10:00:00-05:00",
}
SHIPMENT_EXAMPLE = {
    "number": 1,
    "quantity_grams": "300.000",
    "delivery_date": "2027-01-15",
    "incoterm": "FCA",
    "incoterm_place": "Puerto Maldonado",
    "lots": [{"id": "9c4d5e6f-7081-4293-a4b5-c6d7e8f90123", "code": "L-0412"}],
    "weighings": [
        WEIGHING_EXAMPLE,
        WEIGHING_EXAMPLE
        | {"id": "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e10", "party": "buyer", "gross_grams": "300.980"}
        | {"weighed_on": "2027-01-19", "recorded_by": _BUYER_ADMIN, "recorded_by_name": "Anna Keller"}
        | {"recorded_at": "2027-01-19T11:30:00-05:00"},
    ],
    "assays": [
        ASSAY_EXAMPLE
        | {"id": "7a2b3c4d-5e6f-4071-8293-a4b5c6d7e800", "party": "seller", "au_per_mille": "921.4"}
        | {"laboratory": "Laboratorio Regional de Madre de Dios", "certificate_number": "LR-0412", "cost": None}
        | {"assayed_on": "2027-01-11", "recorded_by": _PRODUCER_ADMIN, "recorded_by_name": "Rosa Quispe Mamani"},
        ASSAY_EXAMPLE
        | {"id": "7a2b3c4d-5e6f-4071-8293-a4b5c6d7e801", "party": "buyer", "au_per_mille": "917.9"}
        | {"laboratory": "Helvetia Responsible Refining SA", "certificate_number": "HRR-88120", "cost": None}
        | {"assayed_on": "2027-01-21"},
        ASSAY_EXAMPLE,
    ],
    "assay_difference": "3.5",
    "splitting_limit": "0.5",
    "umpire_laboratory": "Alex Stewart International, Lima",
    "umpire_needed": True,
    "statements": [STATEMENT_EXAMPLE],
}
PAYMENT_EXAMPLE = {
    "id": "0d5e6f70-8192-43a4-b5c6-d7e8f9012345",
    "contract": _CONTRACT,
    "shipment": 1,
    "kind": "provisional",
    "payer": "buyer",
    "amount": {"amount_minor": 2434320, "currency": "USD"},
    "paid_on": "2027-01-14",
    "bank_reference": "UBS-CH-2027-0114-7731",
    "note": "90 % on the declared weight and assay.",
    "recorded_by": _BUYER_ADMIN,
    "recorded_by_name": "Anna Keller",
    "recorded_at": "2027-01-14T08:12:00-05:00",
    "confirmed": True,
    "confirmed_by": _PRODUCER_ADMIN,
    "confirmed_by_name": "Rosa Quispe Mamani",
    "confirmed_at": "2027-01-16T12:00:00-05:00",
}
_NOTHING_MOVED = {
    "paid_by_buyer_minor": 0,
    "paid_by_producer_minor": 0,
    "unconfirmed_by_buyer_minor": 0,
    "unconfirmed_by_producer_minor": 0,
}
BALANCE_EXAMPLE = {
    "contract": _CONTRACT,
    "currency": "USD",
    "shipments": [
        {
            "number": 1,
            "owed_minor": 2704800,
            "owed_by": "final",
            "statement": "8b3c4d5e-6f70-4182-93a4-b5c6d7e8f902",
            "paid_by_buyer_minor": 2434320,
            "paid_by_producer_minor": 0,
            "unconfirmed_by_buyer_minor": 0,
            "unconfirmed_by_producer_minor": 0,
            "outstanding_minor": 270480,
        },
        {"number": 2, "owed_minor": 0, "owed_by": None, "statement": None, **_NOTHING_MOVED, "outstanding_minor": 0},
    ],
    "unallocated": _NOTHING_MOVED,
    "deposit": {"applied_minor": 270480, "held_minor": 0},
    "total": {
        "owed_minor": 2704800,
        "paid_by_buyer_minor": 2434320,
        "paid_by_producer_minor": 0,
        "unconfirmed_by_buyer_minor": 0,
        "unconfirmed_by_producer_minor": 0,
        "deposit_applied_minor": 270480,
        "outstanding_minor": 0,
    },
}

WEIGHING_PARTY = OpenApiParameter(
    "party", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["seller", "buyer"], description="Whose weight."
)
ASSAY_PARTY = OpenApiParameter(
    "party", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["seller", "buyer", "umpire"], description="Whose assay."
)
SHIPMENT = OpenApiParameter("n", OpenApiTypes.INT, OpenApiParameter.PATH, description="The shipment's number, 1..n.")


def _answer(body: Any, created: bool) -> Response:
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _writer(request: Request, contract_id: Any, shipment: int | None = None) -> tuple[Any, Contract, str]:
    """The actor, the contract as it may see it (404) and its side as an admin of a party (403); then the
    shipment (404) once the contract has a signed version (an unsigned one is the service's 409)."""
    actor = get_actor(request)
    contract = selectors.contract_get(actor=actor, contract_id=contract_id)
    side = admin_side(actor, contract)
    if shipment is not None and contract.signed_version_id is not None:
        selectors.require_shipment(contract, shipment)
    return actor, contract, side


def _context(contract: Contract) -> dict[str, Any]:
    return {"currency": selectors.contract_currency(contract)}


class ShipmentListView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=ShipmentRecordsSerializer(many=True),
        operation_id="contracts_shipments_list",
        examples=[OpenApiExample("One shipment, assays beyond the splitting limit", value=[SHIPMENT_EXAMPLE])],
    )
    def get(self, request: Request, id: str) -> Response:
        """The signed contract's shipments in number order (none before it is signed): each one's terms from the
        signed version, its weighings and assays, whether the umpire settles it, and its statements. For both
        parties' people, reviewers and staff."""
        contract = selectors.contract_get(actor=get_actor(request), contract_id=id)
        shipments = selectors.shipment_records(contract)
        return Response(ShipmentRecordsSerializer(shipments, many=True, context=_context(contract)).data)


class ShipmentDetailView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=ShipmentRecordsSerializer,
        parameters=[SHIPMENT],
        operation_id="contracts_shipments_retrieve",
        examples=[OpenApiExample("Assays beyond the splitting limit, the umpire's recorded", value=SHIPMENT_EXAMPLE)],
    )
    def get(self, request: Request, id: str, n: int) -> Response:
        """One shipment of the signed contract, as the list shows it; 404 `shipment_not_found` for a number the
        signed version does not have."""
        contract = selectors.contract_get(actor=get_actor(request), contract_id=id)
        return Response(ShipmentRecordsSerializer(selectors.shipment_get(contract, n), context=_context(contract)).data)


class WeighingCreateView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=WeighingInputSerializer,
        responses={201: WeighingSerializer, 200: WeighingSerializer},
        parameters=[SHIPMENT],
        operation_id="contracts_shipments_weighings_create",
        examples=[
            OpenApiExample(
                "The seller's weight at dispatch",
                value={"gross_grams": "301.250", "weighed_on": "2027-01-12"},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=WEIGHING_EXAMPLE, response_only=True, status_codes=["201", "200"]),
        ],
    )
    @documents_problems(409)
    @idempotent
    def post(self, request: Request, id: str, n: int) -> Response:
        """Record your side's gross weight of the shipment (an admin of either party): the producer's is the
        seller's declared weight at dispatch, the buyer's the weight received. The same figures again answer the
        stored weighing (200) and record nothing; other figures are 409 `already_recorded` (correct them with
        PUT). 409 `contract_not_settling` unless the contract is signed, delivered or completed; 400 for a weight
        of 0 or a day in the future or before the signature. The other side is notified."""
        actor, contract, _side = _writer(request, id, n)
        data = WeighingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        weighing, created = records.weighing_record(actor=actor, contract=contract, shipment=n, **data.validated_data)
        return _answer(WeighingSerializer(weighing).data, created)


class WeighingCorrectView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=WeighingInputSerializer,
        responses=WeighingSerializer,
        parameters=[SHIPMENT, WEIGHING_PARTY],
        operation_id="contracts_shipments_weighings_update",
        examples=[
            OpenApiExample(
                "A corrected dispatch weight",
                value={"gross_grams": "301.205", "weighed_on": "2027-01-12"},
                request_only=True,
            ),
            OpenApiExample("Corrected", value=WEIGHING_EXAMPLE | {"gross_grams": "301.205"}, response_only=True),
        ],
    )
    @documents_problems(409)
    def put(self, request: Request, id: str, n: int, party: str) -> Response:
        """Correct your side's recorded weight (seller: the producer's admin; buyer: the buyer's admin), until a
        statement of the shipment rests on it: 409 `statement_issued` after; 404 `not_recorded` before it is
        recorded. The same figures change nothing."""
        actor, contract, side = _writer(request, id, n)
        require_own_party(side, party)
        data = WeighingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        weighing = records.weighing_correct(
            actor=actor, contract=contract, shipment=n, party=party, **data.validated_data
        )
        return Response(WeighingSerializer(weighing).data)


class AssayCreateView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=ShipmentAssayInputSerializer,
        responses={201: AssayResultSerializer, 200: AssayResultSerializer},
        parameters=[SHIPMENT],
        operation_id="contracts_shipments_assays_create",
        examples=[
            OpenApiExample(
                "The umpire's assay",
                value={
                    "party": "umpire",
                    "au_per_mille": "918.6",
                    "ag_per_mille": "62.0",
                    "laboratory": "Alex Stewart International, Lima",
                    "certificate_number": "ASI-2027-00417",
                    "assayed_on": "2027-01-26",
                    "cost": {"amount_minor": 35000, "currency": "USD"},
                },
                request_only=True,
            ),
            OpenApiExample("Recorded", value=ASSAY_EXAMPLE, response_only=True, status_codes=["201", "200"]),
        ],
    )
    @documents_problems(409)
    @idempotent
    def post(self, request: Request, id: str, n: int) -> Response:
        """Record an assay of the shipment: the seller's (the producer's admin), the buyer's (the buyer's admin),
        or the umpire's (either side's admin), which only once both are recorded and differ by more than the
        signed splitting limit (409 `umpire_not_needed`), from the laboratory the terms name (400) and alone with
        a `cost`. Fineness from 0 to 1000 per mille. The same figures again answer the stored assay (200); other
        figures are 409 `already_recorded`. The other side is notified."""
        actor, contract, side = _writer(request, id, n)
        data = ShipmentAssayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        party = data.validated_data["party"]
        require_own_party(side, party)
        assay, created = records.assay_record(
            actor=actor, contract=contract, shipment=n, party=party, figures=data.figures()
        )
        return _answer(AssayResultSerializer(assay, context=_context(contract)).data, created)


class AssayCorrectView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=ShipmentAssayCorrectionSerializer,
        responses=AssayResultSerializer,
        parameters=[SHIPMENT, ASSAY_PARTY],
        operation_id="contracts_shipments_assays_update",
        examples=[
            OpenApiExample(
                "A corrected certificate number",
                value={
                    "au_per_mille": "921.4",
                    "ag_per_mille": "61.2",
                    "laboratory": "Laboratorio Regional de Madre de Dios",
                    "certificate_number": "LR-0412-B",
                    "assayed_on": "2027-01-11",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Corrected",
                value=ASSAY_EXAMPLE
                | {"party": "seller", "au_per_mille": "921.4", "ag_per_mille": "61.2", "cost": None}
                | {"laboratory": "Laboratorio Regional de Madre de Dios", "certificate_number": "LR-0412-B"},
                response_only=True,
            ),
        ],
    )
    @documents_problems(409)
    def put(self, request: Request, id: str, n: int, party: str) -> Response:
        """Correct a recorded assay (the seller's by the producer's admin, the buyer's by the buyer's, the
        umpire's by either), until a statement of the shipment rests on it: 409 `statement_issued` after; 404
        `not_recorded` before it is recorded."""
        actor, contract, side = _writer(request, id, n)
        require_own_party(side, party)
        data = ShipmentAssayCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assay = records.assay_correct(actor=actor, contract=contract, shipment=n, party=party, figures=data.figures())
        return Response(AssayResultSerializer(assay, context=_context(contract)).data)


class ContractPaymentsView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=PaymentSerializer(many=True),
        operation_id="contracts_payments_list",
        examples=[OpenApiExample("A provisional payment, confirmed", value=[PAYMENT_EXAMPLE])],
    )
    def get(self, request: Request, id: str) -> Response:
        """The bank payments recorded on the contract, oldest transfer first, confirmed or not, for both parties'
        people, reviewers and staff."""
        contract = selectors.contract_get(actor=get_actor(request), contract_id=id)
        return Response(PaymentSerializer(selectors.payments_of(contract), many=True).data)

    @extend_schema(
        request=PaymentInputSerializer,
        responses={201: PaymentSerializer, 200: PaymentSerializer},
        operation_id="contracts_payments_create",
        examples=[
            OpenApiExample(
                "The buyer's provisional payment",
                value={
                    "kind": "provisional",
                    "shipment": 1,
                    "amount": {"amount_minor": 2434320, "currency": "USD"},
                    "paid_on": "2027-01-14",
                    "bank_reference": "UBS-CH-2027-0114-7731",
                    "note": "90 % on the declared weight and assay.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Recorded, waiting for the producer's confirmation",
                value=PAYMENT_EXAMPLE
                | {"confirmed": False, "confirmed_by": None, "confirmed_by_name": None}
                | {"confirmed_at": None},
                response_only=True,
                status_codes=["201", "200"],
            ),
        ],
    )
    @documents_problems(409)
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        """Record a bank transfer your side made to the other (an admin of either party: the buyer paying the
        producer, or the producer paying back). The same bank reference again, with the same amount, currency and
        date, answers the stored payment (200) and records nothing; other figures are 409 `bank_reference_used`
        (with the `payment` that has it). 409 `contract_not_payable` unless the contract is signed, delivered or
        completed; 400 for another currency than the contract's, an amount of 0, a day in the future or a
        shipment the contract does not have. The other side is asked to confirm it."""
        actor, contract, _side = _writer(request, id)
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment, created = payments.payment_record(actor=actor, contract=contract, **data.validated_data)
        return _answer(PaymentSerializer(payment).data, created)


class PaymentConfirmView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=None,
        responses=PaymentSerializer,
        operation_id="payments_confirm_create",
        examples=[OpenApiExample("Confirmed", value=PAYMENT_EXAMPLE)],
    )
    def post(self, request: Request, id: str) -> Response:
        """The receiving side's admin confirms the money arrived; confirming it again changes nothing. The payer
        cannot confirm its own transfer (403 `payer_cannot_confirm`). The payer is notified."""
        actor = get_actor(request)
        payment = selectors.payment_get(actor=actor, payment_id=id)
        payments.require_confirmer(actor, payment)
        payments.payment_confirm(actor=actor, payment=payment)
        return Response(PaymentSerializer(selectors.payment_get(actor=actor, payment_id=id)).data)


class BalanceView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=BalanceSerializer,
        operation_id="contracts_balance_retrieve",
        examples=[OpenApiExample("The first shipment settled, the second not yet shipped", value=BALANCE_EXAMPLE)],
    )
    def get(self, request: Request, id: str) -> Response:
        """Where the contract's money stands, in its currency's minor units, per shipment and in total: what the
        issued statements say is owed (a shipment's final statement's net value, else its provisional statement's
        amount due), the confirmed payments each way, those not confirmed yet (apart, not counted), the deposit
        released to the producer (counted as paid by the buyer; one still held is shown, not counted) and
        `outstanding`: positive, the buyer owes the producer; negative, the producer owes the buyer."""
        contract = selectors.contract_get(actor=get_actor(request), contract_id=id)
        return Response(BalanceSerializer(contract_balance(contract), context={"contract_id": contract.pk}).data)
