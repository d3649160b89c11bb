"""Pulling a TAXII 2.1 collection with taxii2-client, incrementally by added_after,
from a real `ncert serve` (its national collection for sector CERTs)."""

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, StixObject
from ncert.services import directory, feeds
from ncert.taxonomy import TLP
from tests.serving import running_server


def test_taxii_pull_is_incremental_and_enters_as_the_feed_org(world, collections, publish):
    gridco = world.actor("analyst@gridco.test")
    first = world.submit(gridco, title="Substation malware", tlp="TLP:AMBER",
                         indicators=[{"type": "domain-name", "value": "c2.grid.example"}])
    publish(first, "national-sector-certs", TLP.GREEN)
    with world.runtime.sessions() as s:
        system = directory.system_actor(s, "national-cert", "test")
    with running_server(world.runtime) as base:
        with transaction(world.runtime.sessions) as s:
            feeds.add_source(s, world.admin, name="national", kind="taxii", url=f"{base}/taxii2/ncert/",
                             collection_id=collections["national-sector-certs"], org="energy-cert",
                             api_key=world.key("energy-cert"))
        result = feeds.pull(world.runtime.sessions, system, "national")
        assert result.ok, result.errors
        assert result.counts["created"] >= 3  # identity, marking, incident, indicator, relationship
        with world.runtime.sessions() as s:
            cursor = feeds.source(s, "national").added_after
            pulled = s.scalars(select(Incident).where(Incident.reporter_org_id == world.orgs["energy-cert"])).all()
            inbox = s.scalars(select(StixObject.org_id).where(StixObject.collection_id == collections["inbox-energy"]))
            assert set(inbox) == {world.orgs["energy-cert"]}
        assert cursor and [i.title for i in pulled] == ["Substation malware"]

        again = feeds.pull(world.runtime.sessions, system, "national")
        assert again.ok and again.counts == {}

        second = world.submit(gridco, title="Second wave", tlp="TLP:GREEN")
        publish(second, "national-sector-certs", TLP.GREEN)
        third = feeds.pull(world.runtime.sessions, system, "national")
        assert third.ok and third.counts["created"] >= 1
        with world.runtime.sessions() as s:
            titles = s.scalars(select(Incident.title).where(Incident.reporter_org_id == world.orgs["energy-cert"]))
            assert sorted(titles) == ["Second wave", "Substation malware"]
            assert feeds.source(s, "national").added_after > cursor
