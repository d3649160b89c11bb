"""The console's tasks and requests for information: the incident page's panels, "My tasks",
the analyst's "Requests" page and answer form, file downloads that never render inline, and
the queue's work badge, which a hidden report cannot change for an analyst."""

from __future__ import annotations

import io
import re

import pytest

from ncert.db import transaction
from ncert.services import rfis, teams
from ncert.services.rfis import RfiDraft
from tests.api.helpers import Api
from tests.console.helpers import html
from tests.differential import Differential

GRIDCO, POWERGEN = "analyst@gridco.test", "analyst@powergen.test"
C2 = Differential(secret="203.0.113.66", control="203.0.113.67")


@pytest.fixture
def api(client, world) -> Api:
    return Api(client, world)


def _ask(world, ref, org="gridco", title="Firewall logs"):
    with transaction(world.runtime.sessions) as s:
        return rfis.ask(s, world.operator, ref, RfiDraft(org=org, title=title, question="Which rules?")).id


def test_an_operator_adds_closes_and_reopens_a_task_on_the_incident_page(as_user, world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    ref = world.submit(world.actor(GRIDCO), title="Wiper on HMI", tlp="TLP:CLEAR")
    operator, page = as_user("operator@ncert.test"), f"/incidents/{ref}"
    added = operator.post(f"{page}/tasks", {"task-title": "Image the HMI", "task-assignee": "operator2@ncert.test",
                                            "task-team": "ot-desk", "task-due_at": "2020-01-01T09:00",
                                            "task-mandatory": "y"}, form_page=page)
    assert added.status_code == 302
    shown = operator.text(page)
    assert 'id="tasks"' in shown and "Image the HMI" in shown and "mandatory" in shown
    assert "clock-overdue" in shown  # due 2020: late
    task_id = int(re.search(r'/tasks/(\d+)/done', shown).group(1))
    token = re.search(rf'name="reassign-{task_id}-csrf_token"[^>]*value="([^"]+)"', shown).group(1)
    moved = operator.client.post(f"/tasks/{task_id}/assign", data={
        f"reassign-{task_id}-csrf_token": token, f"reassign-{task_id}-assignee": "operator@ncert.test",
        f"reassign-{task_id}-team": "", f"reassign-{task_id}-due_at": "2030-01-01T09:00"}, follow_redirects=True)
    assert "Image the HMI updated" in html(moved)
    assert "Image the HMI" in operator.text("/tasks") and "clock-overdue" not in operator.text(page)
    done = operator.post(f"/tasks/{task_id}/done", form_page=page, follow_redirects=True)
    assert "Image the HMI: done" in html(done)
    assert "Re-open" in operator.text(page)
    # The analyst who reported it sees no task panel; operator2's team (OT desk) sees it under "My tasks".
    assert 'id="tasks"' not in as_user(GRIDCO).text(page)
    operator.post(f"/tasks/{task_id}/open", form_page=page)
    with transaction(world.runtime.sessions) as s:
        teams.add_member(s, world.admin, "ot-desk", "operator2@ncert.test")
    operator.client.post(f"/tasks/{task_id}/assign", data={
        f"reassign-{task_id}-csrf_token": token, f"reassign-{task_id}-team": "ot-desk"})
    mine = as_user("operator2@ncert.test").text("/tasks")
    assert "Image the HMI" in mine and ref in mine


def test_an_analyst_answers_a_request_with_a_file_the_operator_downloads(as_user, world):
    ref = world.submit(world.actor(GRIDCO), title="Wiper on HMI", tlp="TLP:AMBER")
    operator, page = as_user("operator@ncert.test"), f"/incidents/{ref}"
    asked = operator.post(f"{page}/rfis", {"rfi-org": "gridco", "rfi-title": "Firewall logs",
                                           "rfi-question": "Which rules dropped it?"}, form_page=page,
                          follow_redirects=True)
    assert "Information requested from GridCo Transmission" in html(asked)
    analyst = as_user(GRIDCO)
    assert "Firewall logs" in analyst.text("/tasks")  # the analyst's "Requests" page
    shown = analyst.text(page)
    assert "Which rules dropped it?" in shown and "Send answer" in shown
    rfi_id = int(re.search(r"/rfis/(\d+)/answer", shown).group(1))
    token = re.search(r'name="answer-csrf_token"[^>]*value="([^"]+)"', shown).group(1)
    answered = analyst.client.post(f"/rfis/{rfi_id}/answer", data={
        "answer-csrf_token": token, "answer-text": "Rules 12 and 14",
        "answer-files": (io.BytesIO(b"<script>alert(1)</script>"), "fw.html")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Answer sent" in html(answered)
    national = operator.text(page)
    assert "Rules 12 and 14" in national and "fw.html" in national
    file_id = int(re.search(r"/rfis/files/(\d+)", national).group(1))
    download = operator.get(f"/rfis/files/{file_id}")
    assert download.status_code == 200 and download.data == b"<script>alert(1)</script>"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="fw.html"')
    assert download.mimetype == "application/octet-stream"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert as_user(POWERGEN).get(f"/rfis/files/{file_id}").status_code == 404
    assert as_user(POWERGEN).get(page).status_code == 404


def test_an_operator_asks_only_organisations_that_see_the_incident(as_user, world):
    ref = world.submit(world.actor(GRIDCO), title="Wiper on HMI", tlp="TLP:AMBER")
    page = as_user("operator@ncert.test").text(f"/incidents/{ref}")
    offered = re.findall(r'<option[^>]*value="([\w-]+)"', page[page.index('name="rfi-org"'):].split("</select>")[0])
    assert offered == ["gridco"]


def _row(text: str, reference: str, anchor: str = "") -> str:
    start = text.index(f'<td class="ref"><a href="/incidents/{reference}{anchor}">')
    return text[text.rindex("<tr", 0, start):text.index("</tr>", start)]


def test_the_queue_badge_counts_work_and_a_hidden_report_changes_nothing_for_the_analyst(as_user, api, world):
    api.submit("centralbank", title="Beacon", tlp="TLP:AMBER", indicators=[{"type": "ipv4-addr", "value": C2.secret}])
    analyst = as_user(GRIDCO)
    refs = {}

    def probe(value: str) -> dict:
        refs[value] = ref = api.submit("gridco", title="Beacon seen", tlp="TLP:AMBER",
                                       indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        _ask(world, ref)
        page = analyst.text(f"/incidents/{ref}")
        return {"console": _row(analyst.text("/queue"), ref),
                "panel": page[page.index('<section class="panel" id="rfis">'):].split("</section>")[0],
                "requests": _row(analyst.text("/tasks"), ref, "#rfis"),
                "api": [i for i in api.get("/incidents", "gridco").json["items"] if i["reference"] == ref]}

    C2.assert_same(probe)
    row = probe("198.51.100.7")
    assert "1 RFI" in row["console"] and "task" not in row["console"]
    assert row["api"][0]["work"] == {"open_tasks": 0, "overdue_tasks": 0, "open_rfis": 1, "overdue_rfis": 0}
    national = _row(as_user("operator@ncert.test").text("/queue"), refs[C2.secret])
    assert "1 RFI" in national
