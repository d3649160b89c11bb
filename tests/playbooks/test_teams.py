"""The playbook action "assign to a team" (issue 5) and ``team:`` e-mail recipients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, Notification
from ncert.services import directory, teams
from playbooks import engine
from playbooks.loader import PlaybookError, parse_playbook
from tests.playbooks.helpers import look

OT_PLAYBOOK = """
name: ot-to-desk
version: 1
triggers: [incident.created]
when: {fact: text, contains_any: [plc, scada]}
actions:
  - {type: assign, team: ot-desk}
  - {type: notify, channel: email, recipients: ["team:ot-desk", "team:duty"], template: "{reference} is yours"}
"""


def _run(world, ref: str, text: str = OT_PLAYBOOK) -> engine.Outcome:
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        actor = directory.system_actor(s, "national-cert", "test")
        return engine.run(s, actor, "incident.created", incident, [parse_playbook(text)])


def _desks(world) -> None:
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
        teams.create(s, world.admin, slug="duty", name="Duty team", email="duty@ncert.test")
        teams.add_member(s, world.admin, "ot-desk", "operator@ncert.test")
        teams.add_member(s, world.admin, "ot-desk", "operator2@ncert.test")


def test_a_playbook_assigns_the_team_and_mails_it(world):
    _desks(world)
    ref = world.submit(world.actor("analyst@gridco.test"), title="PLC logic changed at substation")
    outcome = _run(world, ref)
    [(_, _, lines)] = outcome.fired
    assert lines[0] == "assigned to team ot-desk"
    with look(world, ref) as it:
        assert it.incident.team.slug == "ot-desk"
        kinds = [(e.kind, e.body) for e in it.incident.timeline]
        assert ("team", "Team → ot-desk") in kinds
        [note] = it.notes()
        assert note.body.startswith("Playbook ot-to-desk v1 (incident.created): assigned to team ot-desk; e-mail to ")
        mail = it.s.scalar(select(Notification).where(Notification.incident_id == it.incident.id))
        assert mail.target == "operator2@ncert.test, operator@ncert.test, duty@ncert.test"


def test_an_unknown_team_is_a_timeline_line_not_a_crash(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="SCADA historian beaconing")
    outcome = _run(world, ref)
    [(_, _, lines)] = outcome.fired
    assert lines == ["team ot-desk not assigned: no such team", "e-mail to nobody: not-sent"]
    with look(world, ref) as it:
        assert it.incident.team_id is None
        [note] = it.notes()
        assert "team ot-desk not assigned: no such team" in note.body


def test_the_dry_run_describes_the_team_assignment(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="PLC logic changed")
    with world.runtime.sessions() as s:
        actor = directory.system_actor(s, "national-cert", "test")
        [outcome] = engine.dry_run(s, actor, parse_playbook(OT_PLAYBOOK), timedelta(days=1))
    assert outcome.reference == ref and outcome.fired[0][2][0] == "assign to team ot-desk"


@pytest.mark.parametrize("recipient, message", [
    ('"team:OT Desk"', "a team slug is lower-case letters, digits and '-'"),
    ('"desk"', "neither an e-mail address, 'role:<role>' nor 'team:<slug>'"),
])
def test_bad_team_recipients_are_refused_when_loading(recipient, message):
    text = OT_PLAYBOOK.replace('"team:duty"', recipient)
    with pytest.raises(PlaybookError, match=message):
        parse_playbook(text)
