from django.urls import path

from console.views import auth, coop, home, oversight, review

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organization/", auth.choose_organization, name="organization"),
    path("coop/", coop.coop_home, name="coop-home"),
    path("review/", review.queue, name="review-queue"),
    path("review/evidence/<uuid:evidence_id>/", review.item, name="review-item"),
    path("review/evidence/<uuid:evidence_id>/claim/", review.claim, name="review-claim"),
    path("review/evidence/<uuid:evidence_id>/approve/", review.approve, name="review-approve"),
    path("review/evidence/<uuid:evidence_id>/refuse/", review.refuse, name="review-refuse"),
    path("review/evidence/<uuid:evidence_id>/files/<int:position>/", review.file, name="review-file"),
    path(
        "review/evidence/<uuid:evidence_id>/files/<int:position>/pages/<int:number>.png",
        review.pdf_page,
        name="review-pdf-page",
    ),
    path("review/producers/<uuid:producer_id>/", oversight.producer, name="review-producer"),
    path("review/producers/<uuid:producer_id>/red-flags/", oversight.red_flag_open, name="review-red-flag-open"),
    path("review/kyc/", oversight.kyc, name="review-kyc"),
    path("review/kyc/<uuid:organization_id>/verify/", oversight.kyc_move, {"move": "verify"}, name="review-kyc-verify"),
    path("review/kyc/<uuid:organization_id>/reject/", oversight.kyc_move, {"move": "reject"}, name="review-kyc-reject"),
    path("review/audit/", oversight.audit, name="review-audit"),
]
