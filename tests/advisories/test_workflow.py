"""Drafting, a second person's approval, publishing and the revision history of advisories."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent
from ncert.services import advisories
from tests.advisories.helpers import content, publish, release
from tests.differential import Differential


def _draft(world, actor="operator@ncert.test", data=None, sources=(), *, submit=True) -> str:
    """A new advisory, its first revision submitted for approval (by its drafter) unless ``submit`` is false."""
    with transaction(world.runtime.sessions) as s:
        reference = advisories.create(s, world.actor(actor), data or content(), list(sources)).reference
        if submit:
            advisories.submit(s, world.actor(actor), reference, 1)
    return reference


def _submit(world, ref: str, number: int, actor="operator@ncert.test") -> None:
    with transaction(world.runtime.sessions) as s:
        advisories.submit(s, world.actor(actor), ref, number)


def test_the_drafter_cannot_approve_their_own_revision(world):
    ref = _draft(world, "admin@ncert.test")
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden, match="second person"):
        advisories.approve(s, world.admin, ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.approve(s, world.actor("leader@ncert.test"), ref, 1)
    with world.runtime.sessions() as s:
        assert advisories.get(s, world.admin, ref).revisions[0].status == "approved"


def test_anyone_who_edited_a_revision_cannot_approve_it_and_an_edit_voids_an_approval(world):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.admin, ref, content(severity="critical"))  # the admin now wrote it too
    _submit(world, ref, 1)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
        advisories.approve(s, world.admin, ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.approve(s, world.actor("leader@ncert.test"), ref, 1)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.actor("operator2@ncert.test"), ref, content(severity="medium"))
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="draft, not approved"):
        advisories.publish(s, world.operator, ref, 1)


def test_leadership_approves_but_does_not_publish(world):
    ref = _draft(world)
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s:
        advisories.approve(s, leader, ref, 1)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
        advisories.publish(s, leader, ref, 1)


@pytest.mark.parametrize("who", ["operator@ncert.test", "operator2@ncert.test", "analyst@gridco.test"])
def test_only_leadership_or_admin_approve(world, who):
    ref = _draft(world)
    with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
        advisories.approve(s, world.actor(who), ref, 1)


def test_leadership_and_analysts_do_not_draft(world):
    for who in ("leader@ncert.test", "analyst@gridco.test"):
        with transaction(world.runtime.sessions) as s, pytest.raises(Forbidden):
            advisories.create(s, world.actor(who), content())


def test_an_unapproved_draft_is_not_published_and_not_public(world):
    ref = _draft(world, submit=False)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict):
        advisories.publish(s, world.operator, ref, 1)
    with world.runtime.sessions() as s:
        assert advisories.published(s) == []
        with pytest.raises(NotFound):
            advisories.public_advisory(s, ref)


def test_publishing_a_new_revision_keeps_the_history(world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        rev = advisories.revise(s, world.operator, ref, content(severity="critical", change_summary="Exploited widely"))
        assert rev.number == 2
    with world.runtime.sessions() as s:  # the draft is not public yet
        assert [r.number for r in advisories.public_advisory(s, ref).revisions] == [1]
    release(world, ref, 2)
    with world.runtime.sessions() as s:
        shown = advisories.public_advisory(s, ref)
    assert [(r.number, r.severity) for r in shown.revisions] == [(1, "high"), (2, "critical")]
    assert shown.latest.change_summary == "Exploited widely"
    assert shown.initial_release == shown.revisions[0].published_at < shown.current_release


def test_one_open_revision_at_a_time(world):
    ref = publish(world)
    with transaction(world.runtime.sessions) as s:
        advisories.revise(s, world.operator, ref, content())
        again = advisories.revise(s, world.operator, ref, content(severity="low"))
    assert again.number == 2
    with world.runtime.sessions() as s:
        assert [r.number for r in advisories.get(s, world.operator, ref).revisions] == [1, 2]


def test_every_step_is_audited(world):
    ref = publish(world)
    with world.runtime.sessions() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.object_id == ref)
                         .order_by(AuditEvent.id)).all()
    assert rows == [("advisory.draft", "operator@ncert.test"), ("advisory.submit", "operator@ncert.test"),
                    ("advisory.approve", "leader@ncert.test"), ("advisory.publish", "operator@ncert.test"),
                    ("advisory.share", "operator@ncert.test")]


@pytest.mark.parametrize("change, field", [
    ({"texts": {}}, "texts"),
    ({"texts": {"de": {"title": "x", "summary": "y"}}}, "texts.de"),
    ({"cves": ["CVE-26-1"]}, "cves.0"),
    ({"products": [{"name": "X", "cpe": "cpe:/a:vendor"}]}, "products.0.cpe"),
    ({"products": []}, "products"),
    ({"severity": "severe"}, "severity"),
    ({"references": [{"url": "javascript:alert(1)", "summary": "x"}]}, "references.0.url"),
])
def test_content_is_checked(change, field):
    with pytest.raises(Invalid, match=f"^{field}"):
        content(**change)


def test_a_cve_or_indicator_given_twice_is_kept_once():
    data = content(cves=["CVE-2026-10001", "cve-2026-10001", "CVE-2026-0002"],
                   indicators=[{"type": "domain-name", "value": "Evil.Example"},
                               {"type": "domain-name", "value": "evil.example"}])
    assert data.cves == ["CVE-2026-10001", "CVE-2026-0002"]
    assert [(i.type, i.value) for i in data.indicators] == [("domain-name", "evil.example")]


def test_drafts_and_sources_are_national_staff_only(world):
    ref = _draft(world)
    analyst = world.actor("analyst@gridco.test")
    with world.runtime.sessions() as s, pytest.raises(NotFound):
        advisories.get(s, analyst, ref)


def test_drafting_from_incidents_copies_cves_and_clear_indicators_only(world):
    gridco = world.actor("analyst@gridco.test")
    clear = world.submit(gridco, title="VPN exploitation CVE-2026-1111", tlp="TLP:CLEAR",
                         indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"},
                                     {"type": "cve", "value": "CVE-2026-2222"}])
    amber = world.submit(gridco, title="Same campaign", tlp="TLP:AMBER",
                         indicators=[{"type": "domain-name", "value": "amber-only.example"}])
    with world.runtime.sessions() as s:
        filled = advisories.prefill(s, world.operator, [clear, amber])
    assert filled == {"cves": ["CVE-2026-1111", "CVE-2026-2222"],
                      "indicators": [{"type": "ipv4-addr", "value": "198.51.100.7"}]}
    ref = _draft(world, sources=[clear, amber])
    with world.runtime.sessions() as s:
        assert {i.reference for i in advisories.sources(s, world.operator, advisories.get(s, world.operator, ref))} \
            == {clear, amber}


def test_a_source_the_drafter_cannot_see_is_unknown(world):
    hidden = world.submit(world.actor("analyst@powergen.test"), title="Private", tlp="TLP:RED")
    with world.runtime.sessions() as s, pytest.raises(Forbidden):
        advisories.prefill(s, world.actor("analyst@gridco.test"), [hidden])  # not a drafter at all
    with world.runtime.sessions() as s, pytest.raises(NotFound):
        advisories.prefill(s, world.operator, ["NC-2026-999999"])


PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


def test_a_draft_from_an_incident_does_not_depend_on_other_reports_of_its_values(world):
    """Another organisation's hidden report of the same value, with its own CVE, changes nothing."""
    world.submit(world.actor("analyst@powergen.test"), title="Hidden CVE-2026-9999", tlp="TLP:RED",
                 indicators=[{"type": "ipv4-addr", "value": PROBE.secret}, {"type": "cve", "value": "CVE-2026-9998"}])
    gridco = world.actor("analyst@gridco.test")

    def fetch(value: str) -> dict:
        ref = world.submit(gridco, title="Scanning from one address", tlp="TLP:CLEAR",
                           indicators=[{"type": "ipv4-addr", "value": value}])
        with world.runtime.sessions() as s:
            return advisories.prefill(s, world.operator, [ref])

    PROBE.assert_same(fetch)


@pytest.mark.parametrize("label", ["TLP:CLEAR", "TLP:RED"])
def test_an_amber_reports_values_stay_out_however_others_labelled_them(world, label):
    """What a draft copies follows the source report's own label, not the value's national label
    (the least restrictive any report gave it): another report of the value changes nothing."""
    world.submit(world.actor("analyst@powergen.test"), title="Elsewhere", tlp=label,
                 indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])
    gridco = world.actor("analyst@gridco.test")

    def fetch(value: str) -> dict:
        ref = world.submit(gridco, title="Beaconing CVE-2026-7777", tlp="TLP:AMBER",
                           indicators=[{"type": "ipv4-addr", "value": value}])
        with world.runtime.sessions() as s:
            return advisories.prefill(s, world.operator, [ref])

    PROBE.assert_same(fetch)
    assert fetch(PROBE.control) == {"cves": ["CVE-2026-7777"], "indicators": []}
