"""The trends page (``/trends``): one question's counts through the search interface, the same cases
on SQLite FTS5, PostgreSQL full text and Elasticsearch; each figure is what the queue lists behind
its link, and a hidden report changes nothing the prober sees."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape

import pytest
from sqlalchemy import select

from ncert import periods
from ncert.db import transaction
from ncert.models import Incident
from ncert.services.trends import TrendFilter, trends
from ncert.taxonomy import Status
from tests.console.helpers import queue_refs
from tests.differential import Differential
from tests.search.conftest import settle

MARCH = "from=2026-03-01&to=2026-03-31"
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
# (reporter, title, severity, label, category, reported at): the first and last fall just outside March
REPORTS = [
    ("gridco", "Ransomware in February", 3, "TLP:GREEN", "malicious-code/infected-system", (2, 28, 23, 59)),
    ("centralbank", "Phishing at midnight", 2, "TLP:CLEAR", "fraud/phishing", (3, 1, 0, 0)),
    ("gridco", "Ransomware at a substation", 3, "TLP:GREEN", "malicious-code/infected-system", (3, 2, 9, 0)),
    ("centralbank", "Phishing wave against customers", 2, "TLP:CLEAR", "fraud/phishing", (3, 3, 9, 0)),
    ("gridco", "Phishing of grid engineers", 1, "TLP:GREEN", "fraud/phishing", (3, 3, 10, 0)),
    ("centralbank", "Port scan, a ransomware precursor", 1, "TLP:GREEN", "information-gathering/scanner",
     (3, 9, 9, 0)),
    ("powergen", "Ransomware in the control room", 3, "TLP:AMBER", "malicious-code/infected-system", (3, 16, 9, 0)),
    ("centralbank", "Phishing kit on our server", 2, "TLP:RED", "fraud/phishing", (3, 31, 23, 59)),
    ("gridco", "Ransomware in April", 3, "TLP:GREEN", "malicious-code/infected-system", (4, 1, 0, 0)),
]


def submit_at(world, reporter: str, title: str, when: datetime, **fields) -> None:
    ref = world.submit(world.actor(f"analyst@{reporter}.test"), title=title, **fields)
    with transaction(world.runtime.sessions) as s:  # an ORM write: Elasticsearch hears it through the outbox
        s.scalar(select(Incident).where(Incident.reference == ref)).reported_at = when


@pytest.fixture
def reports(world):
    for reporter, title, severity, label, category, (month, day, hour, minute) in REPORTS:
        submit_at(world, reporter, title, datetime(2026, month, day, hour, minute, tzinfo=timezone.utc),
                  severity=severity, tlp=label, category=category)
    settle(world.runtime)


def counted(world, who: str, period: str = "2026-03-01..2026-03-31", interval: str | None = None, **f):
    actor = world.operator if who == "operator" else world.actor(who)
    first, last = period.split("..")
    with world.runtime.sessions() as s:
        return trends(s, actor, periods.parse(None, first, last, now=NOW), TrendFilter(**f), interval=interval,
                      now=NOW)


def buckets(found) -> dict[str, dict[str, int]]:
    return {name: {b.key: b.count for b in getattr(found, name)}
            for name in ("over_time", "by_sector", "by_category", "by_severity")}


def test_counts_over_time_and_by_sector_class_and_severity(world, reports):
    found = counted(world, "operator", interval="week")
    assert found.total == 7  # the period's first and last minutes are in it, the minutes around it not
    assert buckets(found) == {
        "over_time": {"2026-02-23": 1, "2026-03-02": 3, "2026-03-09": 1, "2026-03-16": 1, "2026-03-23": 0,
                      "2026-03-30": 1},
        "by_sector": {"finance": 4, "energy": 3},
        "by_category": {"fraud": 4, "malicious-code": 2, "information-gathering": 1},
        "by_severity": {"3": 2, "2": 3, "1": 2},
    }
    first, last = found.over_time[0], found.over_time[-1]
    assert (first.first.isoformat(), first.last.isoformat()) == ("2026-03-01", "2026-03-01")  # clipped to March
    assert (last.first.isoformat(), last.last.isoformat()) == ("2026-03-30", "2026-03-31")
    assert [b.label for b in found.by_sector] == ["Banking and financial market infrastructure", "Energy"]
    assert counted(world, "operator").interval == "day" and len(counted(world, "operator").over_time) == 31
    assert [b.key for b in counted(world, "operator", "2026-01-01..2026-12-31").over_time][-1] == "2026-11-01"


def test_free_text_and_filters_narrow_every_count(world, reports):
    ransomware = counted(world, "operator", interval="month", text="ransomware")
    assert buckets(ransomware)["over_time"] == {"2026-03-01": 3}
    assert buckets(ransomware)["by_category"] == {"malicious-code": 2, "information-gathering": 1}
    assert counted(world, "operator", text="phishing", sector="energy").total == 1
    assert counted(world, "operator", category="fraud", severity=2).total == 3
    assert counted(world, "operator", status=(Status.RESOLVED,)).total == 0
    assert counted(world, "operator", status=(Status.NEW,)).total == 7


def test_each_reader_counts_only_what_it_may_see(world, reports):
    gridco = counted(world, "analyst@gridco.test", text="ransomware", interval="month")
    assert gridco.total == 2 and buckets(gridco)["by_sector"] == {"energy": 1, "finance": 1}  # not powergen's AMBER
    assert counted(world, "analyst@powergen.test", text="ransomware").total == 3
    assert buckets(counted(world, "analyst@partner.test"))["by_category"] == {"fraud": 2}  # TLP:CLEAR only
    assert counted(world, "leader@ncert.test").total == 7


ROW = re.compile(r'<tr><th scope="row"><a href="([^"]+)">([^<]*)</a></th><td>(\d+)</td></tr>')


def figures(page: str, chart: str) -> list[tuple[str, str, int]]:
    """(queue link, label, count) of each bar of a chart, from its table."""
    table = re.search(rf'<figure class="chart" id="{chart}">.*?</figure>', page, re.S).group()
    return [(unescape(link), unescape(label), int(n)) for link, label, n in ROW.findall(table)]


@pytest.mark.parametrize("who", ["leader@ncert.test", "operator@ncert.test", "analyst@gridco.test"])
def test_every_figure_is_what_the_queue_lists_behind_its_link(world, reports, as_user, who):
    console = as_user(who)
    for query in (f"{MARCH}&interval=week", f"{MARCH}&q=ransomware&interval=day", f"{MARCH}&status=open&severity=2",
                  f"{MARCH}&category=fraud&q=phishing&interval=month"):
        page = console.text(f"/trends?{query}")
        total = int(re.search(r'id="trend-total">(\d+) incidents', page).group(1))
        for chart in ("trend-time", "trend-category", "trend-severity", "trend-sector"):
            bars = figures(page, chart)
            assert sum(n for _, _, n in bars) == total, (query, chart)
            for link, label, n in bars:
                # (the queue's sector also lists incidents affecting it: none do here)
                assert len(queue_refs(console.get(link))) == n, (query, label, link)


def test_a_value_carried_only_as_an_indicator_counts_as_the_queue_lists_it(world, as_user):
    value = {"type": "ipv4-addr", "value": "198.51.100.77"}
    world.submit(world.actor("analyst@gridco.test"), title="Beaconing", tlp="TLP:GREEN", indicators=[value],
                 category="malicious-code/c2-server")
    world.submit(world.actor("analyst@powergen.test"), title="Beaconing too", tlp="TLP:AMBER", indicators=[value],
                 category="malicious-code/c2-server")
    settle(world.runtime)
    for who, seen in (("analyst@gridco.test", 1), ("operator@ncert.test", 2)):
        console = as_user(who)
        page = console.text("/trends?q=198[.]51[.]100[.]77")
        assert f'id="trend-total">{seen} incidents' in page
        [(link, label, n)] = figures(page, "trend-category")
        assert (label, n, len(queue_refs(console.get(link)))) == ("malicious-code", seen, seen)


def test_the_page_is_linked_and_refuses_what_it_cannot_answer(world, reports, as_user):
    console = as_user("leader@ncert.test")
    assert 'href="/trends?period=' in console.text("/landscape?period=2026Q1")
    assert 'id="trends-link"' in console.text("/overview")
    assert 'href="/trends"' in console.text("/queue")  # the navigation
    assert console.get("/trends?interval=year").status_code == 400
    assert console.get("/trends?category=no-such-class").status_code == 400
    assert console.get("/trends?from=2020-01-01&to=2022-12-31&interval=day").status_code == 400  # > 400 bars
    assert console.get("/trends").status_code == 200  # this quarter by default


PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_changes_nothing_the_trends_show(world, as_user, label):
    """Other organisations' hidden reports of the secret value, in other sectors and another class and
    severity, move no count, bar or link of the prober's trends of its value."""
    for reporter in ("powergen", "centralbank"):
        world.submit(world.actor(f"analyst@{reporter}.test"), title=f"C2 at {PROBE.secret}", tlp=label,
                     description=f"Callbacks to {PROBE.secret}", severity=3, category="malicious-code/c2-server",
                     affected_sectors=["health"], indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])
    prober = world.actor("analyst@gridco.test")

    def views(value: str) -> list[str]:
        world.submit(prober, title=f"Callbacks to {value}", tlp="TLP:GREEN", severity=1, category="fraud/phishing",
                     indicators=[{"type": "ipv4-addr", "value": value}])
        settle(world.runtime)
        console = as_user("analyst@gridco.test")
        pages = [console.text(f"/trends?q={value}{more}") for more in ("", "&interval=month", "&sector=health",
                                                                       "&category=malicious-code&interval=week")]
        return pages + [console.text(link) for page in pages for chart in ("trend-sector", "trend-category")
                        for link, _, _ in figures(page, chart)]

    PROBE.assert_same(views)


