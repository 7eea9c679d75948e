from django.urls import path, register_converter

from settlement.api.statements import ShipmentStatementIssueView, ShipmentStatementPdfView, ShipmentStatementView


class StatementKind:
    regex = "provisional|final"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StatementKind, "statement_kind")

STATEMENT = "contracts/<uuid:id>/shipments/<int:n>/statements/<statement_kind:kind>"

urlpatterns = [
    path(f"{STATEMENT}/", ShipmentStatementView.as_view(), name="shipment-statement"),
    path(f"{STATEMENT}/issue/", ShipmentStatementIssueView.as_view(), name="shipment-statement-issue"),
    path(f"{STATEMENT}.pdf", ShipmentStatementPdfView.as_view(), name="shipment-statement-pdf"),
]
