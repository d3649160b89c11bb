"""Submitting a revision for approval and withdrawing a published advisory (issue 14): who may, in which
state, what a withdrawal keeps and discards, and what partners are told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent
from ncert.services import advisories
from tests.advisories.helpers import content, publish, release
from tests.advisories.test_sharing import _collections, _objects


def _draft(world, actor="operator@ncert.test") -> str:
    with transaction(world.runtime.sessions) as s:
        return advisories.create(s, world.actor(actor), content()).reference


def _revision(world, ref: str, number: int):
    with world.runtime.sessions() as s:
        return next(r for r in advisories.get(s, world.admin, ref).revisions if r.number == number)


# -- submitting -----------------------------------------------------------------------------------------------


def test_only_a_submitted_revision_is_approved(world):
    ref = _draft(world)
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="is draft, not submitted"):
        advisories.approve(s, leader, ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 1)
    submitted = _revision(world, ref, 1)
    assert (submitted.status, submitted.submitted_by) == ("submitted", "operator@ncert.test")
    assert submitted.submitted_at is not None
    with transaction(world.runtime.sessions) as s:
        advisories.approve(s, leader, ref, 1)
    assert _revision(world, ref, 1).status == "approved"


@pytest.mark.parametrize("who", ["leader@ncert.test", "analyst@gridco.test"])
def test_only_operators_and_admins_submit(world, who):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden, match="submitting"):
        advisories.submit(s, world.actor(who), ref, 1)


def test_any_operator_may_submit_but_the_second_person_rule_holds(world):
    """Submitting writes nothing of the revision: another operator may submit it, and the admin who
    submitted a revision someone else wrote may still approve it; whoever wrote it may not."""
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.admin, ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.approve(s, world.admin, ref, 1)
    own = _draft(world, "admin@ncert.test")
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, own, 1)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden, match="second person"):
        advisories.approve(s, world.admin, own, 1)


def test_a_revision_is_submitted_once_and_only_the_open_one(world):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 1)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="submitted, not draft"):
        advisories.submit(s, world.operator, ref, 1)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="no unpublished revision 2"):
        advisories.submit(s, world.operator, ref, 2)
    published = publish(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="no unpublished revision 1"):
        advisories.submit(s, world.operator, published, 1)


@pytest.mark.parametrize("step", ["submitted", "approved"])
def test_an_edit_takes_a_submitted_or_approved_revision_back_to_draft(world, step):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 1)
        if step == "approved":
            advisories.approve(s, world.actor("leader@ncert.test"), ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(severity="critical"))
    edited = _revision(world, ref, 1)
    assert (edited.status, edited.submitted_by, edited.submitted_at, edited.approved_by) == ("draft", None, None, None)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="draft, not submitted"):
        advisories.approve(s, world.actor("leader@ncert.test"), ref, 1)


def test_submitting_is_audited(world):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.operator, ref, 1)
    with world.runtime.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ref, AuditEvent.action == "advisory.submit"))\
            .one()
    assert (event.actor, event.details) == ("operator@ncert.test", {"revision": 1})


# -- withdrawing ----------------------------------------------------------------------------------------------

REASON = "The vendor retracted the flaw: the product was never affected"


def _withdraw(world, ref: str, reason: str = REASON, who: str = "operator@ncert.test"):
    with transaction(world.runtime.sessions) as s:
        return advisories.withdraw(s, world.actor(who), ref, reason).number


def test_withdrawing_publishes_one_more_revision_with_the_reason_and_the_last_content(world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(severity="critical", change_summary="Exploited widely"))
    release(world, ref, 2)
    assert _withdraw(world, ref) == 3
    with world.runtime.sessions() as s:
        stored = advisories.get(s, world.admin, ref)
        shown = advisories.public_advisory(s, ref)
        assert [a.reference for a in advisories.published(s)] == [ref]  # still public
    withdrawal = stored.revisions[-1]
    assert (withdrawal.status, withdrawal.change_summary, withdrawal.withdrawal_reason) == (
        "published", "Withdrawn", REASON)
    assert advisories.content_of(withdrawal) == {**advisories.content_of(stored.revisions[1]),
                                                 "change_summary": "Withdrawn"}
    assert stored.withdrawn_at == withdrawal.published_at == stored.last_published_at
    assert stored.first_published_at == stored.revisions[0].published_at
    assert shown.withdrawal.number == 3 and shown.withdrawal.withdrawal_reason == REASON
    assert shown.withdrawn_at == stored.withdrawn_at and shown.current_release == stored.withdrawn_at
    assert [r.withdrawal_reason for r in shown.revisions] == [None, None, REASON]


def test_an_unpublished_revision_is_discarded_by_a_withdrawal(world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content(texts={"en": {"title": "Never public", "summary": "x"}}))
        advisories.submit(s, world.operator, ref, 2)
    assert _withdraw(world, ref) == 2  # the withdrawal takes the discarded draft's number: no gap
    with world.runtime.sessions() as s:
        stored = advisories.get(s, world.admin, ref)
        event = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ref,
                                                   AuditEvent.action == "advisory.withdraw")).one()
    assert [(r.number, r.status) for r in stored.revisions] == [(1, "published"), (2, "published")]
    assert stored.revisions[1].texts == stored.revisions[0].texts  # not the draft's words
    assert advisories.open_revision(stored) is None
    assert event.details == {"revision": 2, "reason": REASON, "discarded": {"number": 2, "status": "submitted"}}


def test_a_withdrawn_advisory_takes_no_further_revision(world):
    ref = publish(world)
    _withdraw(world, ref)
    for step in (lambda s: advisories.revise(s, world.operator, ref, content()),
                 lambda s: advisories.withdraw(s, world.operator, ref, "again")):
        with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="is withdrawn"):
            step(s)
    for step in (advisories.submit, advisories.publish):
        with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="no unpublished revision 3"):
            step(s, world.operator, ref, 3)


def test_only_a_published_advisory_is_withdrawn(world):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="never published"):
        advisories.withdraw(s, world.operator, ref, REASON)
    with transaction(world.runtime.sessions) as s, pytest.raises(NotFound):
        advisories.withdraw(s, world.operator, "NCERT-SA-2026-9999", REASON)


@pytest.mark.parametrize("who, error", [("leader@ncert.test", Forbidden), ("analyst@gridco.test", Forbidden)])
def test_only_operators_and_admins_withdraw(world, who, error):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(error, match="withdrawing"):
        advisories.withdraw(s, world.actor(who), ref, REASON)
    assert _withdraw(world, ref, who="admin@ncert.test") == 2


@pytest.mark.parametrize("reason", ["", "   \n\t ", None, "x" * (advisories.REASON_MAX + 1)])
def test_a_withdrawal_says_why(world, reason):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(Invalid, match="^reason"):
        advisories.withdraw(s, world.operator, ref, reason)
    with world.runtime.sessions() as s:
        assert advisories.get(s, world.admin, ref).withdrawn_at is None


def test_withdrawing_is_audited_and_shared_revoked(client, world):
    ids = _collections(world)
    ref = publish(world)
    key = world.key("energy-cert")
    assert client.get("/misp-feeds/sector-certs/manifest.json", headers={"Authorization": key}).get_json()
    _withdraw(world, ref, "Mistaken\n\n  identity")  # a pasted paragraph's breaks: one line of history
    with world.runtime.sessions() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.details).where(AuditEvent.object_id == ref)
                         .order_by(AuditEvent.id)).all()
    assert rows[-2][0] == "advisory.withdraw" and rows[-2][1]["reason"] == "Mistaken identity"
    assert rows[-1][0] == "advisory.share" and rows[-1][1]["revision"] == 2
    # Partners' collections hold the report's latest version revoked, with its indicators and vulnerability.
    latest = _objects(client, world.key("partner-cert"), ids["national-partners"])
    shared = [o for o in latest if o["type"] in ("report", "indicator", "vulnerability")]
    assert {o["type"] for o in shared} == {"report", "indicator", "vulnerability"}
    assert all(o.get("revoked") is True for o in shared)
    every = _objects(client, world.key("partner-cert"), ids["national-partners"], "?match[version]=all")
    reports = sorted((o for o in every if o["type"] == "report"), key=lambda o: o["modified"])
    assert [o.get("revoked", False) for o in reports] == [False, True] and reports[0]["id"] == reports[1]["id"]
    # The MISP feeds no longer serve it as an event.
    manifest = client.get("/misp-feeds/sector-certs/manifest.json", headers={"Authorization": key}).get_json()
    assert manifest == {}
