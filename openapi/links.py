"""OpenAPI links: which answer feeds which next request, along the marketplace's main journeys.

A created evidence item, listing, inquiry, contract or deposit answers with its id; its links say which
operations take that id next (read it, act on it, download its file), so a generated client can follow
create → read → act, and a stateful fuzzer can chain the calls. The table below is the whole of it; the
postprocessing hook `add_links` writes it into the generated schema, and fails the generation when a link names
an operation, a response or a parameter that does not exist, so the table cannot drift from the API.
"""

from __future__ import annotations

from typing import Any

# Runtime expressions (OpenAPI 3.0, "Runtime Expressions").
ID = "$response.body#/id"  # the object the response describes
PATH_ID = "$request.path.id"  # the object the request was about
INQUIRY_PATH_ID = "$request.path.inquiry_pk"
LATEST_VERSION = "$response.body#/latest_version/number"  # the contract version a party may accept
FIRST_FILE = "$response.body#/files/0/position"


def _link(operation_id: str, description: str, *, body: dict[str, str] | None = None, **parameters: str) -> dict:
    link: dict[str, Any] = {"operationId": operation_id, "description": description}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body
    return link


def _evidence_review(source: str) -> dict[str, dict]:
    return {
        "ClaimEvidence": _link("evidence_claim_create", "A reviewer claims the item.", id=source),
        "ApproveEvidence": _link("evidence_approve_create", "The reviewer who claimed it approves it.", id=source),
        "RejectEvidence": _link("evidence_reject_create", "The reviewer who claimed it rejects it.", id=source),
        "RequestEvidenceChanges": _link(
            "evidence_request_changes_create", "The reviewer who claimed it asks for a corrected item.", id=source
        ),
    }


def _listing_moves(source: str) -> dict[str, dict]:
    return {
        "GetListing": _link("listings_retrieve", "Read the listing.", id=source),
        "PublishListing": _link("listings_publish_create", "Publish it (the compliance gate decides).", id=source),
        "PauseListing": _link("listings_pause_create", "Take it out of search for a while.", id=source),
        "ResumeListing": _link("listings_resume_create", "Put a paused listing back in search.", id=source),
        "WithdrawListing": _link("listings_withdraw_create", "Close it for good.", id=source),
    }


def _contract_moves(source: str) -> dict[str, dict]:
    return {
        "GetContract": _link("contracts_retrieve", "Read the contract, with every version of its terms.", id=source),
        "ProposeTerms": _link("contracts_propose_create", "Propose a new version of the terms.", id=source),
        "DeclineContract": _link("contracts_decline_create", "Decline the other side's latest terms.", id=source),
        "WithdrawContract": _link("contracts_withdraw_create", "Withdraw one's own latest terms.", id=source),
        "CancelContract": _link("contracts_cancel_create", "Cancel a signed contract.", id=source),
        "MarkContractDelivered": _link("contracts_mark_delivered_create", "The producer delivered.", id=source),
        "CompleteContract": _link("contracts_complete_create", "The buyer confirms the delivery.", id=source),
        "GetDeposit": _link("contracts_deposit_retrieve", "Read the contract's deposit.", id=source),
        "PayDeposit": _link("contracts_deposit_create", "The buyer starts paying the deposit.", id=source),
    }


def _deposit_moves() -> dict[str, dict]:
    return {
        "GetDeposit": _link("contracts_deposit_retrieve", "Read the deposit again.", id=PATH_ID),
        "RefundDeposit": _link("deposits_refund_create", "Staff refund a held deposit.", id=ID),
        "ReleaseDeposit": _link("deposits_release_create", "Staff record the payout to the producer.", id=ID),
    }


# (operationId, status) → {link name: link}.
LINKS: dict[tuple[str, str], dict[str, dict]] = {
    # Evidence: upload → read, review, download.
    ("evidence_create", "201"): {
        "GetEvidence": _link("evidence_retrieve", "Read the uploaded item.", id=ID),
        "DownloadEvidenceFile": _link(
            "evidence_files_download", "Download its first file, byte-exact.", id=ID, position=FIRST_FILE
        ),
        **_evidence_review(ID),
    },
    ("evidence_claim_create", "200"): {
        key: value for key, value in _evidence_review(PATH_ID).items() if key != "ClaimEvidence"
    },
    ("evidence_approve_create", "200"): {
        "RevokeEvidence": _link("evidence_revoke_create", "Revoke the approval, with a reason.", id=PATH_ID),
    },
    # Listings: draft → read, change, publish, pause, resume, withdraw; a buyer asks about it.
    ("listings_create", "201"): {
        **_listing_moves(ID),
        "UpdateListing": _link("listings_partial_update", "Change the draft.", id=ID),
        "AskAboutListing": _link("inquiries_create", "A buyer asks about the listing.", body={"listing": ID}),
    },
    ("listings_publish_create", "200"): _listing_moves(PATH_ID),
    ("listings_pause_create", "200"): _listing_moves(PATH_ID),
    # Inquiries: ask → read, talk, start a contract from it.
    ("inquiries_create", "201"): {
        "GetInquiry": _link("inquiries_retrieve", "Read the inquiry.", id=ID),
        "ListMessages": _link("inquiries_messages_list", "Read its thread.", inquiry_pk=ID),
        "SendMessage": _link("inquiries_messages_create", "Write in its thread.", inquiry_pk=ID),
        "StartContract": _link(
            "contracts_create", "Either side starts a contract from the inquiry.", body={"inquiry": ID}
        ),
    },
    ("inquiries_messages_create", "201"): {
        "ListMessages": _link("inquiries_messages_list", "Read the thread again.", inquiry_pk=INQUIRY_PATH_ID),
    },
    # Contracts: start → read, negotiate, sign (accept the latest version), deliver, complete; pay the deposit.
    ("contracts_create", "201"): {
        **_contract_moves(ID),
        "AcceptContract": _link(
            "contracts_accept_create",
            "The other side accepts the latest version.",
            id=ID,
            body={"version": LATEST_VERSION},
        ),
    },
    ("contracts_propose_create", "201"): {
        **_contract_moves(PATH_ID),
        "AcceptContract": _link(
            "contracts_accept_create",
            "The other side accepts the version just proposed.",
            id=PATH_ID,
            body={"version": LATEST_VERSION},
        ),
    },
    ("contracts_accept_create", "200"): _contract_moves(PATH_ID),
    ("contracts_mark_delivered_create", "200"): _contract_moves(PATH_ID),
    # Deposits: start paying (or get the one already started) → read, refund, release.
    ("contracts_deposit_create", "201"): _deposit_moves(),
    ("contracts_deposit_create", "200"): _deposit_moves(),
}


def _operations(schema: dict) -> dict[str, dict]:
    return {
        operation["operationId"]: operation
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def add_links(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: writes LINKS into the responses they start from."""
    operations = _operations(result)
    for (source, status), links in LINKS.items():
        response = operations[source]["responses"][status]  # KeyError: a link from nowhere
        for name, link in links.items():
            target = operations[link["operationId"]]  # KeyError: a link to nowhere
            names = {parameter["name"] for parameter in target.get("parameters", [])}
            unknown = set(link.get("parameters", {})) - names
            if unknown:
                raise ValueError(f"link {source} {status} {name}: {link['operationId']} has no parameter {unknown}")
            if "requestBody" in link and "requestBody" not in target:
                raise ValueError(f"link {source} {status} {name}: {link['operationId']} takes no body")
        response["links"] = dict(sorted(links.items()))
    return result
