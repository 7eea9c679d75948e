from django.urls import path

from console.views import (
    auth,
    contracts,
    coop,
    coop_evidence,
    coop_offers,
    coop_sites,
    home,
    inquiries,
    notifications,
    offers,
)

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("favicon.ico", home.favicon),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organization/", auth.choose_organization, name="organization"),
    path("coop/", coop.coop_home, name="coop-home"),
    path("coop/evidence/new/", coop_evidence.evidence_new, name="coop-evidence-new"),
    path("coop/evidence/<uuid:evidence_id>/", coop_evidence.evidence_detail, name="coop-evidence"),
    path("coop/sites/", coop_sites.site_list, name="coop-sites"),
    path("coop/sites/new/", coop_sites.site_new, name="coop-site-new"),
    path("coop/offers/", coop_offers.offer_list, name="coop-offers"),
    path("coop/offers/new/", coop_offers.offer_new, name="coop-offer-new"),
    path("coop/offers/<uuid:listing_id>/", coop_offers.offer_detail, name="coop-offer"),
    path("coop/offers/<uuid:listing_id>/reprice/", coop_offers.offer_reprice, name="coop-offer-reprice"),
    path("coop/offers/<uuid:listing_id>/<slug:move>/", coop_offers.offer_move, name="coop-offer-move"),
    path("offers/", offers.search, name="offers"),
    path("offers/<uuid:listing_id>/", offers.offer, name="offer"),
    path("offers/<uuid:listing_id>/ask/", offers.ask, name="ask"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path("contracts/", contracts.contract_list, name="contracts"),
    path("contracts/<uuid:contract_id>/", contracts.contract, name="contract"),
    path("contracts/<uuid:contract_id>/accept/", contracts.contract_accept, name="contract-accept"),
    path("contracts/<uuid:contract_id>/propose/", contracts.contract_propose, name="contract-propose"),
    path("contracts/<uuid:contract_id>/<slug:move>/", contracts.contract_move, name="contract-move"),
    path("inquiries/", inquiries.inquiry_list, name="inquiries"),
    path("inquiries/<uuid:inquiry_id>/", inquiries.inquiry, name="inquiry"),
]
