from django.urls import re_path

from core.api import UUID_PATTERN
from settlement.api.statements import ShipmentStatementIssueView, ShipmentStatementPdfView, ShipmentStatementView

_SHIPMENT = rf"^contracts/(?P<contract_pk>{UUID_PATTERN})/shipments/(?P<shipment>[1-9][0-9]{{0,2}})/statements"
_KIND = r"(?P<kind>provisional|final)"

urlpatterns = [
    re_path(rf"{_SHIPMENT}/{_KIND}/$", ShipmentStatementView.as_view(), name="shipment-statement"),
    re_path(rf"{_SHIPMENT}/{_KIND}/issue/$", ShipmentStatementIssueView.as_view(), name="shipment-statement-issue"),
    re_path(rf"{_SHIPMENT}/{_KIND}\.pdf$", ShipmentStatementPdfView.as_view(), name="shipment-statement-pdf"),
]
