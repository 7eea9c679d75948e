from django.urls import path

from reports.api.views import ImpactChartView, ImpactReportCsvView, ImpactReportView

urlpatterns = [
    path("reports/impact/", ImpactReportView.as_view(), name="impact-report"),
    path("reports/impact.csv", ImpactReportCsvView.as_view(), name="impact-report-csv"),
    path("reports/impact/chart.svg", ImpactChartView.as_view(), name="impact-report-chart"),
]
