"""Who may call what: every operation of the generated schema × every role → the status it answers.

The table is the contract. Each case builds a fresh world, fills the path with the id of a "home" object
that belongs to the cooperative `coop` (see HOME; buyer KYC is the one exception: it points at the buyer
organisation of `buyer`), sends the request as one role and checks the status. Write operations send an
empty body (JSON, or multipart where the schema documents only multipart, as for the evidence upload), so a
role that may act gets a 400 (or the operation's natural success when every field is optional) and nothing
changes; a role that may not gets 403, another organisation's object is 404 and no token is 401 (docs/architecture.md,
"Conventions every app keeps").

In the matrix's world coop's producer profile is verified, so the public directory shows it: it shows the
public profile and approved site to everybody, and keeps the roster, the compliance answer and the evidence
to coop, the reviewers and staff.

A separate isolation test sends every operation with an id in its path as a member of another
organisation, with a body that would change the object, and checks it answers 404 and changes nothing. Its
world keeps coop's producer a draft (with a pending site), so that every producer path is private there.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Delegation, Invitation, Membership, Organization, Role, TokenDevice, User
from audit.models import AuditEvent
from audit.services import audit_record
from compliance.models import Evidence, EvidenceDecision, EvidenceFile
from core import clock
from core.uploads import check_upload, store
from diligence.models import PackConsent, RedFlag, RedFlagAnswer, RedFlagAttachment
from diligence.pack import file_link
from jobs.models import Job, JobState
from listings.models import Listing, ListingLot, ListingPhoto, SourcingRequest
from listings.photos import reencode, store_photo
from marketplace.demo_files import make_test_image, make_test_pdf
from notifications.models import Notification
from notifications.services import notify
from prices.models import ExchangeRate, MetalPrice
from producers.models import MemberMiner, Producer, Site, Verification
from provenance.models import AssayCertificate, CustodyEvent, Lot, LotSource
from settlement.models import AssayResult, Payment, Statement, Weighing
from tests.conftest import ActorClient, make_client
from tests.factories import (
    DelegationFactory,
    DepositFactory,
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    make_ruc,
)
from tests.problems import assert_problem
from tests.settlement.home import home_payment, settling_contract
from trade.models import (
    Contract,
    ContractAcceptance,
    ContractCharge,
    ContractLot,
    ContractShipment,
    ContractVersion,
    Deposit,
    DepositRefund,
    Inquiry,
    InquiryMessage,
    SettlementTerms,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSecret

pytestmark = pytest.mark.django_db

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ROLES = (
    "anonymous",
    "buyer_admin",
    "buyer_member",
    "producer_admin",
    "producer_member",
    "reviewer",
    "staff",
    "support_officer",
    "delegate_evidence",
    "delegate_sites",
)

ORGANIZATION = "/api/v1/organizations/{id}/"
MEMBERS = "/api/v1/organizations/{organization_pk}/members/"
MEMBER = "/api/v1/organizations/{organization_pk}/members/{id}/"
INVITATION = "/api/v1/invitations/{id}/"
INVITATION_REVOKE = "/api/v1/invitations/{id}/revoke/"
INVITATION_RESEND = "/api/v1/invitations/{id}/resend/"
TOKEN = "/api/v1/auth/tokens/{id}/"
NOTIFICATION = "/api/v1/notifications/{id}/"
NOTIFICATION_READ = "/api/v1/notifications/{id}/read/"
AUDIT_EVENT = "/api/v1/audit-events/{seq}/"
# The schema names the producer's id after the model's primary key (`organization`, the organisation's id).
PRODUCER = "/api/v1/producers/{id}/"
PRODUCER_SUBMIT = "/api/v1/producers/{id}/submit/"
PRODUCER_VERIFY = "/api/v1/producers/{id}/verify/"
PRODUCER_REQUEST_CHANGES = "/api/v1/producers/{id}/request-changes/"
PRODUCER_REJECT = "/api/v1/producers/{id}/reject/"
PRODUCER_SUSPEND = "/api/v1/producers/{id}/suspend/"
PRODUCER_REINSTATE = "/api/v1/producers/{id}/reinstate/"
PRODUCER_REVOKE = "/api/v1/producers/{id}/revoke/"
COMPLIANCE = "/api/v1/producers/{producer_pk}/compliance/"
SITES = "/api/v1/producers/{producer_pk}/sites/"
SITE = "/api/v1/producers/{producer_pk}/sites/{id}/"
SITE_APPROVE = "/api/v1/producers/{producer_pk}/sites/{id}/approve/"
SITE_REJECT = "/api/v1/producers/{producer_pk}/sites/{id}/reject/"
ROSTER = "/api/v1/producers/{producer_pk}/members/"
MINER = "/api/v1/producers/{producer_pk}/members/{id}/"
REQUIREMENT = "/api/v1/requirements/{code}/"
EVIDENCE_TYPE = "/api/v1/evidence-types/{code}/"
SOURCING = "/api/v1/sourcing-requests/{id}/"
SOURCING_CLOSE = "/api/v1/sourcing-requests/{id}/close/"
SOURCING_MATCHES = "/api/v1/sourcing-requests/{id}/matches/"
LISTING = "/api/v1/listings/{id}/"
LISTING_PUBLISH = "/api/v1/listings/{id}/publish/"
LISTING_PAUSE = "/api/v1/listings/{id}/pause/"
LISTING_RELEASE = "/api/v1/listings/{id}/release/"
LISTING_PHOTOS = "/api/v1/listings/{id}/photos/"
LISTING_PHOTO = "/api/v1/listings/{id}/photos/{position}/"
LISTING_RESUME = "/api/v1/listings/{id}/resume/"
LISTING_WITHDRAW = "/api/v1/listings/{id}/withdraw/"
LISTING_REPRICE = "/api/v1/listings/{id}/reprice/"
LISTING_PRICES = "/api/v1/listings/{id}/prices/"
EVIDENCE = "/api/v1/evidence/{id}/"
EVIDENCE_FILE = "/api/v1/evidence/{id}/files/{position}/"
EVIDENCE_CLAIM = "/api/v1/evidence/{id}/claim/"
EVIDENCE_APPROVE = "/api/v1/evidence/{id}/approve/"
EVIDENCE_REJECT = "/api/v1/evidence/{id}/reject/"
EVIDENCE_REQUEST_CHANGES = "/api/v1/evidence/{id}/request-changes/"
EVIDENCE_REVOKE = "/api/v1/evidence/{id}/revoke/"
KYC = "/api/v1/organizations/{organization_pk}/kyc/"
KYC_SUBMIT = "/api/v1/organizations/{organization_pk}/kyc/submit/"
KYC_VERIFY = "/api/v1/organizations/{organization_pk}/kyc/verify/"
KYC_REJECT = "/api/v1/organizations/{organization_pk}/kyc/reject/"
INQUIRY = "/api/v1/inquiries/{id}/"
INQUIRY_CLOSE = "/api/v1/inquiries/{id}/close/"
INQUIRY_MESSAGES = "/api/v1/inquiries/{inquiry_pk}/messages/"
CONTRACT = "/api/v1/contracts/{id}/"
CONTRACT_PROPOSE = "/api/v1/contracts/{id}/propose/"
CONTRACT_ACCEPT = "/api/v1/contracts/{id}/accept/"
CONTRACT_DECLINE = "/api/v1/contracts/{id}/decline/"
CONTRACT_WITHDRAW = "/api/v1/contracts/{id}/withdraw/"
CONTRACT_CANCEL = "/api/v1/contracts/{id}/cancel/"
CONTRACT_MARK_DELIVERED = "/api/v1/contracts/{id}/mark-delivered/"
CONTRACT_COMPLETE = "/api/v1/contracts/{id}/complete/"
CONTRACT_DEPOSIT = "/api/v1/contracts/{id}/deposit/"
CONTRACT_LOTS = "/api/v1/contracts/{id}/lots/"
DEPOSIT_REFUND = "/api/v1/deposits/{id}/refund/"
DEPOSIT_RELEASE = "/api/v1/deposits/{id}/release/"
LOT = "/api/v1/lots/{id}/"
LOT_ASSAYS = "/api/v1/lots/{id}/assays/"
LOT_ASSAY_FILE = "/api/v1/lots/{id}/assays/{position}/file/"
LOT_CUSTODY = "/api/v1/lots/{id}/custody-events/"
MASS_BALANCE = "/api/v1/producers/{producer_pk}/mass-balance/"
RED_FLAG = "/api/v1/red-flags/{id}/"
RED_FLAG_CLOSE = "/api/v1/red-flags/{id}/close/"
RED_FLAG_ANSWERS = "/api/v1/red-flags/{id}/answers/"
RED_FLAG_ATTACHMENTS = "/api/v1/red-flags/{id}/attachments/"
RED_FLAG_ATTACHMENT = "/api/v1/red-flags/{id}/attachments/{position}/"
PACK_REQUEST = "/api/v1/producers/{producer_pk}/pack-requests/"
PACK = "/api/v1/producers/{producer_pk}/pack/"
PACK_PDF = "/api/v1/producers/{producer_pk}/pack.pdf"
PACK_GRANT = "/api/v1/pack-requests/{id}/grant/"
PACK_DECLINE = "/api/v1/pack-requests/{id}/decline/"
PACK_REVOKE = "/api/v1/pack-requests/{id}/revoke/"
PACK_FILE = "/api/v1/pack-files/{token}/"
SHIPMENTS = "/api/v1/contracts/{id}/shipments/"
SHIPMENT = "/api/v1/contracts/{id}/shipments/{n}/"
WEIGHINGS = "/api/v1/contracts/{id}/shipments/{n}/weighings/"
WEIGHING = "/api/v1/contracts/{id}/shipments/{n}/weighings/{party}/"
ASSAYS = "/api/v1/contracts/{id}/shipments/{n}/assays/"
ASSAY = "/api/v1/contracts/{id}/shipments/{n}/assays/{party}/"
CONTRACT_PAYMENTS = "/api/v1/contracts/{id}/payments/"
PAYMENT_CONFIRM = "/api/v1/payments/{id}/confirm/"
CONTRACT_BALANCE = "/api/v1/contracts/{id}/balance/"
STATEMENT = "/api/v1/contracts/{id}/shipments/{n}/statements/{kind}/"
STATEMENT_ISSUE = "/api/v1/contracts/{id}/shipments/{n}/statements/{kind}/issue/"
STATEMENT_PDF = "/api/v1/contracts/{id}/shipments/{n}/statements/{kind}.pdf"
FIX_CORRECT = "/api/v1/prices/fixes/{id}/correct/"
RATE_CORRECT = "/api/v1/prices/rates/{id}/correct/"
JOB = "/api/v1/jobs/{id}/"
JOB_RETRY = "/api/v1/jobs/{id}/retry/"
WEBHOOK_ENDPOINT = "/api/v1/webhook-endpoints/{id}/"
WEBHOOK_ROTATE = "/api/v1/webhook-endpoints/{id}/rotate-secret/"
WEBHOOK_ENABLE = "/api/v1/webhook-endpoints/{id}/enable/"
WEBHOOK_DELIVERIES = "/api/v1/webhook-endpoints/{id}/deliveries/"
WEBHOOK_REPLAY = "/api/v1/webhook-deliveries/{id}/replay/"
DELEGATION = "/api/v1/delegations/{id}/"
DELEGATION_REVOKE = "/api/v1/delegations/{id}/revoke/"

# Expected status per role, in the order of ROLES. Notes on the rows that are not obvious:
# - sign-up, login and invitation acceptance ignore any token: `{}` is a 400 for everybody.
# - PATCH me/, PATCH organizations/{id}/ and PATCH of a member have only optional fields, so `{}` is a
#   successful no-op.
# - reviewers read every organisation and its members, but manage neither (403).
# - invitations are "the ones your organisation sent": the network's reviewers do not see coop's (404);
#   plain members may neither list, read, send nor revoke invitations (403); staff see all of them.
# - staff act for no organisation and may do everything.
# - a role that may never do an operation gets 403 whatever the body: the role is checked before the body
#   is validated (a plain member sending an invitation or changing a role, a reviewer changing a role).
# - audit events: organisation admins read their own organisation's, reviewers and staff everything; only
#   reviewers and staff verify the chain (it spans every organisation): 403 for everybody else.
# Producers (coop's profile is verified, with one approved site, one member miner on its roster):
# - the directory, the public profile and approved sites are public; everything else needs a token (401).
# - a producer profile is created by the admin of a producer organisation for that organisation: buyers, plain
#   members, reviewers and staff (who act for no organisation) may never create one (403, before the body).
# - profile, sites and roster are kept by the producer's admins (and staff): plain members, reviewers and
#   buyers get 403 on writes to what they may see. The design lets "producer (member or admin)" keep them;
#   the code reads it as admin-only, consistent with "the admin manages" elsewhere, and so does this table.
# - verification moves and site decisions are the reviewers' (and staff's); `submit` is the admin's. The list
#   of every producer's sites (the reviewers' queue) is theirs alone: 403 for every organisation's people.
#   `{}` is enough for verify, reinstate and site approve (the reason is optional): on a verified profile
#   and an approved site they are no-ops (200); the moves that need a reason answer 400. Submitting a
#   verified profile is a 409, and so is changing an approved site (it is locked: add a new one).
# - the roster is personal data: coop's admins, reviewers and staff; a plain member of coop gets 403; buyers
#   get 404 for the roster and its entries (private), 403 for adding to it (the producer itself is public).
# - the compliance answer is coop's, the reviewers' and staff's: 404 to other organisations.
# Compliance (coop's evidence is a submitted Ficha RUC with one PDF file):
# - the requirement catalogue is public.
# - any member of a producer or buyer organisation uploads evidence for it (an empty multipart body is a
#   400); the network's reviewers and staff (no organisation) never upload: 403 before the body is read.
# - coop's evidence and its files: coop's members, reviewers and staff; other organisations 404.
# - review moves are the reviewers' and staff's: coop's own people get 403. A submitted item can be claimed
#   (200) but not approved before it is claimed (409); reject, request-changes and revoke need a reason.
# - buyer KYC (home: the buyer organisation of `buyer`): its members read it, its admin submits, reviewers
#   decide; producers do not see that organisation (404). Nothing is uploaded, so submit and verify are 409.
# Trade (home: an open inquiry of `buyer`'s refiner about coop's listing, and a contract under negotiation
# whose only version coop proposed):
# - the two organisations' people read both; staff read everything and reviewers read contracts (the network
#   oversees trade) but not the inquiry's private thread (404). Neither is a party: every write is 403 for
#   them, except that staff may cancel a signed contract (the home contract is negotiating, so that is 409).
# - any member of either side asks, writes in the thread and closes the inquiry (closing is a 200 each time).
# - only admins negotiate: plain members get 403 on every contract write, before the body is read. Starting
#   or proposing with `{}` is a 400 for admins; so is accepting (`version` missing).
# - the latest version is coop's: the buyer declines it (200) and cannot withdraw it (409); coop withdraws
#   it (200) and cannot decline it (409). Cancel, mark-delivered and complete need a signed or delivered
#   contract (409); mark-delivered is the producer's and complete the buyer's (403 for the other side).
# - the lots a contract delivers are read like the contract; only the producer's admin names them (`{}` is a
#   400 for it, checked before the contract's state), everybody else 403 before the body is read.
# Deposits (home: a deposit waiting for payment on that contract; Stripe has a key, and every request below is
# refused before Stripe would be called):
# - both organisations, reviewers and staff read it. Only the buyer's admin pays: the contract is not signed,
#   so that is 409; everybody else 403 (staff and reviewers are not the buyer).
# - refund and release are staff's (403 for everybody else, before the body): the deposit is not held, so a
#   refund is 409; a release without `payout_reference` is 400.
# Provenance (home: coop's lot with one fire assay and its PDF; the buyer has an inquiry with coop, so its
# people read coop's lots and mass balance, as the network's reviewers and staff do; other organisations 404):
# - only a producer's members record lots, assays and custody events (`{}` is a 400 for them); buyers,
#   reviewers and staff (who act for no producer) get 403 before the body is read.
# Red flags (home: a medium-severity flag of a reviewer's on coop's site, answered by coop's admin, with one file):
# - reviewers and staff record, read and close every flag; coop's members read and answer their own; buyers see
#   no flag at all (an empty list, 404 for a flag), not even one against themselves.
# - recording and closing are the reviewers' (`{}` is a 400 for them): coop's people get 403, before the body.
# - answering is coop's members' (`{}` is a 400 for them): reviewers and staff get 403; files are added by both.
# - the categories are public.
# The due-diligence pack (home: coop's consent, granted to the buyer's refiner on its open inquiry; the pack file
# is coop's evidence file, approved for the occasion, through a link signed for that consent):
# - a buyer's members ask (the buyer has the inquiry: 201); a producer, reviewers and staff 403 (not a buyer).
# - everybody lists the requests they may see (their own, addressed to them, or all for the network).
# - only coop's admin grants, declines and revokes: the buyer's people, who see the request, and coop's plain
#   member get 403; reviewers and staff too (the consent is the producer's). Granting a granted consent and
#   revoking without a reason are 200; declining needs a reason (`{}` is 400).
# - the pack, its PDF and the file link are the buyer's with the consent: everybody else 404 (not 403: the
#   producer is not theirs to read).
# Settlement (home: a second contract of coop's with the buyer's refiner, signed, with settlement terms, made by
# tests/settlement/home.py; its shipment 1, the seller's weight and assay, and a transfer the buyer recorded):
# - both organisations' people, reviewers and staff read the shipments, the payments and the balance.
# - only an admin of one of the two parties records (`{}` is a 400 for them); plain members, reviewers and staff get
#   403 before the body is read. A correction is the party's own: the seller's is the producer's (403 for the buyer).
# - the receiving side's admin confirms a payment (the producer, for the buyer's transfer): the payer gets 403.
# - every reader reads the provisional statement (waiting for the LBMA fix, which no one recorded); only the
#   buyer's admin issues it (409: it waits), everybody else 403; its PDF is 409 until it is issued.
# Delegation (home: coop's delegation of evidence to `support_officer`, a member of a support organisation, who
# acts for it, their only organisation; `delegate_evidence` and `delegate_sites` are two other officers of it, each
# acting for coop with X-Organization through a delegation of that one scope):
# - a producer's people list and read the delegations it granted, the officer those granted to them, reviewers and
#   staff all; buyers see none (404). Only a producer's admins grant (`{}` is a 400) and revoke (200); staff may
#   revoke too. The officer reads theirs and is refused the rest (403).
# - a support officer acting for their support organisation is an organisation with nothing of its own: public
#   reads 200, other organisations' objects 404, every write 403 (they upload no evidence for it).
# - a delegate is refused everything (403 `delegation_out_of_scope`) but what their scope opens
#   (tests/contract/test_delegation_scopes.py): `evidence` reads and uploads coop's evidence (`{}` is a 400), its
#   files, its compliance answer and the catalogue; `sites` reads, adds (`{}` is a 400) and corrects coop's sites
#   (the home site is approved: 409). Sign-up, sign-in and Stripe's webhook read no token: 400 for everybody.
# The price table (home: a PM fix and a USD/PEN rate of yesterday): public to read, anonymous visitors too (the
# figures are shown beside offers); recording and correcting are staff's alone: 403 for every organisation's
# people, before the body is read; `{}` is a 400 for staff (a correction needs its figure and reason).
# fmt: off
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    #                                                   anon buyA buyM proA proM  rev staff
    ("POST",   "/api/v1/auth/signup/"):                (400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("POST",   "/api/v1/auth/login/"):                 (400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    ("POST",   "/api/v1/auth/logout/"):                (401, 204, 204, 204, 204, 204, 204, 204, 403, 403),
    ("POST",   "/api/v1/auth/logout-all/"):            (401, 204, 204, 204, 204, 204, 204, 204, 403, 403),
    ("GET",    "/api/v1/auth/tokens/"):                (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("DELETE", TOKEN):                                 (401, 204, 204, 204, 204, 204, 204, 204, 403, 403),
    ("POST",   "/api/v1/auth/tokens/refresh/"):        (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/me/"):                         (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("PATCH",  "/api/v1/me/"):                         (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/organizations/"):              (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    ORGANIZATION):                          (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("PATCH",  ORGANIZATION):                          (401, 404, 404, 200, 403, 403, 200, 404, 403, 403),
    ("GET",    MEMBERS):                               (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("GET",    MEMBER):                                (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("PATCH",  MEMBER):                                (401, 404, 404, 200, 403, 403, 200, 404, 403, 403),
    ("DELETE", MEMBER):                                (401, 404, 404, 204, 403, 403, 204, 404, 403, 403),
    ("GET",    "/api/v1/invitations/"):                (401, 200, 403, 200, 403, 200, 200, 403, 403, 403),
    ("POST",   "/api/v1/invitations/"):                (401, 400, 403, 400, 403, 400, 400, 403, 403, 403),
    ("GET",    INVITATION):                            (401, 404, 403, 200, 403, 404, 200, 403, 403, 403),
    ("POST",   INVITATION_REVOKE):                     (401, 404, 403, 200, 403, 404, 200, 403, 403, 403),
    ("POST",   INVITATION_RESEND):                     (401, 404, 403, 200, 403, 404, 200, 403, 403, 403),
    ("GET",    "/api/v1/delegations/"):                (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/delegations/"):                (401, 403, 403, 400, 403, 403, 403, 403, 403, 403),
    ("GET",    DELEGATION):                            (401, 404, 404, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   DELEGATION_REVOKE):                     (401, 404, 404, 200, 403, 403, 200, 403, 403, 403),
    ("POST",   "/api/v1/invitations/accept/"):         (400, 400, 400, 400, 400, 400, 400, 400, 403, 403),
    ("GET",    "/api/v1/notifications/"):              (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    NOTIFICATION):                          (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   NOTIFICATION_READ):                     (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/notifications/read-all/"):     (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/notifications/unread-count/"): (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/audit-events/"):               (401, 200, 403, 200, 403, 200, 200, 403, 403, 403),
    ("GET",    AUDIT_EVENT):                           (401, 404, 403, 200, 403, 200, 200, 403, 403, 403),
    ("GET",    "/api/v1/audit-events/verify/"):        (401, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    #                                                   anon buyA buyM proA proM  rev staff
    ("GET",    "/api/v1/producers/"):                  (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/producers/"):                  (401, 403, 403, 400, 403, 403, 403, 403, 403, 403),
    ("GET",    PRODUCER):                              (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("PATCH",  PRODUCER):                              (401, 403, 403, 200, 403, 403, 200, 403, 403, 403),
    ("POST",   PRODUCER_SUBMIT):                       (401, 403, 403, 409, 403, 403, 409, 403, 403, 403),
    ("POST",   PRODUCER_VERIFY):                       (401, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    ("POST",   PRODUCER_REQUEST_CHANGES):              (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    ("POST",   PRODUCER_REJECT):                       (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    ("POST",   PRODUCER_SUSPEND):                      (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    ("POST",   PRODUCER_REINSTATE):                    (401, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    ("POST",   PRODUCER_REVOKE):                       (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    ("GET",    COMPLIANCE):                            (401, 404, 404, 200, 200, 200, 200, 404, 200, 403),
    ("GET",    SITES):                                 (200, 200, 200, 200, 200, 200, 200, 200, 403, 200),
    ("POST",   SITES):                                 (401, 403, 403, 400, 403, 403, 400, 403, 403, 400),
    ("GET",    "/api/v1/sites/"):                      (401, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    ("GET",    SITE):                                  (200, 200, 200, 200, 200, 200, 200, 200, 403, 200),
    ("PATCH",  SITE):                                  (401, 403, 403, 409, 403, 403, 409, 403, 403, 409),
    ("POST",   SITE_APPROVE):                          (401, 403, 403, 403, 403, 200, 200, 403, 403, 403),
    ("POST",   SITE_REJECT):                           (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    # Listings: coop's draft (publishing is refused by the gate, 409: coop has no approved evidence; a member
    # drafts but only an admin moves it; staff act for no producer, so they cannot draft).
    ("GET",    "/api/v1/listings/"):                   (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/listings/"):                   (401, 403, 403, 400, 400, 403, 403, 403, 403, 403),
    ("GET",    "/api/v1/listings/facets/"):            (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    LISTING):                               (404, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("PATCH",  LISTING):                               (401, 404, 404, 200, 200, 403, 200, 404, 403, 403),
    ("POST",   LISTING_PUBLISH):                       (401, 404, 404, 409, 403, 403, 409, 404, 403, 403),
    ("POST",   LISTING_PHOTOS):                        (401, 404, 404, 400, 400, 403, 400, 404, 403, 403),
    ("GET",    LISTING_PHOTO):                         (404, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   LISTING_RELEASE):                       (401, 404, 404, 403, 403, 409, 409, 404, 403, 403),
    ("POST",   LISTING_PAUSE):                         (401, 404, 404, 409, 403, 403, 409, 404, 403, 403),
    ("POST",   LISTING_RESUME):                        (401, 404, 404, 409, 403, 403, 409, 404, 403, 403),
    ("POST",   LISTING_WITHDRAW):                      (401, 404, 404, 200, 403, 403, 200, 404, 403, 403),
    # Re-pricing is for the producer's admins (the empty body is refused before the draft's 409); the versions
    # of the price are for the producer's people, reviewers and staff: buyers get 404 even for a visible listing.
    ("POST",   LISTING_REPRICE):                       (401, 404, 404, 400, 403, 403, 400, 404, 403, 403),
    ("GET",    LISTING_PRICES):                        (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    # Sourcing requests: the buyer's open request. Producers browse open requests (without the buyer's
    # name) but neither close them nor see their matches.
    ("GET",    "/api/v1/sourcing-requests/"):          (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/sourcing-requests/"):          (401, 400, 400, 403, 403, 403, 403, 403, 403, 403),
    ("GET",    SOURCING):                              (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   SOURCING_CLOSE):                        (401, 200, 200, 403, 403, 403, 200, 404, 403, 403),
    ("GET",    SOURCING_MATCHES):                      (401, 200, 200, 403, 403, 200, 200, 404, 403, 403),
    ("GET",    ROSTER):                                (401, 404, 404, 200, 403, 200, 200, 404, 403, 403),
    ("POST",   ROSTER):                                (401, 404, 404, 400, 403, 403, 400, 404, 403, 403),
    ("GET",    MINER):                                 (401, 404, 404, 200, 403, 200, 200, 404, 403, 403),
    ("PATCH",  MINER):                                 (401, 404, 404, 200, 403, 403, 200, 404, 403, 403),
    ("DELETE", MINER):                                 (401, 404, 404, 204, 403, 403, 204, 404, 403, 403),
    ("GET",    "/api/v1/requirements/"):               (200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    ("GET",    REQUIREMENT):                           (200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    ("GET",    "/api/v1/evidence-types/"):             (200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    ("GET",    EVIDENCE_TYPE):                         (200, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    ("GET",    "/api/v1/evidence/"):                   (401, 200, 200, 200, 200, 200, 200, 200, 200, 403),
    ("POST",   "/api/v1/evidence/"):                   (401, 400, 400, 400, 400, 403, 403, 403, 400, 403),
    ("GET",    EVIDENCE):                              (401, 404, 404, 200, 200, 200, 200, 404, 200, 403),
    ("GET",    EVIDENCE_FILE):                         (401, 404, 404, 200, 200, 200, 200, 404, 200, 403),
    ("POST",   EVIDENCE_CLAIM):                        (401, 404, 404, 403, 403, 200, 200, 404, 403, 403),
    ("POST",   EVIDENCE_APPROVE):                      (401, 404, 404, 403, 403, 409, 409, 404, 403, 403),
    ("POST",   EVIDENCE_REJECT):                       (401, 404, 404, 403, 403, 400, 400, 404, 403, 403),
    ("POST",   EVIDENCE_REQUEST_CHANGES):              (401, 404, 404, 403, 403, 400, 400, 404, 403, 403),
    ("POST",   EVIDENCE_REVOKE):                       (401, 404, 404, 403, 403, 400, 400, 404, 403, 403),
    ("GET",    KYC):                                   (401, 200, 200, 404, 404, 200, 200, 404, 403, 403),
    ("POST",   KYC_SUBMIT):                            (401, 409, 403, 404, 404, 403, 409, 404, 403, 403),
    ("POST",   KYC_VERIFY):                            (401, 403, 403, 404, 404, 409, 409, 404, 403, 403),
    ("POST",   KYC_REJECT):                            (401, 403, 403, 404, 404, 400, 400, 404, 403, 403),
    # Stripe's webhook reads no token: the signature is the authentication, and `{}` has none (400 for all).
    ("POST",   "/api/v1/payments/stripe/webhook/"):    (400, 400, 400, 400, 400, 400, 400, 400, 400, 400),
    #                                                   anon buyA buyM proA proM  rev staff
    ("GET",    "/api/v1/inquiries/"):                  (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/inquiries/"):                  (401, 400, 400, 400, 400, 403, 403, 403, 403, 403),
    ("GET",    INQUIRY):                               (401, 200, 200, 200, 200, 404, 200, 404, 403, 403),
    ("POST",   INQUIRY_CLOSE):                         (401, 200, 200, 200, 200, 404, 403, 404, 403, 403),
    ("GET",    INQUIRY_MESSAGES):                      (401, 200, 200, 200, 200, 404, 200, 404, 403, 403),
    ("POST",   INQUIRY_MESSAGES):                      (401, 400, 400, 400, 400, 404, 403, 404, 403, 403),
    ("GET",    "/api/v1/contracts/"):                  (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/contracts/"):                  (401, 400, 403, 400, 403, 403, 403, 403, 403, 403),
    ("GET",    CONTRACT):                              (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   CONTRACT_PROPOSE):                      (401, 400, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   CONTRACT_ACCEPT):                       (401, 400, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   CONTRACT_DECLINE):                      (401, 200, 403, 409, 403, 403, 403, 404, 403, 403),
    ("POST",   CONTRACT_WITHDRAW):                     (401, 409, 403, 200, 403, 403, 403, 404, 403, 403),
    ("POST",   CONTRACT_CANCEL):                       (401, 409, 403, 409, 403, 403, 409, 404, 403, 403),
    ("POST",   CONTRACT_MARK_DELIVERED):               (401, 403, 403, 409, 403, 403, 403, 404, 403, 403),
    ("POST",   CONTRACT_COMPLETE):                     (401, 409, 403, 403, 403, 403, 403, 404, 403, 403),
    ("GET",    CONTRACT_DEPOSIT):                      (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   CONTRACT_DEPOSIT):                      (401, 409, 403, 403, 403, 403, 403, 404, 403, 403),
    ("GET",    CONTRACT_LOTS):                         (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   CONTRACT_LOTS):                         (401, 403, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   DEPOSIT_REFUND):                        (401, 403, 403, 403, 403, 403, 409, 404, 403, 403),
    ("POST",   DEPOSIT_RELEASE):                       (401, 403, 403, 403, 403, 403, 400, 404, 403, 403),
    #                                                   anon buyA buyM proA proM  rev staff
    ("GET",    "/api/v1/lots/"):                       (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/lots/"):                       (401, 403, 403, 400, 400, 403, 403, 403, 403, 403),
    ("GET",    LOT):                                   (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   LOT_ASSAYS):                            (401, 403, 403, 400, 400, 403, 403, 404, 403, 403),
    ("GET",    LOT_ASSAY_FILE):                        (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   LOT_CUSTODY):                           (401, 403, 403, 400, 400, 403, 403, 404, 403, 403),
    ("GET",    MASS_BALANCE):                          (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    #                                                   anon buyA buyM proA proM  rev staff
    ("GET",    "/api/v1/red-flags/"):                  (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/red-flags/"):                  (401, 403, 403, 403, 403, 400, 400, 403, 403, 403),
    ("GET",    RED_FLAG):                              (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   RED_FLAG_CLOSE):                        (401, 404, 404, 403, 403, 400, 400, 404, 403, 403),
    ("POST",   RED_FLAG_ANSWERS):                      (401, 404, 404, 400, 400, 403, 403, 404, 403, 403),
    ("POST",   RED_FLAG_ATTACHMENTS):                  (401, 404, 404, 400, 400, 400, 400, 404, 403, 403),
    ("GET",    RED_FLAG_ATTACHMENT):                   (401, 404, 404, 200, 200, 200, 200, 404, 403, 403),
    ("GET",    "/api/v1/red-flag-categories/"):        (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    #                                                   anon buyA buyM proA proM  rev staff
    ("POST",   PACK_REQUEST):                          (401, 200, 200, 403, 403, 403, 403, 403, 403, 403),
    ("GET",    "/api/v1/pack-requests/"):              (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   PACK_GRANT):                            (401, 403, 403, 200, 403, 403, 403, 404, 403, 403),
    ("POST",   PACK_DECLINE):                          (401, 403, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   PACK_REVOKE):                           (401, 403, 403, 200, 403, 403, 403, 404, 403, 403),
    ("GET",    PACK):                                  (401, 200, 200, 404, 404, 404, 404, 404, 403, 403),
    ("GET",    PACK_PDF):                              (401, 200, 200, 404, 404, 404, 404, 404, 403, 403),
    ("GET",    PACK_FILE):                             (401, 200, 200, 404, 404, 404, 404, 404, 403, 403),
    #                                                   anon buyA buyM proA proM  rev staff
    ("GET",    SHIPMENTS):                             (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("GET",    SHIPMENT):                              (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   WEIGHINGS):                             (401, 400, 403, 400, 403, 403, 403, 404, 403, 403),
    ("PUT",    WEIGHING):                              (401, 403, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   ASSAYS):                                (401, 400, 403, 400, 403, 403, 403, 404, 403, 403),
    ("PUT",    ASSAY):                                 (401, 403, 403, 400, 403, 403, 403, 404, 403, 403),
    ("GET",    CONTRACT_PAYMENTS):                     (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   CONTRACT_PAYMENTS):                     (401, 400, 403, 400, 403, 403, 403, 404, 403, 403),
    ("POST",   PAYMENT_CONFIRM):                       (401, 403, 403, 200, 403, 403, 403, 404, 403, 403),
    ("GET",    CONTRACT_BALANCE):                      (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("GET",    STATEMENT):                             (401, 200, 200, 200, 200, 200, 200, 404, 403, 403),
    ("POST",   STATEMENT_ISSUE):                       (401, 409, 403, 403, 403, 403, 403, 404, 403, 403),
    ("GET",    STATEMENT_PDF):                         (401, 409, 409, 409, 409, 409, 409, 404, 403, 403),
    ("GET",    "/api/v1/prices/fixes/"):               (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/prices/fixes/"):               (401, 403, 403, 403, 403, 403, 400, 403, 403, 403),
    ("POST",   FIX_CORRECT):                           (401, 403, 403, 403, 403, 403, 400, 403, 403, 403),
    ("GET",    "/api/v1/prices/rates/"):               (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/prices/rates/"):               (401, 403, 403, 403, 403, 403, 400, 403, 403, 403),
    ("POST",   RATE_CORRECT):                          (401, 403, 403, 403, 403, 403, 400, 403, 403, 403),
    ("GET",    "/api/v1/prices/certification-terms/"): (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("POST",   "/api/v1/prices/certification-terms/"): (401, 403, 403, 403, 403, 403, 400, 403, 403, 403),
    ("GET",    "/api/v1/jobs/"):                       (401, 403, 403, 403, 403, 403, 200, 403, 403, 403),
    ("GET",    JOB):                                   (401, 403, 403, 403, 403, 403, 200, 403, 403, 403),
    ("POST",   JOB_RETRY):                             (401, 403, 403, 403, 403, 403, 200, 403, 403, 403),
    # The impact report is public: the same figures for everyone (docs/impact.md).
    ("GET",    "/api/v1/reports/impact/"):             (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/reports/impact.csv"):          (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ("GET",    "/api/v1/reports/impact/chart.svg"):    (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    # Webhook endpoints: their organisation's admins and staff; plain members and reviewers 403 (tests/webhooks/).
    ("GET",    "/api/v1/webhook-endpoints/"):          (401, 200, 403, 200, 403, 403, 200, 403, 403, 403),
    ("POST",   "/api/v1/webhook-endpoints/"):          (401, 400, 403, 400, 403, 403, 403, 403, 403, 403),
    ("GET",    WEBHOOK_ENDPOINT):                      (401, 404, 403, 200, 403, 403, 200, 403, 403, 403),
    ("PATCH",  WEBHOOK_ENDPOINT):                      (401, 404, 403, 200, 403, 403, 200, 403, 403, 403),
    ("DELETE", WEBHOOK_ENDPOINT):                      (401, 404, 403, 204, 403, 403, 204, 403, 403, 403),
    ("POST",   WEBHOOK_ROTATE):                        (401, 404, 403, 200, 403, 403, 200, 403, 403, 403),
    ("POST",   WEBHOOK_ENABLE):                        (401, 404, 403, 200, 403, 403, 200, 403, 403, 403),
    ("GET",    WEBHOOK_DELIVERIES):                    (401, 404, 403, 200, 403, 403, 200, 403, 403, 403),
    ("POST",   WEBHOOK_REPLAY):                        (401, 404, 403, 201, 403, 403, 201, 403, 403, 403),
    ("GET",    "/api/v1/webhook-event-types/"):        (200, 200, 200, 200, 200, 200, 200, 200, 403, 403),
}
# fmt: on


@pytest.fixture(autouse=True)
def _stripe_configured(settings):
    """Without a signing secret the webhook answers 503 (Stripe retries later), and without a secret key deposits
    do; the matrix is of a configured server. No request of the matrix reaches Stripe."""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_permission_matrix"
    settings.STRIPE_SECRET_KEY = "sk_test_permission_matrix"


@functools.cache
def schema_operations() -> dict[tuple[str, str], dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in HTTP_METHODS
    }


@dataclass
class World:
    """The fixtures' actors, plus the cooperative's home objects that the paths point at."""

    actors: dict[str, ActorClient]
    other_producer: ActorClient
    other_buyer: ActorClient
    coop: Organization
    coop_member: Membership  # a plain member of coop who is none of the actors
    invitation: Invitation  # pending, sent by coop's admin to join coop
    audit_event: AuditEvent  # coop's admin changed coop
    notifications: dict[Any, Notification]  # one per user, keyed by the user's pk
    producer: Producer  # coop's producer profile: verified in the matrix, a draft in the isolation test
    site: Site  # coop's: approved in the matrix, pending in the isolation test
    member_miner: MemberMiner  # a woman on coop's roster
    evidence: Evidence  # coop's Ficha RUC, submitted, with one real PDF file at position 1
    listing: Listing  # coop's draft listing, from its site, with one photo
    sourcing_request: SourcingRequest  # an open request of the buyer organisation
    buyer_org: Organization  # the buyer organisation of `buyer` and `buyer_member`: the home of KYC paths
    inquiry: Inquiry  # open, asked by `buyer` about coop's listing, with one message
    contract: Contract  # negotiating, from that inquiry; its only version proposed by coop's admin
    deposit: Deposit  # on that contract, waiting for payment, with no PaymentIntent
    lot: Lot  # coop's, from its site, with one fire assay (a real PDF at position 1)
    red_flag: RedFlag  # a reviewer's medium flag on coop's site, answered by coop's admin, one PDF at position 1
    pack_consent: PackConsent  # coop's consent, granted to the buyer's refiner on its open inquiry
    fix: MetalPrice  # yesterday's LBMA Gold Price PM, recorded by staff
    job: Job  # a job of the queue whose every attempt failed
    webhook_endpoint: WebhookEndpoint  # coop's, registered by its admin, active
    webhook_delivery: WebhookDelivery  # of a contract event to that endpoint, delivered
    rate: ExchangeRate  # yesterday's USD/PEN rate
    delegation: Delegation  # coop's, of evidence, to `support_officer` (acting for their support organisation)

    @property
    def coop_admin(self) -> User:
        user = self.actors["producer_admin"].user
        assert user is not None
        return user


def add_producer(coop: Organization, admin: User, status: str) -> tuple[Producer, Site, MemberMiner, Evidence]:
    """coop's producer profile in `status`, one site (approved when the profile is verified, else pending),
    one member miner, and one submitted evidence item whose PDF is stored as an upload would be."""
    verified = status == Verification.VERIFIED
    producer = Producer.objects.create(
        organization=coop,
        legal_kind="cooperative",
        legal_category="REINFO",
        ruc=make_ruc("20"),
        reinfo_code="REINFO-MDD-2024-0173",
        district="huepetuhe",
        verification_status=status,
        verified_at=timezone.now() if verified else None,
    )
    site = Site.objects.create(
        producer=producer,
        name="Playa Huepetuhe Alto",
        concession_code="010203405",
        district="huepetuhe",
        geometry={"type": "Point", "coordinates": [-70.51, -12.98]},
        latitude=-12.98,
        longitude=-70.51,
        status=Site.Status.APPROVED if verified else Site.Status.PENDING,
    )
    member_miner = MemberMiner.objects.create(
        producer=producer, full_name="Rosa Quispe Huamán", dni="40000001", birth_year=1982, sex="female"
    )
    upload = SimpleUploadedFile("ficha-ruc.pdf", make_test_pdf("Ficha RUC"), content_type="application/pdf")
    checked = check_upload(upload, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
    evidence = Evidence.objects.create(
        organization=coop,
        evidence_type_id="TAX_RUC",
        document_number="TAX_RUC-1",
        issue_date=clock.today_lima() - dt.timedelta(days=5),
        submitted_by=admin,
    )
    EvidenceFile.objects.create(
        evidence=evidence,
        position=1,
        file=store(checked, storage=storages["evidence"], prefix=str(coop.pk)),
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        original_name=checked.original_name,
    )
    return producer, site, member_miner, evidence


def delegate_of(coop: Organization, support: Organization, granted_by: User, scope: str) -> ActorClient:
    """Another officer of the support organisation, acting for coop (X-Organization) through a delegation of
    one scope."""
    delegation = DelegationFactory(
        organization=coop,
        support_organization=support,
        officer=MembershipFactory(organization=support, user=UserFactory(email=f"delegate-{scope}@example.test")).user,
        scope_evidence=scope == "evidence",
        scope_sites=scope == "sites",
        granted_by=granted_by,
    )
    return make_client(delegation.officer, coop, header=True)


@pytest.fixture
def producer_status() -> str:
    """The verification status of coop's producer profile; the isolation test asks for a draft."""
    return Verification.VERIFIED


