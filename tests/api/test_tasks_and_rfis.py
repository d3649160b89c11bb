"""``/incidents/<ref>/tasks``, ``/tasks/<id>``, ``/incidents/<ref>/rfis`` and ``/rfis/<id>/answer``:
national staff work the tasks; the organisation asked sees and answers its requests; nothing of
either reaches anyone else, and a hidden report changes nothing the asked organisation sees."""

from __future__ import annotations

import base64

import pytest

from tests.api.helpers import PREFIX, bearer
from tests.differential import Differential
from tests.playbooks.conftest import library  # noqa: F401  (the default library with detection)
from tests.playbooks.helpers import set_entity

C2 = Differential(secret="203.0.113.66", control="203.0.113.67")
RANSOMWARE = {"title": "LockBit ransomware encrypted SCADA historian servers", "category": "malicious-code/infected-system",
              "description": "Ransom note found on 40 hosts; the control room lost its historian."}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def exercise(check, api) -> None:
    """Every task and RFI operation with a success and at least one error (test_openapi's Checker)."""
    c, op, gridco, leader = (api.client, bearer(api.key("operator")), bearer(api.key("gridco")),
                             bearer(api.key("leader")))
    ref = api.submit("gridco", title="Wiper on HMI", tlp="TLP:AMBER")["reference"]
    listing, one = f"{PREFIX}/incidents/{{reference}}/tasks", f"{PREFIX}/tasks/{{task_id}}"
    created = check(listing, "post", c.post(f"{PREFIX}/incidents/{ref}/tasks", headers=op,
                                            json={"title": "Image the HMI", "due_at": "2030-01-01T00:00:00Z"}))
    check(listing, "post", c.post(f"{PREFIX}/incidents/{ref}/tasks", headers=gridco, json={"title": "x"}))  # 403
    check(listing, "post", c.post(f"{PREFIX}/incidents/{ref}/tasks", headers=op, json={"title": ""}))  # 422
    check(listing, "get", c.get(f"{PREFIX}/incidents/{ref}/tasks", headers=op))
    check(listing, "get", c.get(f"{PREFIX}/incidents/NC-1999-000001/tasks", headers=op))  # 404
    check(one, "patch", c.patch(f"{PREFIX}/tasks/{created['id']}", headers=op, json={"status": "done"}))
    check(one, "patch", c.patch(f"{PREFIX}/tasks/{created['id']}", headers=op, json={"status": "done"}))  # 409
    check(one, "patch", c.patch(f"{PREFIX}/tasks/{created['id']}", headers=leader, json={"status": "open"}))  # 403
    check(one, "patch", c.patch(f"{PREFIX}/tasks/{created['id']}", headers=gridco, json={"status": "open"}))  # 404

    rfis, answer = f"{PREFIX}/incidents/{{reference}}/rfis", f"{PREFIX}/rfis/{{rfi_id}}/answer"
    asked = check(rfis, "post", c.post(f"{PREFIX}/incidents/{ref}/rfis", headers=op,
                                       json={"org": "gridco", "title": "Logs", "question": "Which rules?"}))
    check(rfis, "post", c.post(f"{PREFIX}/incidents/{ref}/rfis", headers=op,
                               json={"org": "powergen", "title": "Logs", "question": "Which rules?"}))  # 422
    check(rfis, "post", c.post(f"{PREFIX}/incidents/{ref}/rfis", headers=gridco,
                               json={"org": "gridco", "title": "Logs", "question": "?"}))  # 403
    check(rfis, "get", c.get(f"{PREFIX}/incidents/{ref}/rfis", headers=gridco))
    check(rfis, "get", c.get(f"{PREFIX}/incidents/{ref}/rfis", headers=bearer(api.key("powergen"))))  # 404
    path = f"{PREFIX}/rfis/{asked['id']}/answer"
    check(answer, "post", c.post(path, headers=gridco, json={"text": "Rules 12 and 14", "attachments": [
        {"filename": "fw.log", "content_type": "text/plain", "content_base64": _b64(b"drop")}]}))
    check(answer, "post", c.post(path, headers=op, json={"text": "mine"}))  # 403
    check(answer, "post", c.post(path, headers=gridco, json={"attachments": [
        {"filename": "x", "content_base64": "not base64!"}]}))  # 422
    check(answer, "post", c.post(f"{PREFIX}/rfis/999999/answer", headers=gridco, json={"text": "?"}))  # 404


