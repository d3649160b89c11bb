"""Search never shows what the lists hide: a hidden report of the same value changes no hit,
highlight, count or cursor the prober gets, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from ncert.models import Incident
from ncert.search import SearchQuery, search_incidents
from ncert.services.queue import QueueFilter, list_incidents
from tests.differential import Differential
from tests.search.conftest import settle

PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_changes_nothing_search_shows(world, label):
    for reporter in ("powergen", "centralbank"):
        world.submit(world.actor(f"analyst@{reporter}.test"), title=f"C2 at {PROBE.secret}", tlp=label,
                     description=f"Callbacks to {PROBE.secret} every minute", severity=3,
                     category="malicious-code/c2-server", affected_sectors=["health"])
    prober = world.actor("analyst@gridco.test")

    def views(value: str) -> dict:
        world.submit(prober, title=f"Callbacks to {value}", tlp="TLP:GREEN", category="malicious-code/c2-server")
        settle(world.runtime)
        with world.runtime.sessions() as s:
            result = search_incidents(s, prober, SearchQuery(
                text=value, highlight=True, limit=1, aggregations=("over_time", "sector", "category", "severity")))
            reference = {i: s.get(Incident, i).reference for i in result.ids}
            queue = list_incidents(s, prober, QueueFilter(q=value), limit=1)
            return {
                **dataclasses.asdict(result),
                "ids": [reference[i] for i in result.ids],
                "highlights": [[reference[i], fields] for i, fields in result.highlights.items()],
                "queue": [i.reference for i in queue.items], "queue_more": queue.next_cursor is not None,
            }

    # the database backends mark each word of an address: that spelling is the value too
    PROBE.assert_same(views, *(".".join(f"<em>{part}</em>" for part in v.split(".")) for v in (PROBE.secret,
                                                                                              PROBE.control)))
