"""A shipment's settlement statements over HTTP: read (issued, or as it would be issued now, or what it waits
for), issued by the buyer's admin, and downloaded as a PDF for the cooperative's accounts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.actor import get_actor
from core.errors import Conflict, documents_problems
from core.idempotency import idempotent
from core.permissions import ActsForOrganization
from settlement import calculation, statements
from settlement.models import Statement, StatementKind
from settlement.pdf import render_statement
from settlement.selectors import require_shipment
from trade.selectors import contract_get

LINE_LABELS: dict[str, Any] = {
    "declared_gross": _("Declared gross weight"),
    "received_gross": _("Received gross weight"),
    "seller_au": _("Seller's assay, gold"),
    "buyer_au": _("Buyer's assay, gold"),
    "umpire_au": _("Umpire's assay, gold"),
    "settling_au": _("Settling assay, gold"),
    "settling_ag": _("Settling assay, silver"),
    "fine_gold": _("Fine gold"),
    "payable_gold": _("Payable gold"),
    "fine_silver": _("Fine silver"),
    "payable_silver": _("Payable silver"),
    "payable_gold_ounces": _("Payable gold, troy ounces"),
    "payable_silver_ounces": _("Payable silver, troy ounces"),
    "gold_price": _("Gold price"),
    "gold_value": _("Gold value"),
    "silver_value": _("Silver value"),
    "gross_value": _("Gross value"),
    "premium": _("Premium"),
    "umpire_cost": _("Umpire's fee borne by the seller"),
    "net_value": _("Net value"),
    "provisional_payment": _("Provisional payment due"),
    "provisional_paid": _("Provisional payment"),
    "final_balance": _("Final balance"),
}


def label_of(line: dict[str, Any]) -> str:
    if line["key"].startswith("charge_"):
        return str(_("Charge %(number)s") % {"number": line["key"].removeprefix("charge_")})
    return str(LINE_LABELS.get(line["key"], line["key"]))


def _labelled(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each line's label in the language asked for (labels are not part of the digest)."""
    return document | {"lines": [line | {"label": label_of(line)} for line in document["lines"]]}


def _kind(value: str) -> str:
    if value not in StatementKind.values:
        raise Conflict(_("A statement is provisional or final."), code="unknown_statement_kind")
    return value


def _body(contract: Any, shipment: int, kind: str) -> dict[str, Any]:
    issued = (
        Statement.objects.filter(contract=contract, shipment=shipment, kind=kind).select_related("issued_by").first()
    )
    if issued is not None:
        return {
            "contract": str(contract.pk),
            "shipment": shipment,
            "kind": kind,
            "state": "issued",
            "waiting_for": [],
            "digest": issued.digest,
            "issued_at": issued.issued_at,
            "issued_by": issued.issued_by.full_name,
            "document": _labelled(issued.document),
        }
    try:
        computed = statements.compute(contract, shipment, kind)
    except calculation.Waiting as waiting:
        return {
            "contract": str(contract.pk),
            "shipment": shipment,
            "kind": kind,
            "state": "waiting",
            "waiting_for": waiting.missing,
            "digest": None,
            "issued_at": None,
            "issued_by": None,
            "document": None,
        }
    return {
        "contract": str(contract.pk),
        "shipment": shipment,
        "kind": kind,
        "state": "draft",
        "waiting_for": [],
        "digest": None,
        "issued_at": None,
        "issued_by": None,
        "document": _labelled(statements.document_of(contract, shipment, computed)),
    }


PATH_PARAMETERS = [
    OpenApiParameter("n", int, OpenApiParameter.PATH, description="The shipment's number, from 1."),
    OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=["provisional", "final"]),
]


class StatementSerializer(serializers.Serializer):
    contract = serializers.UUIDField()
    shipment = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=StatementKind.choices)
    state = serializers.ChoiceField(
        choices=[("issued", "issued"), ("draft", "draft"), ("waiting", "waiting")],
        help_text="issued: frozen with its digest; draft: as it would be issued now; waiting: a record or a "
        "price it needs is not recorded yet (`waiting_for`).",
    )
    waiting_for = serializers.ListField(
        child=serializers.CharField(),
        help_text="declared_weight, received_weight, seller_assay, buyer_assay, umpire_assay, gold_price, "
        "silver_price, exchange_rate, provisional_statement.",
    )
    digest = serializers.CharField(allow_null=True, help_text="SHA-256 of the canonical JSON of the issued document.")
    issued_at = serializers.DateTimeField(allow_null=True)
    issued_by = serializers.CharField(allow_null=True)
    document = serializers.DictField(
        allow_null=True,
        help_text="The statement: every line with its figure, its rule written with the figures, and a label; "
        "money as {amount_minor, currency} in the contract's currency; `sign` -1 for a deduction.",
    )