def test_operators_add_assign_close_and_reopen_tasks_others_see_none(api, world):
    ref = api.submit("gridco", title="Wiper on HMI", tlp="TLP:CLEAR")["reference"]
    made = api.post(f"/incidents/{ref}/tasks", "operator", {"title": "Notify the regulator", "mandatory": True,
                                                             "assignee": "operator2@ncert.test",
                                                             "due_at": "2020-01-01T00:00:00Z"})
    assert made.status_code == 201, made.json
    task = made.json
    assert (task["incident"], task["assignee"], task["mandatory"], task["status"], task["overdue"]) == (
        ref, "operator2@ncert.test", True, "open", True)
    assert api.get(f"/incidents/{ref}", "operator").json["work"] == {"open_tasks": 1, "overdue_tasks": 1,
                                                                       "open_rfis": 0, "overdue_rfis": 0}
    assert api.get(f"/incidents/{ref}", "gridco").json["work"] is None
    api.triage(ref, status="triaged")
    refused = api.patch(f"/incidents/{ref}", "operator", {"status": "resolved"})
    assert refused.status_code == 409 and refused.json["error"] == "open_mandatory_tasks"
    assert "Notify the regulator" in refused.json["detail"]
    done = api.patch(f"/tasks/{task['id']}", "operator", {"status": "done"}).json
    assert (done["status"], done["closed_by"].startswith("api-key "), done["overdue"]) == ("done", True, False)
    assert api.patch(f"/incidents/{ref}", "operator", {"status": "resolved"}).status_code == 200
    reopened = api.patch(f"/tasks/{task['id']}", "operator", {"status": "open"}).json
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)
    assert [t["title"] for t in api.get(f"/incidents/{ref}/tasks", "leader").json["items"]] == [
        "Notify the regulator"]
    for who in ("gridco", "powergen"):  # the incident is TLP:CLEAR: both see it, neither its tasks
        assert api.get(f"/incidents/{ref}/tasks", who).json == {"items": []}
        assert api.patch(f"/tasks/{task['id']}", who, {"status": "done"}).status_code == 404


def test_the_organisation_asked_answers_with_a_file_and_operators_read_it(api, world):
    ref = api.submit("gridco", title="Wiper on HMI", tlp="TLP:AMBER")["reference"]
    asked = api.post(f"/incidents/{ref}/rfis", "operator", {"org": "gridco", "title": "Logs",
                                                            "question": "Which rules?",
                                                            "due_at": "2030-01-01T00:00:00Z"}).json
    assert (asked["org"], asked["state"], asked["answers"]) == ("gridco", "open", [])
    answered = api.post(f"/rfis/{asked['id']}/answer", "gridco", {"text": "Rules 12 and 14", "attachments": [
        {"filename": "fw.log", "content_type": "text/plain", "content_base64": _b64(b"drop 10.0.0.1")}]})
    assert answered.status_code == 201, answered.json
    (reply,) = answered.json["answers"]
    assert (answered.json["state"], reply["text"]) == ("answered", "Rules 12 and 14")
    assert [(f["filename"], f["size"]) for f in reply["attachments"]] == [("fw.log", 13)]
    national = api.get(f"/incidents/{ref}", "operator").json
    assert any(e["kind"] == "rfi" and "Rules 12 and 14" in e["body"] for e in national["timeline"])
    assert not any(e["kind"] == "rfi" for e in api.get(f"/incidents/{ref}", "gridco").json["timeline"])
    assert api.get(f"/incidents/{ref}/rfis", "operator").json["items"][0]["answers"][0]["text"] == "Rules 12 and 14"


def test_a_file_over_the_cap_is_refused(api, world):
    ref = api.submit("gridco", title="Wiper on HMI")["reference"]
    asked = api.post(f"/incidents/{ref}/rfis", "operator", {"org": "gridco", "title": "Logs", "question": "?"}).json
    big = b"x" * (world.runtime.settings.attachment_max_bytes + 1)
    refused = api.post(f"/rfis/{asked['id']}/answer", "gridco", {"attachments": [
        {"filename": "big.bin", "content_base64": _b64(big)}]})
    assert refused.status_code in (413, 422)
    assert api.get(f"/incidents/{ref}/rfis", "gridco").json["items"][0]["state"] == "open"


@pytest.mark.usefixtures("library")
def test_a_hidden_report_changes_nothing_of_the_requests_the_reporter_sees(api, world):
    """Another organisation's hidden report of the same C2 address makes the cross-sector playbook (three sectors)
    fire on gridco's ransomware report; the requests gridco sees (from the playbook and by hand)
    and its task list are the same as for the control value nobody else reported."""
    set_entity(world, "gridco", "essential")
    beacon = {"title": "Beacon", "tlp": "TLP:AMBER", "indicators": [{"type": "ipv4-addr", "value": C2.secret}]}
    for org in ("centralbank", "cityhospital"):  # with gridco's: three sectors
        assert api.client.post(f"{PREFIX}/incidents", json=beacon, headers=bearer(world.key(org))).status_code == 201
    refs = {}

    def probe(value: str) -> dict:
        refs[value] = ref = api.submit("gridco", **RANSOMWARE, tlp="TLP:AMBER",
                                       indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        api.post(f"/incidents/{ref}/rfis", "operator", {"org": "gridco", "title": "Logs", "question": "Which?"})
        return {"rfis": api.get(f"/incidents/{ref}/rfis", "gridco").json,
                "tasks": api.get(f"/incidents/{ref}/tasks", "gridco").json}

    C2.assert_same(probe)
    seen = api.get(f"/incidents/{refs[C2.secret]}/rfis", "gridco").json["items"]
    assert [r["title"] for r in seen] == ["NIS2 early warning details", "Logs"]

    def fired(value: str) -> bool:
        timeline = api.get(f"/incidents/{refs[value]}", "operator").json["timeline"]
        return any("cross-sector-indicator" in e["body"] for e in timeline)

    assert fired(C2.secret) and not fired(C2.control)  # the probe is real: the hidden reports counted nationally
