"""Search never shows what the lists hide: a hidden report of the same value changes no hit,
highlight, count or cursor the prober gets, on every backend, for incidents, indicators and STIX objects."""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime, timezone

import orjson
import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, Indicator, StixObject, TaxiiCollection
from ncert.search import IndicatorQuery, SearchQuery, StixQuery, search_incidents, search_indicators, search_stix
from ncert.search.indicators import page_facts
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


def _cursor(cursor: str | None):
    """A cursor's sort, value and id (an id the differential sets aside: the values' rows differ)."""
    if cursor is None:
        return None
    sort, value, last_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if sort.endswith("last_seen"):  # compared as a time, which the differential does not set aside
        value = datetime.fromisoformat(value)
    return {"sort": sort, "value": value, "id": last_id}


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_of_a_value_changes_nothing_indicator_search_shows(world, label):
    """Ids, order, cursors, dates and aggregations of indicator search, with and without another
    organisation's hidden report carrying the value (with other dates) and a value beside it."""
    secret = [{"type": "ipv4-addr", "value": PROBE.secret, "first_seen": "2025-01-01T00:00:00Z",
               "last_seen": "2026-11-20T00:00:00Z"},
              {"type": "domain-name", "value": "c2.secret-example.net", "first_seen": "2025-01-01T00:00:00Z",
               "last_seen": "2026-11-21T00:00:00Z"}]
    world.submit(world.actor("analyst@powergen.test"), title="Our sources", tlp=label, indicators=secret)
    prober = world.actor("analyst@gridco.test")
    day = datetime(2026, 11, 2, tzinfo=timezone.utc)

    def views(value: str) -> dict:
        domain = "c2.secret-example.net" if value == PROBE.secret else "c2.control-example.net"
        world.submit(prober, title="Beaconing", tlp="TLP:GREEN", indicators=[
            {"type": "ipv4-addr", "value": value, "first_seen": "2026-11-01T08:00:00Z",
             "last_seen": "2026-11-02T08:00:00Z"},
            {"type": "domain-name", "value": domain, "first_seen": "2026-10-30T08:00:00Z",
             "last_seen": "2026-11-01T08:00:00Z"}])
        settle(world.runtime)
        out = {}
        with world.runtime.sessions() as s:
            spelled = dict(s.execute(select(Indicator.id, Indicator.value)).all())
            both = search_indicators(s, prober, IndicatorQuery(text=f"{value} {domain}")).ids
            for name, query in {
                "exact": IndicatorQuery(text=value, aggregations=("type", "over_time")),
                "cidr": IndicatorQuery(text=f"{value}/32", limit=1, aggregations=("over_time",)),
                "prefix": IndicatorQuery(text=domain.split("-")[0], aggregations=("type", "over_time")),
                "both": IndicatorQuery(text=f"{value} {domain}", limit=1, aggregations=("over_time",)),
                "by_value": IndicatorQuery(text=f"{value} {domain}", sort="value", limit=1),
                "dated": IndicatorQuery(text=f"{value} {domain}", last_seen_after=day, first_seen_before=day),
                "late": IndicatorQuery(text=f"{value} {domain}", last_seen_after=datetime(2026, 11, 10,
                                                                                          tzinfo=timezone.utc)),
            }.items():
                result = search_indicators(s, prober, query)
                out[name] = {"ids": [spelled[i] for i in result.ids], "next": _cursor(result.next_cursor),
                             "aggregations": result.aggregations}
            # the dates the prober is shown: its own report's, never the hidden one's
            out["facts"] = sorted(list(row[1:]) for row in page_facts(s, prober, both).values())
        return out

    PROBE.assert_same(views, "c2.secret-example.net", "c2.control-example.net", "c2.secret", "c2.control")


def test_another_organisations_push_of_the_same_object_changes_nothing_stix_search_shows(world, collections):
    """powergen pushes the secret value into the energy inbox (each organisation reads back only its
    own there), as the same STIX id the prober then pushes: the prober's search is unchanged."""
    from ncert.services import taxii
    from tests.taxii.stix_data import indicator

    ident = "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

    def push(org: str, value: str, day: int) -> None:
        with transaction(world.runtime.sessions) as s:
            coll = s.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == "inbox-energy"))
            taxii.add_objects(s, world.actor(f"analyst@{org}.test"), coll, [indicator(value, day=day, ident=ident)])

    push("powergen", PROBE.secret, 9)
    prober = world.actor("analyst@gridco.test")

    def views(value: str) -> dict:
        push("gridco", value, 2 if value == PROBE.secret else 3)  # the second push is a newer version
        settle(world.runtime)
        with world.runtime.sessions() as s:
            result = search_stix(s, prober, StixQuery(text=value, limit=1, aggregations=("type", "collection")))
            texts = dict(s.execute(select(StixObject.id, StixObject.search_text)).all())
            return {"found": [texts[i] for i in result.ids], "next": result.next_cursor,
                    "aggregations": result.aggregations}

    PROBE.assert_same(views)
