"""Elasticsearch stops mid-ingest: intake goes on, search says it is unavailable, the outbox keeps
the index updates, and once the node is back every incident and indicator becomes searchable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ncert import outbox
from ncert.db import utcnow
from ncert.errors import Unavailable
from ncert.search import IndicatorQuery, SearchQuery, indexing, search_incidents, search_indicators
from tests.conftest import fresh_runtime
from tests.factories import build_world
from tests.search.conftest import settle


@pytest.mark.parametrize("backend", ["postgresql+elasticsearch"], indirect=True)
def test_an_outage_mid_ingest_loses_nothing(backend, own_node, tmp_path):
    kind, handle, _ = backend
    for runtime in fresh_runtime((kind, handle), tmp_path, NCERT_ELASTICSEARCH_URL=own_node.url):
        world = build_world(runtime)
        gridco = world.actor("analyst@gridco.test")

        def found(text="beaconing"):
            with runtime.sessions() as s:
                return search_incidents(s, world.operator, SearchQuery(text=text, limit=100)).ids

        def values():
            with runtime.sessions() as s:
                return search_indicators(s, gridco, IndicatorQuery(text="198.51.100.0/24", limit=100)).ids

        def submit(i: int) -> None:
            world.submit(gridco, title=f"Beaconing host {i}", tlp="TLP:GREEN",
                         indicators=[{"type": "ipv4-addr", "value": f"198.51.100.{i}"}])

        for i in range(6):
            submit(i)
            settle(runtime)
        assert len(found()) == 6 and len(values()) == 6

        own_node.stop()
        for i in range(6, 15):  # intake goes on while the cluster is down
            submit(i)
            assert outbox.deliver_due(runtime) == 2  # the incident and its indicator: tried, failed, kept
        with pytest.raises(Unavailable):
            found()
        with pytest.raises(Unavailable):
            values()
        with runtime.sessions() as s:
            status = indexing.status(s, indexing_client(runtime))
            carried = indexing.status(s, indexing_client(runtime), indexing.INDICATOR_FEED)
        assert (status.lag, status.documents, status.rows) == (9, None, 15)
        assert (carried.lag, carried.documents, carried.rows) == (9, None, 15)

        own_node.start()
        later = utcnow() + timedelta(hours=2)  # past every back-off
        while outbox.deliver_due(runtime, now=later):
            pass
        settle(runtime)
        assert len(found()) == 15
        assert len(found("14")) == 1
        assert len(values()) == 15
        with runtime.sessions() as s:
            status = indexing.status(s, indexing_client(runtime))
            carried = indexing.status(s, indexing_client(runtime), indexing.INDICATOR_FEED)
        assert (status.lag, status.failed, status.documents, status.rows) == (0, 0, 15, 15)
        assert (carried.lag, carried.failed, carried.rows) == (0, 0, 15)


def indexing_client(runtime):
    from ncert.search import elastic

    return elastic.client(runtime.settings.elasticsearch_url)
