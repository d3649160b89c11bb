"""Cross-sector rules count reporting organisations and the sectors they belong to,
not the sector a report was filed under."""

from __future__ import annotations

from tests.playbooks.helpers import look

C2 = [{"type": "ipv4-addr", "value": "203.0.113.99"}]
BEACON = dict(category="malicious-code/c2-server", title="Beacon", indicators=C2)


def test_one_organisation_under_three_sectors_is_one_sector(world, library):
    refs = [world.submit(world.operator, reporter_org="gridco", sector=sector, **BEACON)
            for sector in ("energy", "finance", "health")]
    for ref in refs:
        with look(world, ref) as it:
            assert it.fired() == set()  # near miss: three reports, one organisation, one sector


def test_a_partners_named_sector_is_never_counted(world, library):
    world.submit(world.actor("analyst@gridco.test"), **BEACON)
    world.submit(world.actor("analyst@centralbank.test"), **BEACON)
    ref = world.submit(world.actor("analyst@partner.test"), sector="health", **BEACON)
    with look(world, ref) as it:
        assert it.fired() == set()  # two national sectors and a partner


def test_three_organisations_of_three_sectors_fire(world, library):
    world.submit(world.actor("analyst@gridco.test"), **BEACON)
    world.submit(world.actor("analyst@centralbank.test"), **BEACON)
    ref = world.submit(world.operator, reporter_org="cityhospital", **BEACON)
    with look(world, ref) as it:
        assert it.fired() == {"cross-sector-indicator"}
