"""Reporters inform national decisions; they do not make them.

A reporter's severity hint is kept as a hint: it starts the national severity
at most at ``HINT_CEILING``, so crisis mode (level 4 and above) starts only on a
national decision (an operator, the national score). Playbooks that other
organisations' reports fire act nationally only, and a rule reading the hint
cannot reach crisis level.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert import scoring
from ncert.db import transaction
from ncert.models import Notification
from ncert.records import IncidentPatch
from ncert.services import assessments, clocks, incidents
from playbooks.conditions import RuleError
from playbooks.loader import PlaybookError, parse_playbook
from playbooks.schema import build_playbook
from tests.playbooks.helpers import look

PARTNER = "analyst@partner.test"
GRIDCO = "analyst@gridco.test"
BLACKOUT = dict(category="availability/outage", title="Regional blackout after intrusion in transmission control")


def _crisis_mails(it) -> list[Notification]:
    stmt = select(Notification).where(Notification.incident_id == it.incident.id)
    return [n for n in it.s.scalars(stmt) if n.subject.startswith("CRISIS MODE")]


@pytest.mark.parametrize("who, extra", [(PARTNER, {"sector": "energy"}), (GRIDCO, {})])
def test_a_reporters_hint_of_five_is_a_near_miss_for_crisis_mode(world, library, who, extra):
    ref = world.submit(world.actor(who), severity=5, **BLACKOUT, **extra)
    with look(world, ref) as it:
        assert "crisis-mode" not in it.fired()
        assert (it.incident.severity, it.incident.reported_severity) == (incidents.HINT_CEILING, 5)
        assert it.incident.communicated_severity == 5  # what the reporter said, shown back as its own
        assert _crisis_mails(it) == [] and it.deadlines() == []
        assert "Convene the crisis cell" not in [t.title for t in it.tasks()]


def test_an_operators_decision_starts_crisis_mode_and_its_clock_stays_national(world, library):
    ref = world.submit(world.actor(GRIDCO), severity=5, **BLACKOUT)
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(severity=4, reason="grid operator confirms"))
    with look(world, ref) as it:
        assert "crisis-mode" in it.fired()
        [mail] = _crisis_mails(it)
        assert "leader@ncert.test" in mail.target
        assert [(d.regime, d.internal) for d in it.deadlines()] == [("crisis-status", True)]
        assert "Convene the crisis cell" in [t.title for t in it.tasks()]
        assert clocks.of_incident(it.s, world.actor(GRIDCO), it.incident) == []
        assert len(clocks.of_incident(it.s, world.operator, it.incident)) == 1
        assert it.incident.communicated_severity == 5  # the operator's national decision told the reporter nothing


def test_the_national_score_reaching_level_four_starts_crisis_mode(world, library):
    ref = world.submit(world.actor(GRIDCO), **BLACKOUT)
    answers = dict(functional_impact="denial-of-critical-services", information_impact="no-impact",
                   recoverability="extended", observed_activity="effect", potential_impact="severe",
                   safety_effect=True)
    with transaction(world.runtime.sessions) as s:
        row = assessments.assess(s, world.operator, ref, answers, scoring.ScoringConfig())
        assert row.level >= 4
    with look(world, ref) as it:
        assert "crisis-mode" in it.fired() and it.incident.severity >= 4 and it.incident.communicated_severity == 1


def test_national_staff_typing_a_severity_decide_it(world, library):
    ref = world.submit(world.operator, reporter_org="gridco", severity=4, **BLACKOUT)
    with look(world, ref) as it:
        assert "crisis-mode" in it.fired() and it.incident.severity == 4


HINT_RULE = """
name: trusts-the-hint
version: 1
triggers: [incident.created]
when: {{fact: severity_hint, gte: 4}}
actions:
  - {{type: raise_severity_to, level: {level}}}
  - {{type: add_tasks, tasks: [Verify the reporter's claimed severity]}}
"""


def test_a_rule_reading_the_hint_cannot_reach_crisis_level():
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(HINT_RULE.format(level=4))
    assert caught.value.line == 7 and "reading severity_hint cannot set severity 4" in str(caught.value)
    assert parse_playbook(HINT_RULE.format(level=3)).actions  # a near miss: below crisis level


REPORTER_VISIBLE = [
    {"type": "request_information", "text": "Which hosts?"},
    {"type": "set_category", "category": "malicious-code/c2-server"},
    {"type": "set_tlp", "tlp": "TLP:RED"},
    {"type": "assign", "team": "duty"},
]


@pytest.mark.parametrize("action", REPORTER_VISIBLE, ids=lambda a: a["type"])
@pytest.mark.parametrize("triggers, when", [
    (["indicator.correlated"], None),
    (["incident.created"], {"fact": "sectors_sharing_indicator", "gte": 2}),
    (["incident.updated"], {"all": [{"fact": "category_class", "eq": "fraud"},
                                    {"not": {"fact": "severity", "lt": 3}}]}),
    (["anomaly.flagged"], None),
], ids=["correlated", "sharing", "severity", "anomaly"])
def test_a_playbook_fired_by_other_reports_may_not_change_the_reporters_view(action, triggers, when):
    book = {"name": "national", "version": 1, "triggers": triggers,
            "actions": [{"type": "add_tasks", "tasks": ["Look"]}, action]}
    if when:
        book["when"] = when
    with pytest.raises(RuleError) as caught:
        build_playbook(book)
    assert caught.value.where == ("actions", 1) and "what the reporter sees" in caught.value.what


@pytest.mark.parametrize("action", REPORTER_VISIBLE, ids=lambda a: a["type"])
def test_a_playbook_on_the_reports_own_data_may(action):
    book = build_playbook({"name": "own", "version": 1, "triggers": ["incident.created", "incident.updated"],
                           "when": {"all": [{"fact": "category_class", "eq": "fraud"},
                                            {"fact": "severity_hint", "gte": 2}]},
                           "actions": [action]})
    assert not book.national


def test_the_library_splits_into_national_and_own_data_playbooks(library):
    national = {book.name for book in library if book.national}
    assert national == {"crisis-mode", "cross-sector-indicator", "phishing-wave", "supply-chain-provider"}
