"""TLP scoping at the service layer: who sees which incident."""

import pytest
from sqlalchemy import select

from ncert.access import scope, visible
from ncert.errors import NotFound
from ncert.models import Incident
from ncert.services import incidents, indicators
from ncert.services.queue import QueueFilter, list_incidents

LABELS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]

# Expected visibility of a gridco incident, by label, for each reader.
EXPECTED = {
    "analyst@gridco.test": {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"},  # own org
    "analyst@powergen.test": {"TLP:CLEAR", "TLP:GREEN"},  # same sector, other org
    "analyst@centralbank.test": {"TLP:CLEAR", "TLP:GREEN"},
    "analyst@partner.test": {"TLP:CLEAR"},  # international partner: outside the national community
    "operator@ncert.test": set(LABELS),
    "leader@ncert.test": set(LABELS),
    "admin@ncert.test": set(LABELS),
}


@pytest.fixture
def by_label(world):
    gridco = world.actor("analyst@gridco.test")
    return {tlp: world.submit(gridco, title=f"Incident under {tlp}", tlp=tlp) for tlp in LABELS}


@pytest.mark.parametrize("reader", sorted(EXPECTED))
def test_get_and_list_follow_tlp(world, by_label, reader):
    actor = world.actor(reader)
    with world.runtime.sessions() as s:
        listed = {i.tlp.value for i in list_incidents(s, actor, QueueFilter(), limit=100).items}
        assert listed == EXPECTED[reader]
        for tlp, ref in by_label.items():
            if tlp in EXPECTED[reader]:
                assert incidents.get(s, actor, ref).reference == ref
            else:
                with pytest.raises(NotFound):
                    incidents.get(s, actor, ref)
        rows = s.scalars(scope(actor, select(Incident))).all()
        assert all(visible(actor, row) for row in rows)
        assert {r.tlp.value for r in rows} == EXPECTED[reader]


def test_text_search_does_not_leak(world, by_label):
    actor = world.actor("analyst@powergen.test")
    with world.runtime.sessions() as s:
        found = list_incidents(s, actor, QueueFilter(q="Incident under"), limit=100).items
    assert {i.tlp.value for i in found} == {"TLP:CLEAR", "TLP:GREEN"}


def test_shared_indicators_only_name_visible_incidents(world):
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    ioc = [{"type": "domain-name", "value": "update-check.example.org"}]
    hidden = world.submit(gridco, title="Hidden", tlp="TLP:AMBER", indicators=ioc)
    shown = world.submit(world.actor("analyst@powergen.test"), title="Shown", tlp="TLP:GREEN", indicators=ioc)
    mine = world.submit(bank, title="Bank sees it too", tlp="TLP:AMBER", indicators=ioc)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, bank, mine)
        ids = [i.id for i in indicators.of_incident(s, inc.id)]
        as_bank = indicators.shared(s, bank, inc, ids)[ids[0]]
        as_staff = indicators.shared(s, world.operator, inc, ids)[ids[0]]
    assert as_bank.references == (shown,) and as_bank.sectors == ("energy",)
    assert set(as_staff.references) == {hidden, shown}


def test_analysts_see_only_their_own_sightings(world):
    ioc = [{"type": "ipv4-addr", "value": "192.0.2.44", "count": 7}]
    ref = world.submit(world.actor("analyst@gridco.test"), tlp="TLP:GREEN", indicators=ioc)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        assert [x.count for x in indicators.sightings_of_incident(s, world.operator, inc.id)] == [7]
        assert indicators.sightings_of_incident(s, world.actor("analyst@powergen.test"), inc.id) == []
        assert len(indicators.sightings_of_incident(s, world.actor("analyst@gridco.test"), inc.id)) == 1
