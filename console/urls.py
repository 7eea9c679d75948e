from django.urls import path

from console.views import auth, coop, home

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organization/", auth.choose_organization, name="organization"),
    path("coop/", coop.coop_home, name="coop-home"),
]