STATEMENT_EXAMPLE = {
    "contract": "3f0c1a52-7e0b-4c1e-9a59-2d7f8e0c4b11",
    "shipment": 1,
    "kind": "final",
    "state": "issued",
    "waiting_for": [],
    "digest": "9b1f0c8e2a6d4f3b5c7e9a1d2f4b6c8e0a2c4e6f8a0b2d4f6a8c0e2f4a6b8d0c",
    "issued_at": "2026-11-24T15:02:11Z",
    "issued_by": "Refinería Andina, metals accounting",
    "document": {
        "kind": "final",
        "currency": "USD",
        "lines": [
            {
                "key": "received_gross",
                "grams": "479.200",
                "rule": "weighed by the buyer on receipt",
                "label": "Received gross weight",
            },
            {
                "key": "settling_au",
                "per_mille": "920.3",
                "rule": "|919.8 − 921.4| = 1.6 ‰ > splitting limit 0.5 ‰: umpire",
                "label": "Settling assay, gold",
            },
            {
                "key": "final_balance",
                "amount": {"amount_minor": 405132, "currency": "USD"},
                "sign": 1,
                "rule": "net value − provisional payment: positive, due to the seller; negative, due to the buyer",
                "label": "Final balance",
            },
        ],
        "net_value": {"amount_minor": 4017386, "currency": "USD"},
        "amount_due": {"amount_minor": 405132, "currency": "USD"},
    },
}


class ShipmentStatementView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=StatementSerializer,
        examples=[OpenApiExample("Issued final statement (abridged)", value=STATEMENT_EXAMPLE, response_only=True)],
        operation_id="contracts_shipments_statements_retrieve",
        parameters=PATH_PARAMETERS,
    )
    @documents_problems(404, 409)
    def get(self, request: Request, id: UUID, n: int, kind: str) -> Response:
        """A shipment's provisional or final statement, for both parties' members, reviewers and staff: the
        issued one, frozen with its digest; otherwise the statement as it would be issued now (`draft`), or what
        it waits for (`waiting`: a weight, an assay, the umpire's result, a price or rate not yet recorded)."""
        number = n
        contract = contract_get(actor=get_actor(request), contract_id=id)
        statements.signed_terms(contract)
        require_shipment(contract, number)
        return Response(_body(contract, number, _kind(kind)))


class ShipmentStatementIssueView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        request=None,
        responses={201: StatementSerializer, 200: StatementSerializer},
        examples=[OpenApiExample("Issued", value=STATEMENT_EXAMPLE, response_only=True, status_codes=["201"])],
        operation_id="contracts_shipments_statements_issue",
        parameters=PATH_PARAMETERS,
    )
    @documents_problems(403, 404, 409)
    @idempotent
    def post(self, request: Request, id: UUID, n: int, kind: str) -> Response:
        """The buyer's admin issues the statement: it is frozen as computed now, with the SHA-256 of its
        document, and the producer is told. Issuing again answers the issued one (200). 409
        `statement_waiting` (with `waiting_for`) while a record or a price is missing; the final statement of a
        contract with a provisional payment waits for the provisional statement."""
        actor, number = get_actor(request), n
        contract = contract_get(actor=actor, contract_id=id)
        _statement, created = statements.statement_issue(
            actor=actor, contract=contract, shipment=number, kind=_kind(kind)
        )
        return Response(
            _body(contract, number, kind), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ShipmentStatementPdfView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses={
            200: OpenApiResponse(description="The issued statement as a PDF (application/pdf), as an attachment.")
        },
        operation_id="contracts_shipments_statements_pdf_retrieve",
        parameters=PATH_PARAMETERS,
    )
    @documents_problems(404, 409)
    def get(self, request: Request, id: UUID, n: int, kind: str) -> HttpResponse:
        """The issued statement as a PDF for the cooperative's accounts: every line with its rule, the prices
        and rates used, and the digest of the issued document. 409 `statement_not_issued` before it is issued."""
        contract = contract_get(actor=get_actor(request), contract_id=id)
        issued = Statement.objects.filter(contract=contract, shipment=n, kind=_kind(kind)).first()
        if issued is None:
            raise Conflict(_("This statement is not issued yet."), code="statement_not_issued")
        document = render_statement(_labelled(issued.document), issued.digest, issued.issued_at)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"statement-{contract.pk}-{n}-{kind}.pdf"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
