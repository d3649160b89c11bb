"""Indicators in the search interface: the same cases on SQLite, PostgreSQL and Elasticsearch."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from ncert.db import transaction
from ncert.errors import BadRequest
from ncert.models import Incident, Indicator
from ncert.search import IndicatorQuery, search_indicators
from tests.search.conftest import settle


def ioc(kind: str, value: str, last: str, first: str = "2026-03-01") -> dict:
    return {"type": kind, "value": value, "first_seen": f"{first}T08:00:00Z", "last_seen": f"{last}T08:00:00Z"}


@pytest.fixture
def iocs(world):
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    powergen = world.actor("analyst@powergen.test")
    world.submit(gridco, title="Beacon", tlp="TLP:GREEN", indicators=[
        ioc("ipv4-addr", "198.51.100.20", "2026-03-05"), ioc("domain-name", "c2.evil-example.net", "2026-03-10"),
        ioc("url", "https://c2.evil-example.net/gate.php", "2026-03-02")])
    world.submit(bank, title="Phish", tlp="TLP:CLEAR", indicators=[
        ioc("ipv4-addr", "198.51.100.21", "2026-03-03"), ioc("sha256", "ab" * 32, "2026-03-09", "2026-02-27")])
    world.submit(powergen, title="Quiet C2", tlp="TLP:AMBER", indicators=[
        ioc("ipv4-addr", "198.51.100.20", "2026-03-20", "2026-01-10"),
        ioc("domain-name", "hidden.evil-example.net", "2026-03-15"), ioc("ipv6-addr", "2001:db8::7", "2026-03-04")])
    world.submit(bank, title="Secret", tlp="TLP:RED", indicators=[ioc("ipv4-addr", "203.0.113.9", "2026-03-06")])
    settle(world.runtime)


def run(world, who, **query):
    actor = world.operator if who == "operator" else world.actor(who)
    with world.runtime.sessions() as s:
        result = search_indicators(s, actor, IndicatorQuery(**query))
        values = dict(s.execute(select(Indicator.id, Indicator.value).where(Indicator.id.in_(result.ids))).all())
    return [values[i] for i in result.ids], result


def found(world, who, **query) -> list[str]:
    return run(world, who, **query)[0]


def test_an_indicator_is_shown_only_through_reports_the_actor_may_see(world, iocs):
    everything = {"198.51.100.20", "198.51.100.21", "c2.evil-example.net", "https://c2.evil-example.net/gate.php",
                  "ab" * 32, "hidden.evil-example.net", "2001:db8::7", "203.0.113.9"}
    assert set(found(world, "operator", limit=100)) == everything
    gridco = {"198.51.100.20", "198.51.100.21", "c2.evil-example.net", "https://c2.evil-example.net/gate.php",
              "ab" * 32}
    assert set(found(world, "analyst@gridco.test", limit=100)) == gridco
    assert set(found(world, "analyst@powergen.test", limit=100)) == gridco | {"hidden.evil-example.net",
                                                                              "2001:db8::7"}
    assert set(found(world, "analyst@partner.test", limit=100)) == {"198.51.100.21", "ab" * 32}  # TLP:CLEAR only


def test_values_exact_refanged_by_prefix_and_by_cidr(world, iocs):
    def values(text, who="operator"):
        return set(found(world, who, text=text, limit=100))

    assert values("198[.]51[.]100[.]20") == {"198.51.100.20"}
    assert values("AB" * 32) == {"ab" * 32}
    assert values("c2.evil-example[.]net") == {"c2.evil-example.net"}  # a domain prefix: itself and longer names
    assert values("c2.evil") == {"c2.evil-example.net"}
    assert values("hxxps://c2.evil-example[.]net/") == {"https://c2.evil-example.net/gate.php"}
    assert values("198.51.100.0/24") == {"198.51.100.20", "198.51.100.21"}
    assert values("198.51.100.0/24 2001:db8::/32") == {"198.51.100.20", "198.51.100.21", "2001:db8::7"}
    assert values("2001:db8::/32", "analyst@gridco.test") == set()  # only a hidden report carries it
    assert values("hidden.evil-example.net", "analyst@gridco.test") == set()
    assert values("not a value!") == set()


def test_type_and_date_filters_use_the_dates_the_actor_may_know(world, iocs):
    assert found(world, "operator", type=("ipv4-addr",), sort="value") == [
        "198.51.100.20", "198.51.100.21", "203.0.113.9"]
    march = {"last_seen_after": datetime(2026, 3, 5, tzinfo=timezone.utc),
             "last_seen_before": datetime(2026, 3, 9, 23, tzinfo=timezone.utc)}
    # nationally 198.51.100.20 was last seen on the 20th; gridco's report says the 5th
    assert set(found(world, "operator", **march)) == {"ab" * 32, "203.0.113.9"}
    assert set(found(world, "analyst@gridco.test", **march)) == {"198.51.100.20", "ab" * 32}
    early = {"first_seen_before": datetime(2026, 2, 28, tzinfo=timezone.utc)}
    assert set(found(world, "operator", **early)) == {"198.51.100.20", "ab" * 32}
    assert set(found(world, "analyst@gridco.test", **early)) == {"ab" * 32}
    assert found(world, "analyst@gridco.test", first_seen_after=datetime(2026, 2, 28, tzinfo=timezone.utc),
                 text="198.51.100.20") == ["198.51.100.20"]


def test_sorted_newest_first_or_by_value_and_paged_by_cursor(world, iocs):
    assert found(world, "analyst@gridco.test") == [
        "c2.evil-example.net", "ab" * 32, "198.51.100.20", "198.51.100.21", "https://c2.evil-example.net/gate.php"]
    assert found(world, "operator", limit=3) == ["198.51.100.20", "hidden.evil-example.net", "c2.evil-example.net"]
    for sort in ("-last_seen", "last_seen", "value", "-value"):
        whole = found(world, "operator", sort=sort, limit=100)
        pages, cursor = [], None
        while True:
            values, result = run(world, "operator", sort=sort, limit=3, cursor=cursor)
            pages += values
            cursor = result.next_cursor
            if cursor is None:
                break
        assert pages == whole and len(whole) == 8
    assert found(world, "operator", sort="value", limit=2) == ["198.51.100.20", "198.51.100.21"]


def test_aggregations_by_type_and_over_time_of_last_seen(world, iocs):
    _, result = run(world, "analyst@gridco.test", limit=1, aggregations=("type", "over_time"))
    assert result.aggregations["type"] == {"domain-name": 1, "ipv4-addr": 2, "sha256": 1, "url": 1}
    assert result.aggregations["over_time"] == {"2026-03-02": 1, "2026-03-03": 1, "2026-03-05": 1,
                                                "2026-03-09": 1, "2026-03-10": 1}
    _, result = run(world, "operator", text="198.51.100.0/24", aggregations=("over_time",), interval="week")
    assert result.aggregations["over_time"] == {"2026-03-02": 1, "2026-03-16": 1}
    _, result = run(world, "operator", aggregations=("over_time",), interval="month")
    assert result.aggregations["over_time"] == {"2026-03-01": 8}


def test_a_label_change_of_a_carrier_reaches_search(world, iocs):
    assert found(world, "analyst@gridco.test", text="hidden.evil-example.net") == []
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.title == "Quiet C2"))
        incident.tlp = "TLP:GREEN"
    settle(world.runtime)
    assert found(world, "analyst@gridco.test", text="hidden.evil-example.net") == ["hidden.evil-example.net"]
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.title == "Quiet C2").values(tlp="TLP:RED"))
    # a write past the ORM the index has not heard of: the page is still checked against the database
    assert found(world, "analyst@gridco.test", text="hidden.evil-example.net") == []


def test_bad_queries_are_refused(world, iocs):
    with pytest.raises(BadRequest):
        run(world, "operator", cursor="not-a-cursor")
    _, result = run(world, "operator", limit=1)
    with pytest.raises(BadRequest):
        run(world, "operator", sort="value", cursor=result.next_cursor)
    with pytest.raises(BadRequest):
        run(world, "operator", type=("colour",))
    with pytest.raises(BadRequest):
        run(world, "operator", aggregations=("sector",))