@pytest.fixture
def world(
    anon,
    buyer,
    buyer_member,
    producer_admin,
    producer_member,
    reviewer,
    staff,
    other_producer,
    other_buyer,
    coop,
    officer,
    producer_status,
    settings,
    tmp_path,
) -> World:
    delegation = DelegationFactory(
        organization=coop,
        officer=officer.user,
        support_organization=officer.organization,
        scope_sites=False,
        granted_by=producer_admin.user,
    )
    actors = {
        "anonymous": anon,
        "buyer_admin": buyer,
        "buyer_member": buyer_member,
        "producer_admin": producer_admin,
        "producer_member": producer_member,
        "reviewer": reviewer,
        "staff": staff,
        "support_officer": officer,
        "delegate_evidence": delegate_of(coop, officer.organization, producer_admin.user, "evidence"),
        "delegate_sites": delegate_of(coop, officer.organization, producer_admin.user, "sites"),
    }
    coop_member = MembershipFactory(organization=coop, role=Role.MEMBER, user=UserFactory(email="socia2@example.test"))
    invitation = InvitationFactory(
        organization=coop, invited_by=producer_admin.user, invited_by_organization=coop, email="nueva@example.test"
    )
    audit_event = audit_record(
        action="accounts.organization.updated",
        actor=producer_admin.user,
        actor_organization=coop,
        target=coop,
        data={"website": "https://mujeresdeoro.example"},
    )
    notifications = {}
    for actor in [*actors.values(), other_producer, other_buyer]:
        if actor.user is not None:
            name = actor.organization.legal_name if actor.organization else "Oro Responsable"
            [notification] = notify(
                recipients=[actor.user], kind="welcome", params={"organization": name}, organization=actor.organization
            )
            notifications[actor.user.pk] = notification
    producer, site, member_miner, evidence = add_producer(coop, producer_admin.user, producer_status)
    today = clock.today_lima()
    listing = Listing.objects.create(
        producer=producer,
        form="dore",
        quantity_grams=Decimal("500"),
        available_grams=Decimal("500"),
        monthly_capacity_grams=Decimal("500"),
        min_order_grams=Decimal("100"),
        fineness=Decimal("920"),
        fineness_basis="xrf",
        price_basis="lbma_pm",
        lbma_adjustment_bp=-200,
        incoterm="FCA",
        incoterm_place="Puerto Maldonado",
        valid_from=today,
        valid_until=today + dt.timedelta(days=60),
        title_es="Doré sin mercurio",
        created_by=producer_admin.user,
    )
    listing.sites.set([site])
    settings.STORAGES = {  # listing photos: this test's own folder
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    content, width, height = reencode(check_upload(photo_upload(), max_bytes=10**6, max_pixels=10**6))
    ListingPhoto.objects.create(
        listing=listing,
        position=1,
        file=store_photo(content, listing.pk),
        width=width,
        height=height,
        size=len(content),
    )
    sourcing_request = SourcingRequest.objects.create(
        buyer=buyer.organization,
        created_by=buyer.user,
        title="2 kg, 900+",
        grams=Decimal("2000"),
        min_fineness=Decimal("900"),
        delivery_from=today,
        delivery_until=today + dt.timedelta(days=90),
    )
    inquiry = Inquiry.objects.create(
        buyer=buyer.organization,
        producer=producer,
        listing=listing,
        opened_by="buyer",
        grams=Decimal("300"),
        created_by=buyer.user,
    )
    InquiryMessage.objects.create(inquiry=inquiry, author=buyer.user, side="buyer", body="¿Entregan en mayo?")
    contract = Contract.objects.create(
        inquiry=inquiry, buyer=buyer.organization, producer=producer, listing=listing, created_by=producer_admin.user
    )
    ContractVersion.objects.create(
        contract=contract,
        number=1,
        side="producer",
        proposed_by=producer_admin.user,
        proposed_by_organization=coop,
        quantity_grams=Decimal("300"),
        fineness=Decimal("920"),
        price_basis="lbma_pm",
        lbma_adjustment_bp=-200,
        incoterm="FCA",
        incoterm_place="Puerto Maldonado",
        delivery_date=today + dt.timedelta(days=30),
        deposit_percent_bp=1000,
        origin_site=site,
    )
    deposit = DepositFactory(contract=contract, amount_minor=100000, currency="USD", created_by=buyer.user)
    lot = add_lot(producer, site, producer_admin.user)
    # The contract's lots answer with what it delivers: one row, written as signing or naming writes it, so
    # that the answer has keys to check (the contract itself is still negotiating).
    ContractLot.objects.create(contract=contract, lot=lot, named_by=producer_admin.user, named_at=timezone.now())
    red_flag = add_red_flag(site, reviewer.user, producer_admin.user)
    pack_consent = PackConsent.objects.create(
        buyer=buyer.organization,
        producer=coop,
        status="granted",
        basis_kind="inquiry",
        basis_id=inquiry.pk,
        requested_by=buyer.user,
        requested_at=timezone.now(),
        decided_by=producer_admin.user,
        decided_at=timezone.now(),
    )
    return World(
        delegation=delegation,
        actors=actors,
        other_producer=other_producer,
        other_buyer=other_buyer,
        coop=coop,
        coop_member=coop_member,
        invitation=invitation,
        audit_event=audit_event,
        notifications=notifications,
        producer=producer,
        site=site,
        member_miner=member_miner,
        evidence=evidence,
        listing=listing,
        sourcing_request=sourcing_request,
        buyer_org=buyer.organization,
        inquiry=inquiry,
        contract=contract,
        deposit=deposit,
        lot=lot,
        red_flag=red_flag,
        pack_consent=pack_consent,
        fix=MetalPrice.objects.create(
            benchmark="lbma_gold_pm",
            date=today - dt.timedelta(days=1),
            usd_per_troy_ounce_milli=4_118_900,
            source="LBMA, lbma.org.uk",
            recorded_by=staff.user,
        ),
        rate=ExchangeRate.objects.create(
            date=today - dt.timedelta(days=1), rate_micro=3_452_100, source="SBS", recorded_by=staff.user
        ),
        job=Job.objects.create(
            name="jobs.prune",
            state=JobState.FAILED,
            attempts=3,
            max_attempts=3,
            run_after=timezone.now(),
            finished_at=timezone.now(),
            last_error="OperationalError: the database restarted",
        ),
        **add_webhook(coop, producer_admin.user),
    )


def add_webhook(coop: Organization, admin: User) -> dict[str, Any]:
    """coop's endpoint and one delivered event of it (a contract signed)."""
    endpoint = WebhookEndpoint.objects.create(
        organization=coop, url="https://erp.coop.example/hooks", event_types=["contract.accepted"], created_by=admin
    )
    WebhookSecret.objects.create(endpoint=endpoint, secret="whsec_" + "0" * 64)
    event = WebhookEvent.objects.create(
        type="contract.accepted", organization=coop, payload={"id": "x", "type": "contract.accepted"}, audit_seq=1
    )
    delivery = WebhookDelivery.objects.create(
        event=event, endpoint=endpoint, state="delivered", delivered_at=timezone.now()
    )
    return {"webhook_endpoint": endpoint, "webhook_delivery": delivery}


def add_red_flag(site: Site, reviewer: User, admin: User) -> RedFlag:
    """A medium-severity flag on coop's site (it suspends nothing), answered by coop's admin with a PDF."""
    flag = RedFlag.objects.create(
        subject_kind="site",
        organization_id=site.producer_id,
        site=site,
        category_id="protected_area",
        severity="medium",
        facts="The site's polygon touches the buffer zone of the Tambopata National Reserve.",
        opened_by=reviewer,
    )
    answer = RedFlagAnswer.objects.create(flag=flag, text="Outside the reserve: SERNANP letter.", answered_by=admin)
    upload = SimpleUploadedFile("sernanp.pdf", make_test_pdf("SERNANP"), content_type="application/pdf")
    checked = check_upload(upload, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
    RedFlagAttachment.objects.create(
        flag=flag,
        position=1,
        answer=answer,
        side="producer",
        file=store(checked, storage=storages["evidence"], prefix=f"red-flags/{site.producer_id}"),
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        original_name=checked.original_name,
        uploaded_by=admin,
    )
    return flag


def add_lot(producer: Producer, site: Site, admin: User) -> Lot:
    """coop's lot L-0412 (480 g of doré from its site, last month), recorded, with one fire assay and its PDF."""
    month = (clock.today_lima().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    lot = Lot.objects.create(
        producer=producer,
        code="L-0412",
        form="dore",
        gross_grams=Decimal("480"),
        declared_fineness=Decimal("920"),
        production_from=month,
        production_to=month + dt.timedelta(days=14),
        processing_methods=["borax_smelting", "shaking_table"],
        recorded_by=admin,
    )
    LotSource.objects.create(lot=lot, site=site, month=month, grams=Decimal("480"))
    CustodyEvent.objects.create(
        lot=lot,
        seq=1,
        kind="recorded",
        occurred_at=timezone.now(),
        organization_id=producer.pk,
        user=admin,
        weight_grams=Decimal("480"),
    )
    upload = SimpleUploadedFile("ensayo.pdf", make_test_pdf("Ensayo al fuego"), content_type="application/pdf")
    checked = check_upload(upload, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
    AssayCertificate.objects.create(
        lot=lot,
        position=1,
        laboratory="Laboratorio Regional",
        method="fire_assay",
        au_per_mille=Decimal("921.4"),
        ag_per_mille=Decimal("61.2"),
        certificate_number="LR-0412",
        assayed_on=month + dt.timedelta(days=20),
        recorded_by=admin,
        file=store(checked, storage=storages["evidence"], prefix=f"lots/{producer.pk}"),
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        original_name=checked.original_name,
    )
    return lot


# The home object each path parameter names. Everything is coop's: the organisation itself, a plain member
# of it, an invitation its admin sent, an event of its audit trail, its producer profile (whose id is coop's
# id), its site, a member miner of its roster, its evidence item and that item's first file. Notifications
# belong to a person, not an organisation: the home notification is the one of `owner` (the caller's own in
# the matrix, coop's admin's for anonymous callers and in the isolation test). The requirement catalogue is
# nobody's: its home is the Ficha RUC requirement. KYC is a buyer's: its home is the organisation of `buyer`.
HOME: dict[str, Callable[[World, User], dict[str, Any]]] = {
    ORGANIZATION: lambda world, owner: {"id": world.coop.pk},
    MEMBERS: lambda world, owner: {"organization_pk": world.coop.pk},
    MEMBER: lambda world, owner: {"organization_pk": world.coop.pk, "id": world.coop_member.pk},
    INVITATION: lambda world, owner: {"id": world.invitation.pk},
    INVITATION_REVOKE: lambda world, owner: {"id": world.invitation.pk},
    INVITATION_RESEND: lambda world, owner: {"id": world.invitation.pk},
    TOKEN: lambda world, owner: {"id": TokenDevice.objects.filter(token__user=owner).earliest("created_at").pk},
    NOTIFICATION: lambda world, owner: {"id": world.notifications[owner.pk].pk},
    NOTIFICATION_READ: lambda world, owner: {"id": world.notifications[owner.pk].pk},
    AUDIT_EVENT: lambda world, owner: {"seq": world.audit_event.seq},
    **{
        path: lambda world, owner: {"id": world.producer.pk}
        for path in (
            PRODUCER,
            PRODUCER_SUBMIT,
            PRODUCER_VERIFY,
            PRODUCER_REQUEST_CHANGES,
            PRODUCER_REJECT,
            PRODUCER_SUSPEND,
            PRODUCER_REINSTATE,
            PRODUCER_REVOKE,
        )
    },
    COMPLIANCE: lambda world, owner: {"producer_pk": world.producer.pk},
    SITES: lambda world, owner: {"producer_pk": world.producer.pk},
    SITE: lambda world, owner: {"producer_pk": world.producer.pk, "id": world.site.pk},
    SITE_APPROVE: lambda world, owner: {"producer_pk": world.producer.pk, "id": world.site.pk},
    SITE_REJECT: lambda world, owner: {"producer_pk": world.producer.pk, "id": world.site.pk},
    ROSTER: lambda world, owner: {"producer_pk": world.producer.pk},
    MINER: lambda world, owner: {"producer_pk": world.producer.pk, "id": world.member_miner.pk},
    REQUIREMENT: lambda world, owner: {"code": "TAX_RUC"},
    EVIDENCE_TYPE: lambda world, owner: {"code": "IGAFOM"},
    **{
        path: lambda world, owner: {"id": world.evidence.pk}
        for path in (
            EVIDENCE,
            EVIDENCE_CLAIM,
            EVIDENCE_APPROVE,
            EVIDENCE_REJECT,
            EVIDENCE_REQUEST_CHANGES,
            EVIDENCE_REVOKE,
        )
    },
    **{
        path: lambda world, owner: {"id": world.listing.pk}
        for path in (
            LISTING,
            LISTING_PUBLISH,
            LISTING_RELEASE,
            LISTING_PAUSE,
            LISTING_RESUME,
            LISTING_WITHDRAW,
            LISTING_PHOTOS,
            LISTING_REPRICE,
            LISTING_PRICES,
        )
    },
    **{
        path: lambda world, owner: {"id": world.sourcing_request.pk}
        for path in (SOURCING, SOURCING_CLOSE, SOURCING_MATCHES)
    },
    LISTING_PHOTO: lambda world, owner: {"id": world.listing.pk, "position": 1},  # the draft's only photo
    EVIDENCE_FILE: lambda world, owner: {"id": world.evidence.pk, "position": 1},
    **{
        path: lambda world, owner: {"organization_pk": world.buyer_org.pk}
        for path in (KYC, KYC_SUBMIT, KYC_VERIFY, KYC_REJECT)
    },
    INQUIRY: lambda world, owner: {"id": world.inquiry.pk},
    INQUIRY_CLOSE: lambda world, owner: {"id": world.inquiry.pk},
    INQUIRY_MESSAGES: lambda world, owner: {"inquiry_pk": world.inquiry.pk},
    **{
        path: lambda world, owner: {"id": world.contract.pk}
        for path in (
            CONTRACT,
            CONTRACT_PROPOSE,
            CONTRACT_ACCEPT,
            CONTRACT_DECLINE,
            CONTRACT_WITHDRAW,
            CONTRACT_CANCEL,
            CONTRACT_MARK_DELIVERED,
            CONTRACT_COMPLETE,
            CONTRACT_DEPOSIT,
            CONTRACT_LOTS,
        )
    },
    DEPOSIT_REFUND: lambda world, owner: {"id": world.deposit.pk},
    DEPOSIT_RELEASE: lambda world, owner: {"id": world.deposit.pk},
    **{path: lambda world, owner: {"id": world.lot.pk} for path in (LOT, LOT_ASSAYS, LOT_CUSTODY)},
    LOT_ASSAY_FILE: lambda world, owner: {"id": world.lot.pk, "position": 1},
    MASS_BALANCE: lambda world, owner: {"producer_pk": world.producer.pk},
    **{
        path: lambda world, owner: {"id": world.red_flag.pk}
        for path in (RED_FLAG, RED_FLAG_CLOSE, RED_FLAG_ANSWERS, RED_FLAG_ATTACHMENTS)
    },
    RED_FLAG_ATTACHMENT: lambda world, owner: {"id": world.red_flag.pk, "position": 1},
    **{path: lambda world, owner: {"producer_pk": world.producer.pk} for path in (PACK_REQUEST, PACK, PACK_PDF)},
    **{path: lambda world, owner: {"id": world.pack_consent.pk} for path in (PACK_GRANT, PACK_DECLINE, PACK_REVOKE)},
    PACK_FILE: lambda world, owner: {"token": pack_file_token(world)},
    **{
        path: lambda world, owner: {"id": settling_contract(world).pk}
        for path in (SHIPMENTS, CONTRACT_PAYMENTS, CONTRACT_BALANCE)
    },
    **{
        path: lambda world, owner: {"id": settling_contract(world).pk, "n": 1} for path in (SHIPMENT, WEIGHINGS, ASSAYS)
    },
    **{
        path: lambda world, owner: {"id": settling_contract(world).pk, "n": 1, "party": "seller"}
        for path in (WEIGHING, ASSAY)
    },
    PAYMENT_CONFIRM: lambda world, owner: {"id": home_payment(world).pk},
    **{
        path: lambda world, owner: {"id": settling_contract(world).pk, "n": 1, "kind": "provisional"}
        for path in (STATEMENT, STATEMENT_ISSUE, STATEMENT_PDF)
    },
    FIX_CORRECT: lambda world, owner: {"id": world.fix.pk},
    RATE_CORRECT: lambda world, owner: {"id": world.rate.pk},
    **{path: lambda world, owner: {"id": world.job.pk} for path in (JOB, JOB_RETRY)},
    **{
        path: lambda world, owner: {"id": world.webhook_endpoint.pk}
        for path in (WEBHOOK_ENDPOINT, WEBHOOK_ROTATE, WEBHOOK_ENABLE, WEBHOOK_DELIVERIES)
    },
    WEBHOOK_REPLAY: lambda world, owner: {"id": world.webhook_delivery.pk},
    DELEGATION: lambda world, owner: {"id": world.delegation.pk},
    DELEGATION_REVOKE: lambda world, owner: {"id": world.delegation.pk},
}


def pack_file_token(world: World) -> str:
    """A signed link to coop's evidence file for the home consent; the item is approved and valid, as a file
    in the pack is."""
    Evidence.objects.filter(pk=world.evidence.pk).update(
        status="approved", valid_until=clock.today_lima() + dt.timedelta(days=30)
    )
    file = world.evidence.files.get()
    return file_link(world.pack_consent, file.pk).removeprefix("/api/v1/pack-files/").removesuffix("/")


def home_url(path: str, world: World, owner: User) -> str:
    if "{" not in path:
        return path
    assert path in HOME, f"say which of coop's objects {path} points at: add it to HOME"
    return path.format(**HOME[path](world, owner))


def body_format(operation: tuple[str, str]) -> str:
    """The encoding a client that reads the schema uses: multipart where it documents only multipart."""
    content = schema_operations()[operation].get("requestBody", {}).get("content", {})
    return "multipart" if content and "application/json" not in content else "json"


def send(actor: ActorClient, operation: tuple[str, str], url: str, body: dict[str, Any] | None) -> Any:
    call = getattr(actor.client, operation[0].lower())
    if body is None:
        return call(url)
    return call(url, body, format=body_format(operation))


def assert_problem_if_error(response: Any) -> None:
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", response.content
        code = response.json().get("code")
        assert isinstance(code, str)
        assert code
        assert_problem(response, response.status_code, code)


def test_the_matrix_covers_every_operation_of_the_schema():
    in_schema = set(schema_operations())

    missing_from_matrix = sorted(in_schema - MATRIX.keys())
    not_in_schema = sorted(MATRIX.keys() - in_schema)

    assert missing_from_matrix == [], "operations without a row in MATRIX"
    assert not_in_schema == [], "MATRIX rows for operations the schema does not have"


def test_every_row_gives_a_status_for_each_role():
    assert {len(statuses) for statuses in MATRIX.values()} == {len(ROLES)}


@pytest.mark.parametrize(
    ("operation", "role"),
    [(operation, role) for operation in MATRIX for role in ROLES],
    ids=[f"{method} {path} as {role}" for (method, path) in MATRIX for role in ROLES],
)
def test_permission_matrix(operation, role, world):
    method, path = operation
    expected = MATRIX[operation][ROLES.index(role)]
    actor = world.actors[role]
    url = home_url(path, world, actor.user or world.coop_admin)
    has_body = "requestBody" in schema_operations().get(operation, {})

    response = send(actor, operation, url, {} if has_body else None)

    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
    )
    assert_problem_if_error(response)
    assert str(response.status_code) in schema_operations()[operation]["responses"], "status not in the schema"


def photo_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("oro.jpg", make_test_image("JPEG", (64, 48)), content_type="image/jpeg")


def with_fresh_files(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """An uploaded file is read once: each request gets its own copy of the body's files."""
    if body is None:
        return None

    def copy(value: Any) -> Any:
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
            return SimpleUploadedFile(value.name, value.read(), content_type=value.content_type)
        return [copy(item) for item in value] if isinstance(value, list) else value

    return {name: copy(value) for name, value in body.items()}


# Bodies an intruder sends: one that would change the object if it were let through, and for operations
# with a body also one that is invalid (the object must be resolved, and refused, before the body is read).
INTRUDER_BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("PATCH", ORGANIZATION): [
        {"website": "https://intruso.example", "contact_email": "x@intruso.example"},
        {"website": "no es una dirección"},
    ],
    ("PATCH", MEMBER): [{"role": "admin"}, {"role": "emperatriz"}],
    ("PATCH", PRODUCER): [
        {"description_es": "Perfil tomado", "contact_phone": "+51 999 000 111"},
        {"district": "lima"},
    ],
    **{
        ("POST", path): [{"reason": "Decidido por un intruso."}, {"reason": "x" * 2001}]
        for path in (
            PRODUCER_VERIFY,
            PRODUCER_REQUEST_CHANGES,
            PRODUCER_REJECT,
            PRODUCER_SUSPEND,
            PRODUCER_REINSTATE,
            PRODUCER_REVOKE,
            SITE_APPROVE,
            SITE_REJECT,
            EVIDENCE_REJECT,
            EVIDENCE_REQUEST_CHANGES,
            EVIDENCE_REVOKE,
        )
    },
    ("POST", SITES): [
        {
            "name": "Playa Intrusa",
            "concession_code": "999999999",
            "district": "huepetuhe",
            "geometry": {"type": "Point", "coordinates": [-70.51, -12.98]},
        },
        {"name": "Playa Intrusa", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}},
    ],
    ("PATCH", SITE): [{"name": "Playa Intrusa"}, {"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}],
    ("POST", ROSTER): [
        {"full_name": "Persona Intrusa", "dni": "49999999", "birth_year": 1990, "sex": "male"},
        {"full_name": "Persona Intrusa", "dni": "123", "birth_year": 2020, "sex": "other"},
    ],
    ("PATCH", MINER): [{"active": False, "full_name": "Borrada"}, {"sex": "other"}],
    ("PATCH", LISTING): [{"title_es": "Oferta tomada", "quantity_grams": "1.000"}, {"fineness": "2000"}],
    ("POST", LISTING_PHOTOS): [{"files": [photo_upload()]}, {"files": []}],
    ("POST", LISTING_REPRICE): [
        {
            "price_basis": "fixed",
            "price_per_fine_gram": {"amount_minor": 1, "currency": "USD"},
            "premium_per_kg_fine_minor": 0,
            "premium_currency": "USD",
            "reason": "Precio de un intruso",
        },
        {"price_basis": "barter", "premium_per_kg_fine_minor": -1},
    ],
    ("POST", EVIDENCE_APPROVE): [{"reason": "Aprobado por un intruso."}, {"valid_until": "no es una fecha"}],
    ("POST", KYC_SUBMIT): [{"reason": "Enviado por un intruso."}],
    ("POST", KYC_VERIFY): [{"reason": "Verificado por un intruso."}],
    ("POST", KYC_REJECT): [{"reason": "Rechazado por un intruso."}, {"reason": ""}],
    ("POST", INQUIRY_MESSAGES): [{"body": "Mensaje de un intruso."}, {"body": ""}],
    ("POST", CONTRACT_ACCEPT): [{"version": 1}, {"version": "la última"}],
    ("POST", DEPOSIT_REFUND): [{"amount_minor": 1}, {"amount_minor": -1}],
    ("POST", DEPOSIT_RELEASE): [{"payout_reference": "Transferencia de un intruso"}, {"payout_reference": ""}],
    ("POST", CONTRACT_CANCEL): [{"reason": "Cancelado por un intruso."}, {"reason": "x" * 2001}],
    ("POST", LOT_ASSAYS): [
        {
            "laboratory": "Laboratorio Intruso",
            "method": "fire_assay",
            "au_per_mille": "999.9",
            "ag_per_mille": "0.0",
            "certificate_number": "X-1",
            "assayed_on": "2026-01-01",
            "file": SimpleUploadedFile("x.pdf", make_test_pdf("Intruso"), content_type="application/pdf"),
        },
        {"method": "alchemy"},
    ],
    ("POST", LOT_CUSTODY): [
        {"kind": "sealed", "occurred_at": "2026-01-01T00:00:00Z", "seal_number": "INTRUSO"},
        {"kind": "teleported"},
    ],
    ("POST", RED_FLAG_CLOSE): [{"reason": "Cerrado por un intruso."}, {"reason": ""}],
    ("POST", PACK_DECLINE): [{"reason": "Rechazado por un intruso."}, {"reason": ""}],
    ("POST", PACK_REVOKE): [{"reason": "Revocado por un intruso."}, {"reason": 7}],
    ("POST", RED_FLAG_ANSWERS): [{"text": "Respuesta de un intruso."}, {"text": ""}],
    ("POST", RED_FLAG_ATTACHMENTS): [
        {"file": SimpleUploadedFile("x.pdf", make_test_pdf("Intruso"), content_type="application/pdf")},
        {"file": "no es un archivo"},
    ],
    ("POST", CONTRACT_LOTS): [{"lots": ["00000000-0000-0000-0000-000000000000"]}, {"lots": []}],
    **{
        (method, path): [{"gross_grams": "1.000", "weighed_on": "2026-01-01"}, {"gross_grams": "-1"}]
        for method, path in (("POST", WEIGHINGS), ("PUT", WEIGHING))
    },
    **{
        (method, path): [
            {"party": "seller", "au_per_mille": "999.9", "laboratory": "Intruso", "assayed_on": "2026-01-01"},
            {"au_per_mille": "1000.1"},
        ]
        for method, path in (("POST", ASSAYS), ("PUT", ASSAY))
    },
    ("POST", CONTRACT_PAYMENTS): [
        {
            "kind": "final",
            "amount": {"amount_minor": 1, "currency": "USD"},
            "paid_on": "2026-01-01",
            "bank_reference": "INTRUSO-1",
        },
        {"kind": "regalo"},
    ],
    ("PATCH", WEBHOOK_ENDPOINT): [{"url": "https://intruso.example/h", "state": "disabled"}, {"event_types": ["x"]}],
    ("POST", WEBHOOK_ROTATE): [{"overlap_hours": 0}, {"overlap_hours": -1}],
    ("POST", CONTRACT_PROPOSE): [
        {
            "quantity_grams": "1.000",
            "fineness": "999.9",
            "price_basis": "fixed",
            "price_per_fine_gram": {"amount_minor": 1, "currency": "USD"},
            "incoterm": "EXW",
            "incoterm_place": "Lima",
            "delivery_date": "2099-01-01",
            "deposit_percent": "100",
            "origin_site": "00000000-0000-0000-0000-000000000000",
            "settlement": {
                "fixing_rule": "after_receipt",
                "gold_payable_percent": "1",
                "splitting_limit": "1000",
                "umpire_laboratory": "Laboratorio Intruso",
            },
            "charges": [{"label": "Intruso", "kind": "percent_of_value", "percent": "100"}],
            "shipments": [
                {"quantity_grams": "1.000", "delivery_date": "2099-01-01", "incoterm": "EXW", "incoterm_place": "Lima"}
            ],
        },
        {"quantity_grams": "-1"},
    ],
}

SNAPSHOT_MODELS = (
    User,
    TokenDevice,
    Organization,
    Membership,
    Invitation,
    Notification,
    AuditEvent,
    Producer,
    Site,
    MemberMiner,
    Evidence,
    EvidenceFile,
    EvidenceDecision,
    Listing,
    Inquiry,
    InquiryMessage,
    Contract,
    ContractVersion,
    ContractAcceptance,
    SettlementTerms,
    ContractCharge,
    ContractShipment,
    Deposit,
    DepositRefund,
    Lot,
    LotSource,
    AssayCertificate,
    CustodyEvent,
    ContractLot,
    ListingLot,
    RedFlag,
    RedFlagAnswer,
    RedFlagAttachment,
    PackConsent,
    Weighing,
    AssayResult,
    Statement,
    Payment,
    WebhookEndpoint,
    WebhookSecret,
    Delegation,
    WebhookDelivery,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


# Operations with an id in their path that are nobody's private object, so isolation does not apply.
NOBODYS: dict[tuple[str, str], str] = {
    ("GET", REQUIREMENT): "the requirement catalogue is public: every caller reads it",
    ("GET", EVIDENCE_TYPE): "the evidence catalogue is public: every caller reads it",
    # Producers browse open sourcing requests by design (without the buyer's identity); that another
    # buyer gets 404 on all three is tested in tests/listings/test_sourcing.py.
    ("GET", SOURCING): "open sourcing requests are shown to every producer, anonymised",
    ("POST", SOURCING_CLOSE): "producers may see an open request; closing it is 403 for them",
    ("GET", SOURCING_MATCHES): "producers may see an open request; its matches are 403 for them",
    # The price table is public and nobody's: only staff correct it, everybody else gets 403 (tests/prices/).
    ("POST", FIX_CORRECT): "a fix is public and nobody's: correcting it is 403 for everybody but staff",
    ("POST", RATE_CORRECT): "a rate is public and nobody's: correcting it is 403 for everybody but staff",
    # The queue is the operators': every organisation's people get 403 (tests/jobs/).
    ("GET", JOB): "a job is nobody's: the queue is staff's alone, 403 for everybody else",
    ("POST", JOB_RETRY): "a job is nobody's: retrying it is 403 for everybody but staff",
}


def _isolation_cases() -> list[Any]:
    cases = []
    for method, path in MATRIX:
        if "{" not in path or (method, path) in NOBODYS:
            continue
        for body_index, body in enumerate(INTRUDER_BODIES.get((method, path), [None])):
            for intruder in ("other_producer", "other_buyer"):
                label = "no body" if body is None else ("changing body" if body_index == 0 else "invalid body")
                cases.append(pytest.param((method, path), intruder, body, id=f"{method} {path} as {intruder}, {label}"))
    return cases


def test_isolation_covers_every_operation_with_an_id_in_its_path():
    with_ids = {operation for operation in schema_operations() if "{" in operation[1]}
    with_a_body = {operation for operation in with_ids if "requestBody" in schema_operations()[operation]}

    assert with_ids <= MATRIX.keys()
    assert NOBODYS.keys() <= with_ids
    assert {case.values[0] for case in _isolation_cases()} == with_ids - NOBODYS.keys()
    assert sorted(with_a_body - NOBODYS.keys() - INTRUDER_BODIES.keys()) == [], "say what an intruder would send"


# coop's producer is a draft here: a verified producer's profile and approved sites are public by design (the
# directory), so another organisation would read them (200) and be refused writes to them (403), as the
# matrix's buyer columns show; the matrix also shows the verified producer's roster, compliance answer and
# evidence answering 404 to buyers. In the draft, every producer path is private and must answer 404.
@pytest.mark.parametrize("producer_status", [Verification.DRAFT], ids=["draft producer"])
@pytest.mark.parametrize(("operation", "intruder", "body"), _isolation_cases())
def test_another_organisation_gets_404_and_changes_nothing(operation, intruder, body, world):
    method, path = operation
    actor = getattr(world, intruder)
    url = home_url(path, world, world.coop_admin)
    before = snapshot()

    response = send(actor, operation, url, with_fresh_files(body))

    assert response.status_code == 404, f"{method} {url} as {intruder}: {response.status_code} {response.content!r}"
    assert_problem(response, 404, "not_found")
    after = snapshot()
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
    assert after == before
