"""Who reads which card, responsible persons, and leadership's quarterly reviews."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ncert import periods
from ncert.db import transaction, utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.services import kpi
from tests.services.kpi_helpers import Q3, report, sector_cert

Q3_PERIOD = periods.quarter(2026, 3)


def org_card(world, actor, slug):
    with world.runtime.sessions() as s:
        return kpi.organization_card(s, actor, slug, Q3_PERIOD)


def sector_card(world, actor, slug):
    with world.runtime.sessions() as s:
        return kpi.sector_card(s, actor, slug, Q3_PERIOD)


def incidents(card) -> int:
    return next(f.value for f in card.figures if f.key == "incidents")


@pytest.fixture
def reports(world):
    """GridCo: one TLP:GREEN and one TLP:AMBER report; PowerGen: one TLP:AMBER; the bank: one TLP:GREEN."""
    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1), tlp="TLP:GREEN")
    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=2), tlp="TLP:AMBER")
    report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=3), tlp="TLP:AMBER")
    report(world, "analyst@centralbank.test", reported=Q3 + timedelta(days=4), tlp="TLP:GREEN")


@pytest.mark.parametrize("email", ["leader@ncert.test", "operator@ncert.test", "admin@ncert.test"])
def test_national_staff_read_every_card_whole(world, reports, email):
    actor = world.actor(email)
    assert [incidents(org_card(world, actor, slug)) for slug in ("gridco", "powergen", "centralbank")] == [2, 1, 1]
    assert incidents(sector_card(world, actor, "energy")) == 3
    assert org_card(world, actor, "gridco").whole and sector_card(world, actor, "energy").whole


def test_an_analyst_reads_only_its_own_organisations_card(world, reports):
    gridco = world.actor("analyst@gridco.test")
    card = org_card(world, gridco, "gridco")
    assert incidents(card) == 2 and card.whole  # its own reports, whatever their label
    for slug in ("powergen", "centralbank", "no-such-org"):
        with pytest.raises(NotFound, match=f"no organisation '{slug}'"):
            org_card(world, gridco, slug)
    with pytest.raises(NotFound, match="no sector 'energy'"):
        sector_card(world, gridco, "energy")  # as for a sector that does not exist


def test_a_sector_cert_reads_its_sectors_cards_within_its_scope(world, reports):
    cert = sector_cert(world)
    gridco = org_card(world, cert, "gridco")
    assert incidents(gridco) == 1 and not gridco.whole  # GridCo's TLP:AMBER report stays hidden
    assert incidents(org_card(world, cert, "powergen")) == 0
    assert incidents(sector_card(world, cert, "energy")) == 1
    with pytest.raises(NotFound):
        org_card(world, cert, "centralbank")
    with pytest.raises(NotFound):
        sector_card(world, cert, "finance")
    with world.runtime.sessions() as s:
        orgs, sectors = kpi.readable_cards(s, cert)
    assert sorted(o.slug for o in orgs) == ["energy-cert", "gridco", "powergen"]
    assert [s.slug for s in sectors] == ["energy"]


def test_the_card_names_the_responsible_person(world):
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s:
        kpi.set_responsible(s, leader, "gridco", name="Aysel Mammadova", position="Deputy CEO",
                            email="aysel@gridco.test")
    person = org_card(world, world.actor("analyst@gridco.test"), "gridco").responsible
    assert (person.name, person.position, person.updated_by) == ("Aysel Mammadova", "Deputy CEO", leader.label)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
        kpi.set_responsible(s, world.actor("analyst@gridco.test"), "gridco", name="Someone else")
    with transaction(world.runtime.sessions) as s, pytest.raises(NotFound):
        kpi.set_responsible(s, world.actor("analyst@gridco.test"), "powergen", name="Someone else")


def test_a_review_is_drafted_signed_off_and_then_read_only(world, reports):
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s:
        row, created = kpi.review(s, leader, "organization", "gridco", "2026Q3", comments="Draft", sign_off=False)
    assert created and row.signed_off_at is None
    card = org_card(world, leader, "gridco")
    assert card.review.comments == "Draft" and card.history == []

    with transaction(world.runtime.sessions) as s:
        row, created = kpi.review(s, leader, "organization", "gridco", "2026Q3", comments="Good quarter",
                                  sign_off=True)
    assert not created and row.signed_off_by == leader.label
    assert row.figures["incidents"] == {"value": 2, "previous": 0, "count": 2, "status": None}

    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=9))  # a late report changes the card...
    card = org_card(world, leader, "gridco")
    assert incidents(card) == 3
    assert [(r.period, r.comments, r.figures["incidents"]["value"]) for r in card.history] == [
        ("2026Q3", "Good quarter", 2)]  # ...not what was signed off
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="read-only"):
        kpi.review(s, leader, "organization", "gridco", "2026Q3", comments="Changed my mind", sign_off=False)


def test_history_lists_signed_off_quarters_newest_first(world):
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s:
        for label in ("2026Q1", "2026Q2"):
            kpi.review(s, leader, "sector", "energy", label, comments=f"Reviewed {label}", sign_off=True)
        kpi.review(s, leader, "sector", "energy", "2026Q3", comments="Not yet", sign_off=False)
    card = sector_card(world, leader, "energy")
    assert [r.period for r in card.history] == ["2026Q2", "2026Q1"]
    assert card.review.comments == "Not yet"
    assert sector_card(world, sector_cert(world), "energy").history[0].comments == "Reviewed 2026Q2"


def test_reviews_are_leaderships_and_of_a_started_quarter(world):
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Forbidden):
            kpi.review(s, world.operator, "organization", "gridco", "2026Q3", comments="", sign_off=True)
        with pytest.raises(Forbidden):
            kpi.review(s, world.actor("analyst@gridco.test"), "organization", "gridco", "2026Q3", comments="",
                       sign_off=True)
        with pytest.raises(NotFound):  # a card it may not read is not there to review
            kpi.review(s, world.actor("analyst@gridco.test"), "organization", "powergen", "2026Q3", comments="",
                       sign_off=True)
        future = periods.quarter_of(utcnow() + timedelta(days=100)).label
        with pytest.raises(Invalid, match="has not started"):
            kpi.review(s, world.actor("leader@ncert.test"), "organization", "gridco", future, comments="",
                       sign_off=False)
