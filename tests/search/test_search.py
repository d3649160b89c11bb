"""The search interface: the same cases on SQLite FTS5, PostgreSQL full text and Elasticsearch."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select, update

from ncert.db import transaction
from ncert.errors import BadRequest, Invalid
from ncert.models import Incident, TimelineEntry
from ncert.records import IncidentPatch
from ncert.search import SearchQuery, search_incidents
from ncert.services import incidents
from ncert.services.queue import QueueFilter, list_incidents
from ncert.taxonomy import TLP, Status
from tests.search.conftest import settle

DAYS = [datetime(2026, 3, d, 9, tzinfo=timezone.utc) for d in (2, 3, 3, 9, 16, 31)]  # Mon, Tue, Tue, Mon, …


@pytest.fixture
def reports(world):
    """Six incidents of three organisations, each on a day of DAYS; returns {name: id}."""
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    powergen = world.actor("analyst@powergen.test")
    made = {
        "ransom": world.submit(gridco, title="Ransomware at a substation", severity=3, tlp="TLP:GREEN",
                               description="Encrypted the <b>SCADA</b> historian", affected_sectors=["health"],
                               category="malicious-code/infected-system"),
        "phish": world.submit(bank, title="Phishing wave against customers", severity=2, tlp="TLP:CLEAR",
                              description="Lures imitate the bank's login", category="fraud/phishing"),
        "phish2": world.submit(gridco, title="Phishing of grid engineers", severity=1, tlp="TLP:GREEN",
                               category="fraud/phishing"),
        "scan": world.submit(bank, title="Port scan from abroad", severity=1, tlp="TLP:GREEN",
                             description="ransomware precursor suspected", category="information-gathering/scanner"),
        "secret": world.submit(powergen, title="Ransomware in the control room", severity=3, tlp="TLP:AMBER",
                               category="malicious-code/infected-system"),
        "red": world.submit(bank, title="Phishing kit on our server", severity=2, tlp="TLP:RED",
                            category="fraud/phishing"),
    }
    with transaction(world.runtime.sessions) as s:
        ids = {}
        for (name, ref), day in zip(made.items(), DAYS):
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            incident.reported_at = day  # an ORM write: Elasticsearch hears it through the outbox
            ids[name] = incident.id
    settle(world.runtime)
    return ids


def run(world, who, **query):
    actor = world.operator if who == "operator" else world.actor(who)
    with world.runtime.sessions() as s:
        return search_incidents(s, actor, SearchQuery(**query))


def names(reports, ids):
    by_id = {v: k for k, v in reports.items()}
    return [by_id[i] for i in ids]


def test_free_text_matches_word_prefixes_in_reference_title_and_description(world, reports):
    def found(text):
        return set(names(reports, run(world, "operator", text=text).ids))

    assert found("ransomware") == {"ransom", "scan", "secret"}
    assert found("Phish") == {"phish", "phish2", "red"}
    assert found("phishing grid") == {"phish2"}  # every word must match
    assert found("scada historian") == {"ransom"}
    assert found("nothing-like-this") == set()
    assert found('" OR 1=1 --') == set()
    with world.runtime.sessions() as s:
        reference = s.get(Incident, reports["scan"]).reference
    assert found(reference) == {"scan"}


def test_structured_filters(world, reports):
    def found(**query):
        return set(names(reports, run(world, "operator", **query).ids))

    assert found(text="phishing", tlp=(TLP.RED,)) == {"red"}
    assert found(category="fraud") == {"phish", "phish2", "red"}
    assert found(category="malicious-code/infected-system") == {"ransom", "secret"}
    assert found(sector=("health",)) == {"ransom"}  # an affected sector counts
    assert found(sector=("finance",)) == {"phish", "scan", "red"}
    assert found(org="gridco") == {"ransom", "phish2"}
    assert found(org="no-such-org") == set()
    assert found(severity=(3,)) == {"ransom", "secret"}
    assert found(status=(Status.NEW,)) == set(reports)
    assert found(status=(Status.CLOSED,)) == set()
    assert found(reported_after=DAYS[3], reported_before=DAYS[5]) == {"secret"}
    with pytest.raises(Invalid):
        found(category="no-such-class")


@pytest.mark.parametrize("sort", ["-reported_at", "reported_at", "-severity", "severity", "updated_at"])
def test_cursor_pages_visit_every_match_once_in_the_queue_order(world, reports, sort):
    pages, cursor = [], None
    while True:
        result = run(world, "analyst@gridco.test", sort=sort, limit=2, cursor=cursor)
        pages += result.ids
        if not result.next_cursor:
            break
        cursor = result.next_cursor
    with world.runtime.sessions() as s:
        queue = [i.id for i in list_incidents(s, world.actor("analyst@gridco.test"), QueueFilter(), sort=sort,
                                              limit=100).items]
    assert pages == queue
    assert set(names(reports, pages)) == {"ransom", "phish", "phish2", "scan"}  # gridco's view


def test_highlights_mark_the_matched_words_in_escaped_text(world, reports):
    result = run(world, "operator", text="scada encrypt", highlight=True)
    assert result.ids == [reports["ransom"]]
    assert result.highlights == {reports["ransom"]: {
        "description": "<em>Encrypted</em> the &lt;b&gt;<em>SCADA</em>&lt;&#x2F;b&gt; historian"}}
    titled = run(world, "operator", text="phishing", highlight=True, tlp=(TLP.CLEAR,))
    assert titled.highlights == {reports["phish"]: {"title": "<em>Phishing</em> wave against customers"}}
    assert run(world, "operator", text="phishing").highlights == {}


def test_aggregations_count_what_the_reader_may_see(world, reports):
    every = ("over_time", "sector", "category", "severity")
    national = run(world, "operator", aggregations=every).aggregations
    assert national["category"] == {"fraud": 3, "information-gathering": 1, "malicious-code": 2}
    # a sector counts the incidents reported from it and those naming it affected, as the queue's filter:
    # the ransomware at the substation (energy) affects health too
    assert national["sector"] == {"energy": 3, "finance": 3, "health": 1}
    assert national["over_time"] == {"2026-03-02": 1, "2026-03-03": 2, "2026-03-09": 1, "2026-03-16": 1,
                                     "2026-03-31": 1}
    assert run(world, "operator", aggregations=("over_time",), interval="week").aggregations == {
        "over_time": {"2026-03-02": 3, "2026-03-09": 1, "2026-03-16": 1, "2026-03-30": 1}}
    assert run(world, "operator", aggregations=("over_time",), interval="month").aggregations == {
        "over_time": {"2026-03-01": 6}}
    gridco = run(world, "analyst@gridco.test", aggregations=every, text="ransomware").aggregations
    assert gridco == {"over_time": {"2026-03-02": 1, "2026-03-09": 1},
                      "sector": {"energy": 1, "finance": 1, "health": 1},
                      "category": {"information-gathering": 1, "malicious-code": 1},
                      "severity": {"1": 1, "3": 1}}


def test_scoping_is_inside_the_query(world, reports):
    assert set(names(reports, run(world, "analyst@gridco.test", text="ransomware").ids)) == {"ransom", "scan"}
    assert set(names(reports, run(world, "analyst@powergen.test", text="ransomware").ids)) == {
        "ransom", "scan", "secret"}
    assert names(reports, run(world, "analyst@partner.test", text="phishing").ids) == ["phish"]  # CLEAR only
    assert run(world, "analyst@gridco.test", tlp=(TLP.RED, TLP.AMBER)).ids == []
    assert run(world, "analyst@partner.test", aggregations=("category",)).aggregations == {"category": {"fraud": 1}}


def test_the_queue_search_box_uses_the_configured_backend(world, reports):
    gridco = world.actor("analyst@gridco.test")
    with world.runtime.sessions() as s:
        page = list_incidents(s, gridco, QueueFilter(q="ransomware"), limit=10)
        assert set(names(reports, [i.id for i in page.items])) == {"ransom", "scan"}
        national = list_incidents(s, world.operator, QueueFilter(q="ransomware", reporter_org="powergen"))
        assert [i.id for i in national.items] == [reports["secret"]]


def test_changes_and_deletions_reach_the_index(world, reports):
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, s.get(Incident, reports["scan"]).reference, Status.TRIAGED)
        s.execute(update(Incident).where(Incident.id == reports["phish2"]).values(title="Renamed"))
        s.get(Incident, reports["phish2"]).title = "Credential lures aimed at engineers"  # the ORM write is heard
    settle(world.runtime)
    assert names(reports, run(world, "operator", status=(Status.TRIAGED,)).ids) == ["scan"]
    assert names(reports, run(world, "operator", text="lures engineers").ids) == ["phish2"]
    with transaction(world.runtime.sessions) as s:  # no service deletes incidents; the index still follows
        s.execute(delete(TimelineEntry).where(TimelineEntry.incident_id == reports["red"]))
        s.delete(s.get(Incident, reports["red"]))
    settle(world.runtime)
    assert "red" not in names(reports, run(world, "operator", text="phishing").ids)


@pytest.mark.parametrize("query, error", [
    ({"sort": "title"}, BadRequest), ({"limit": 0}, BadRequest), ({"aggregations": ("by_colour",)}, BadRequest),
    ({"interval": "year"}, BadRequest), ({"cursor": "not-a-cursor"}, BadRequest),
])
def test_bad_queries_are_refused(world, reports, query, error):
    with pytest.raises(error):
        run(world, "operator", **query)


def test_a_label_tightened_before_the_index_hears_of_it_hides_the_incident_at_once(world, reports):
    with transaction(world.runtime.sessions) as s:  # the outbox row is written, not delivered
        incidents.update_fields(s, world.operator, s.get(Incident, reports["phish"]).reference,
                                IncidentPatch(tlp="TLP:RED"))
    result = run(world, "analyst@gridco.test", text="phishing", highlight=True)
    assert names(reports, result.ids) == ["phish2"] and set(result.highlights) == {reports["phish2"]}
    with world.runtime.sessions() as s:
        queue = list_incidents(s, world.actor("analyst@gridco.test"), QueueFilter(q="phishing"))
        assert names(reports, [i.id for i in queue.items]) == ["phish2"]
