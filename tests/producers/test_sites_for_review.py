"""The reviewers' list of every producer's sites: the queue of sites to decide and the flagged ones."""

from __future__ import annotations

import pytest

from tests.factories import OrganizationFactory
from tests.problems import assert_problem
from tests.producers.factories import ProducerFactory, SiteFactory

SITES = "/api/v1/sites/"


@pytest.fixture
def sites(db):
    """Two producers' sites: one waiting for a decision, one approved and flagged, one rejected."""
    first = ProducerFactory(organization=OrganizationFactory(legal_name="Cooperativa Uno"))
    second = ProducerFactory(organization=OrganizationFactory(legal_name="Asociación Dos"))
    waiting = SiteFactory(producer=first, name="Huepetuhe-2")
    flagged = SiteFactory(producer=second, name="Tambopata-1", approved=True, flagged=True)
    refused = SiteFactory(producer=second, name="Inambari-4", rejected=True)
    return waiting, flagged, refused


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_a_reviewer_sees_every_producers_sites_oldest_first_with_whose_they_are(reviewer, sites):
    response = reviewer.client.get(SITES)

    assert names(response) == ["Huepetuhe-2", "Tambopata-1", "Inambari-4"]
    first = response.json()["results"][0]
    assert first["producer"] == str(sites[0].producer_id)
    assert first["producer_name"] == "Cooperativa Uno"
    assert first["geometry"] == sites[0].geometry
    assert first["overlaps"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=pending", ["Huepetuhe-2"]),
        ("?flagged=true", ["Tambopata-1"]),
        ("?flagged=false&status=rejected", ["Inambari-4"]),
        ("?status=approved&status=rejected", ["Tambopata-1", "Inambari-4"]),
    ],
)
def test_the_queue_filters_by_status_and_flag(staff, sites, query, expected):
    assert names(staff.client.get(SITES + query)) == expected


def test_a_producer_filter_keeps_one_producer(reviewer, sites):
    assert names(reviewer.client.get(SITES, {"producer": str(sites[1].producer_id)})) == ["Tambopata-1", "Inambari-4"]


def test_organisations_people_may_not_list_every_producers_sites(producer_admin, buyer, anon, sites):
    assert_problem(producer_admin.client.get(SITES), 403, "permission_denied")
    assert_problem(buyer.client.get(SITES), 403, "permission_denied")
    assert_problem(anon.client.get(SITES), 401, "not_authenticated")


def test_a_filter_it_cannot_read_is_refused(reviewer, sites):
    response = reviewer.client.get(SITES, {"status": "archived"})

    assert_problem(response, 400, "validation_error")