# (reporter, title, label, affected sectors): the reporting sector named affected too counts once
SECTOR_REPORTS = [
    ("gridco", "Grid outage spreads to hospitals and banks", "TLP:GREEN", ["health", "finance"]),
    ("centralbank", "Payment fraud against utilities", "TLP:GREEN", ["energy", "finance"]),
    ("centralbank", "Card skimmers at branches", "TLP:CLEAR", []),
    ("powergen", "Turbine controller compromised, hospitals' power at risk", "TLP:AMBER", ["health"]),
]


def queue_count(world, who: str, sector: str, text: str | None = None) -> int:
    """How many incidents of March the queue lists for ``who`` filtered on ``sector`` (and ``text``)."""
    from ncert.services.queue import QueueFilter, list_incidents
    from ncert.services.trends import reported_range

    actor = world.operator if who == "operator" else world.actor(who)
    after, before = reported_range(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date())
    with world.runtime.sessions() as s:
        return len(list_incidents(s, actor, QueueFilter(sector=(sector,), q=text, reported_after=after,
                                                         reported_before=before), limit=200).items)


@pytest.mark.parametrize("who", ["operator", "analyst@gridco.test", "analyst@partner.test"])
def test_a_sectors_count_is_what_the_queue_lists_filtered_on_it(world, who):
    """A sector counts the incidents reported from it and those naming it affected, as the queue's
    sector filter finds them: each bar is the length of the queue behind its link, and a report in
    two sectors counts in both."""
    for n, (reporter, title, label, affected) in enumerate(SECTOR_REPORTS):
        submit_at(world, reporter, title, datetime(2026, 3, 2 + n, 9, tzinfo=timezone.utc), tlp=label,
                  affected_sectors=affected, category="availability/outage")
    settle(world.runtime)
    found = counted(world, who)
    by_sector = buckets(found)["by_sector"]
    expected, in_finance = {  # (every sector, total), and every sector among the finance sector's incidents
        "operator": (({"energy": 3, "finance": 3, "health": 2}, 4), {"energy": 2, "finance": 3, "health": 1}),
        "analyst@gridco.test": (({"energy": 2, "finance": 3, "health": 1}, 3),  # not powergen's AMBER
                                {"energy": 2, "finance": 3, "health": 1}),
        "analyst@partner.test": (({"finance": 1}, 1), {"finance": 1}),  # TLP:CLEAR only
    }[who]
    assert (by_sector, found.total) == expected
    for sector in ("energy", "finance", "health", "government"):
        assert by_sector.get(sector, 0) == queue_count(world, who, sector), sector
    assert buckets(counted(world, who, sector="finance"))["by_sector"] == in_finance


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_in_the_probers_sectors_moves_no_sector_count(world, label):
    """Differentially: a report the prober may not see, from the prober's own sector and naming the
    sectors the prober's report names affected, leaves every sector count and every queue length the
    prober gets as they were. The same probe (the prober's report of a value, then its trends of that
    value, unfiltered and filtered on each sector), once beside the hidden report and once without it."""
    def views(value: str) -> list:
        if value == PROBE.secret:  # powergen reports from energy, as the prober does
            submit_at(world, "powergen", f"Callbacks to {value}", datetime(2026, 3, 5, 9, tzinfo=timezone.utc),
                      tlp=label, affected_sectors=["health", "finance"],
                      indicators=[{"type": "ipv4-addr", "value": value}])
        submit_at(world, "gridco", f"Callbacks to {value}", datetime(2026, 3, 6, 9, tzinfo=timezone.utc),
                  tlp="TLP:GREEN", affected_sectors=["health"], indicators=[{"type": "ipv4-addr", "value": value}])
        settle(world.runtime)
        answers: list = []
        for sector in (None, "energy", "finance", "health"):
            found = counted(world, "analyst@gridco.test", text=value, sector=sector)
            answers.append((sector, found.total, buckets(found)["by_sector"]))
        answers.append({s: queue_count(world, "analyst@gridco.test", s, value) for s in ("energy", "finance", "health")})
        return answers

    PROBE.assert_same(views)
