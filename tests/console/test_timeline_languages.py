"""What the system writes on a timeline reads in the page's language (issue 14): the entry keeps its
message (an English template marked for translation and its arguments) beside the English ``body``
that the API, exports, search and the audit trail read. Comments, and entries written before
messages existed, show as stored."""

from __future__ import annotations

import re
from html import escape, unescape

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import clocks, evidence, incidents, tasks, triage
from ncert.taxonomy import Status
from tests.console.helpers import Console

OPERATOR = "operator@ncert.test"
COMMENT = "Called the operator: the OT segment is isolated."
OLD = "Status triaged → investigating"  # as an entry written before messages existed reads
BODIES = re.compile(r'<div class="body">(.*?)</div>', re.S)


def timeline_bodies(console: Console, reference: str, lang: str) -> list[str]:
    page = console.text(f"/incidents/{reference}?lang={lang}")
    assert f'<html lang="{lang}">' in page
    return BODIES.findall(page)


def _incident(world) -> str:
    reference = world.submit(world.actor("analyst@gridco.test"), title="Beaconing from a substation", tlp="TLP:AMBER")
    operator = world.operator
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, operator, reference, Status.TRIAGED, "confirmed by phone")
        triage.triage(s, operator, reference, IncidentPatch(category={"class": "malicious-code", "type": "c2-server"},
                                                            severity=3, reason="beaconing seen"))
        incidents.comment(s, operator, reference, COMMENT)
        incident = incidents.get(s, operator, reference)
        s.add(TimelineEntry(incident_id=incident.id, kind="status", actor="operator", body=OLD))  # no message
    return reference


def test_a_system_entry_reads_in_each_language_and_keeps_its_english_body(as_user, world, runtime):
    reference = _incident(world)
    console = as_user(OPERATOR)

    en = timeline_bodies(console, reference, "en")
    assert "Reported by GridCo Transmission via api" in en
    assert "Status new → triaged: confirmed by phone" in en
    assert "Category other/undetermined → malicious-code/c2-server. Reason: beaconing seen" in en
    assert "Severity 1 → 3. Reason: beaconing seen" in en  # the national severity: an internal entry of its own

    az = timeline_bodies(console, reference, "az")
    assert "GridCo Transmission tərəfindən api vasitəsilə bildirildi" in az
    assert "Status: yeni → ilkin baxışdan keçib; səbəb: confirmed by phone" in az  # the reason as written
    assert ("Kateqoriya Digər / Müəyyən edilməyib → Zərərli kod / İdarəetmə (C2) serveri. Səbəb: beaconing seen"
            in az)
    assert "Ciddilik 1 (Aşağı) → 3 (Yüksək). Səbəb: beaconing seen" in az

    ru = timeline_bodies(console, reference, "ru")
    assert "Сообщение от GridCo Transmission через api" in ru
    assert "Статус новый → первично разобран: confirmed by phone" in ru
    assert "Серьёзность 1 (Низкий) → 3 (Высокий). Причина: beaconing seen" in ru

    for texts in (en, az, ru):  # a comment and an entry written before messages existed: as stored
        assert escape(COMMENT) in texts and escape(OLD) in texts

    with runtime.sessions() as s:  # what is stored stays English
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        rows = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                         .order_by(TimelineEntry.id)).all()
    by_kind = {row.kind: row for row in rows if row.body != OLD}
    assert by_kind["status"].body == "Status new → triaged: confirmed by phone"
    assert by_kind["status"].message == {
        "id": "Status %(old)s → %(new)s: %(reason)s",
        "args": {"old": {"vocab": "status", "key": "new"}, "new": {"vocab": "status", "key": "triaged"},
                 "reason": "confirmed by phone"}}
    assert by_kind["comment"].body == COMMENT and by_kind["comment"].message is None
    assert [row.message for row in rows if row.body == OLD] == [None]


def test_the_triage_flash_reads_in_the_page_language(client, world):
    reference = world.submit(world.actor("analyst@gridco.test"), title="Beaconing from a substation")
    console = Console(client)
    console.login(OPERATOR)
    page = f"/incidents/{reference}?lang=az"
    done = console.post(f"/incidents/{reference}/triage", {
        "triage-status": "triaged", "triage-assignee": "", "triage-team": "", "triage-category": "other/undetermined",
        "triage-severity": "1", "triage-communicated": "2", "triage-tlp": "TLP:AMBER", "triage-reason": ""},
        form_page=page, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Status: yeni → ilkin baxışdan keçib; Milli mərkəz ciddiliyi təyin etdi: 1 (Aşağı) → 2 (Orta)" in text
    assert "Status new → triaged" not in text


def test_no_system_entry_is_left_in_english_on_an_azerbaijani_incident_page(as_user, world, runtime):
    """Playbook firings (an essential entity's ransomware: severity, clocks, tasks, a request), a status change,
    a task and its change, evidence, a merge and a received report, read in Azerbaijani: no timeline text is an
    English message the source marks (placeholders matching anything) or an English vocabulary term."""
    from playbooks import engine
    from tests.browser.test_languages import english_patterns
    from tests.playbooks.helpers import set_entity
    from tests.playbooks.test_library import RANSOMWARE

    set_entity(world, "gridco", "essential")
    engine.install(runtime)
    try:
        reference = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
        duplicate = world.submit(world.actor("analyst@gridco.test"), title="Same ransomware, second report")
        operator = world.operator
        with transaction(runtime.sessions) as s:
            incidents.transition(s, operator, reference, Status.TRIAGED, "")
            task = tasks.create(s, operator, reference, tasks.TaskDraft(title="Image the historian", assignee="me"))
            tasks.change(s, operator, task.id, tasks.TaskChange(status="done"))
            evidence.attach(s, operator, reference, "ransom-note.txt", "text/plain", b"pay" * 500, max_bytes=10_000)
            incidents.merge(s, operator, duplicate, reference, "same event")
            clocks.receive(s, operator, incidents.get(s, operator, reference), "nis2", "early-warning")
    finally:
        engine.uninstall(runtime)

    with runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        kinds = set(s.scalars(select(TimelineEntry.kind).where(TimelineEntry.incident_id == incident.id)))
    assert {"created", "playbook", "status", "task", "evidence", "merge-received", "deadline"} <= kinds
    patterns = english_patterns("az")
    texts = [unescape(text) for text in timeline_bodies(as_user(OPERATOR), reference, "az")]
    assert len(texts) >= 8
    assert [t for t in texts if any(p.fullmatch(t) for p in patterns)] == []
    assert any(t.startswith("ransomware-essential-entity ssenarisi v1") for t in texts)
