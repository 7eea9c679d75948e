from django.urls import path

from console.views import auth, coop, home, inquiries, offers

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organization/", auth.choose_organization, name="organization"),
    path("coop/", coop.coop_home, name="coop-home"),
    path("offers/", offers.search, name="offers"),
    path("offers/<uuid:listing_id>/", offers.offer, name="offer"),
    path("offers/<uuid:listing_id>/ask/", offers.ask, name="ask"),
    path("inquiries/", inquiries.inquiry_list, name="inquiries"),
    path("inquiries/<uuid:inquiry_id>/", inquiries.inquiry, name="inquiry"),
]
