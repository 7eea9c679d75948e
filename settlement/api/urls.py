from django.urls import path, register_converter

from settlement.api.views import (
    AssayCorrectView,
    AssayCreateView,
    BalanceView,
    ContractPaymentsView,
    PaymentConfirmView,
    ShipmentDetailView,
    ShipmentListView,
    WeighingCorrectView,
    WeighingCreateView,
)


class WeighingParty:
    regex = "seller|buyer"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class AssayParty(WeighingParty):
    regex = "seller|buyer|umpire"


register_converter(WeighingParty, "weighing_party")
register_converter(AssayParty, "assay_party")

SHIPMENT = "contracts/<uuid:id>/shipments/<int:n>/"

urlpatterns = [
    path("contracts/<uuid:id>/shipments/", ShipmentListView.as_view(), name="contract-shipments"),
    path(SHIPMENT, ShipmentDetailView.as_view(), name="contract-shipment"),
    path(f"{SHIPMENT}weighings/", WeighingCreateView.as_view(), name="shipment-weighings"),
    path(f"{SHIPMENT}weighings/<weighing_party:party>/", WeighingCorrectView.as_view(), name="shipment-weighing"),
    path(f"{SHIPMENT}assays/", AssayCreateView.as_view(), name="shipment-assays"),
    path(f"{SHIPMENT}assays/<assay_party:party>/", AssayCorrectView.as_view(), name="shipment-assay"),
    path("contracts/<uuid:id>/payments/", ContractPaymentsView.as_view(), name="contract-payments"),
    path("payments/<uuid:id>/confirm/", PaymentConfirmView.as_view(), name="payment-confirm"),
    path("contracts/<uuid:id>/balance/", BalanceView.as_view(), name="contract-balance"),
]
