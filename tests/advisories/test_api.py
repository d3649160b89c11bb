"""``/api/v1/advisories`` through the Flask test client: drafting, a second person's approval, publishing
as TLP:CLEAR, who may do what, paging and the JSON errors; the rules are the service's, so each one
answered here is the same as the console's. ``exercise`` also feeds test_openapi's document-wide check."""

from __future__ import annotations

from sqlalchemy import func, select

from ncert.db import transaction
from ncert.models import Advisory, AuditEvent
from ncert.services import directory
from tests.api.helpers import PREFIX, bearer


def body(**changes) -> dict:
    data = {
        "texts": {"en": {"title": "Exploited flaw in ExampleVPN gateways",
                         "summary": "Attackers exploit CVE-2026-12345.", "actions": "Install 9.1.3."},
                  "az": {"title": "ExampleVPN şlüzlərində istismar olunan zəiflik",
                         "summary": "Təcavüzkarlar CVE-2026-12345 zəifliyindən istifadə edir."}},
        "severity": "high",
        "products": [{"name": "ExampleVPN Gateway 9.1", "cpe": "cpe:2.3:a:example:examplevpn:9.1:*:*:*:*:*:*:*"}],
        "cves": ["cve-2026-12345"],
        "indicators": [{"type": "ipv4-addr", "value": "198.51.100.23"}],
        "references": [{"url": "https://vendor.example/psirt/2026-01", "summary": "Vendor advisory"}],
    }
    data.update(changes)
    return data


def draft(api, who="operator", **changes) -> dict:
    response = api.post("/advisories", who, body(**changes))
    assert response.status_code == 201, response.json
    return response.json


def submit(api, ref: str, number: int = 1, who="operator"):
    response = api.post(f"/advisories/{ref}/revisions/{number}/submit", who)
    assert response.status_code == 200, response.json
    return response.json


def second_key(world, role="admin") -> str:
    """Another key of the national centre with ``role``: a different person from the fixture's."""
    with transaction(world.runtime.sessions) as s:
        return directory.create_api_key(s, world.admin, org="national-cert", role=role, name="second")[1]


def test_draft_approve_publish_through_the_api(api, client, world):
    created = draft(api)
    ref = created["reference"]
    assert created["status"] == "draft" and created["revision"] == 1 and created["published_revision"] is None
    assert created["revisions"][0]["cves"] == ["CVE-2026-12345"]  # the service's normalising
    assert created["public_url"] is None and created["csaf_url"] is None
    # Nothing is public before publishing: the draft is TLP:CLEAR only once published.
    assert client.get(f"/advisories/{ref}").status_code == 404

    # Approval waits for the drafter to submit the revision.
    early = api.post(f"/advisories/{ref}/revisions/1/approve", "leader")
    assert early.status_code == 409 and "draft, not submitted" in early.json["detail"]
    submitted = submit(api, ref)
    assert submitted["status"] == "submitted" and submitted["revisions"][0]["submitted_by"].startswith("api-key ")
    assert submitted["revisions"][0]["submitted_at"]
    again = api.post(f"/advisories/{ref}/revisions/1/submit", "operator")
    assert again.status_code == 409 and "submitted, not draft" in again.json["detail"]

    approved = api.post(f"/advisories/{ref}/revisions/1/approve", "leader")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["revisions"][0]["approved_by"].startswith(
        "api-key ")
    assert client.get(f"/advisories/{ref}").status_code == 404  # approved is not published

    published = api.post(f"/advisories/{ref}/revisions/1/publish", "operator")
    assert published.status_code == 200, published.json
    out = published.json
    assert out["status"] == "published" and out["published_revision"] == 1
    assert out["public_url"] == f"http://localhost/advisories/{ref}"
    assert out["csaf_url"].endswith(f"/.well-known/csaf/white/{out['first_published_at'][:4]}/{ref.lower()}.json")
    assert client.get(f"/advisories/{ref}").status_code == 200
    doc = client.get(out["csaf_url"].removeprefix("http://localhost")).get_json()
    assert doc["document"]["distribution"]["tlp"]["label"] == "WHITE"

    again = api.post(f"/advisories/{ref}/revisions/1/publish", "operator")
    assert again.status_code == 409 and again.json["error"] == "conflict"
    assert ref in again.json["detail"]

    # The next revision starts with a PUT once every revision is published, and waits for its approval.
    revised = api.client.put(f"{PREFIX}/advisories/{ref}/draft", headers=bearer(api.key("operator")),
                             json=body(severity="critical", change_summary="Exploited widely"))
    assert revised.status_code == 200, revised.json
    assert [(r["number"], r["status"]) for r in revised.json["revisions"]] == [(1, "published"), (2, "draft")]
    assert revised.json["published_revision"] == 1
    page = client.get(f"/advisories/{ref}").get_data(as_text=True)
    assert '<dd id="severity">high</dd>' in page  # the public still reads revision 1


def test_nobody_who_wrote_a_revision_approves_it(api, world):
    ref = draft(api, "admin")["reference"]
    submit(api, ref, who="admin")
    own = api.post(f"/advisories/{ref}/revisions/1/approve", "admin")
    assert own.status_code == 403 and own.json["error"] == "forbidden" and "second person" in own.json["detail"]
    # Another admin key is another person: it may approve. A key that edited the revision may not.
    other = bearer(second_key(world))
    edit = api.client.put(f"{PREFIX}/advisories/{ref}/draft", headers=other, json=body(severity="low"))
    assert edit.status_code == 200 and edit.json["status"] == "draft"  # an edit takes the submission back
    submit(api, ref)
    assert api.client.post(f"{PREFIX}/advisories/{ref}/revisions/1/approve", headers=other).status_code == 403
    assert api.post(f"/advisories/{ref}/revisions/1/approve", "leader").status_code == 200


def test_an_edit_voids_an_approval(api):
    ref = draft(api)["reference"]
    submit(api, ref)
    assert api.post(f"/advisories/{ref}/revisions/1/approve", "leader").status_code == 200
    edited = api.client.put(f"{PREFIX}/advisories/{ref}/draft", headers=bearer(api.key("operator")),
                            json=body(severity="medium"))
    assert edited.json["status"] == "draft" and edited.json["revisions"][0]["approved_by"] is None
    assert edited.json["revisions"][0]["submitted_by"] is None
    refused = api.post(f"/advisories/{ref}/revisions/1/publish", "operator")
    assert refused.status_code == 409 and "draft, not approved" in refused.json["detail"]


def test_roles(api, world):
    ref = draft(api)["reference"]
    # Leadership approves (its own record) but drafts, edits, submits and publishes nothing.
    assert api.post("/advisories", "leader", body()).status_code == 403
    assert api.client.put(f"{PREFIX}/advisories/{ref}/draft", headers=bearer(api.key("leader")),
                          json=body()).status_code == 403
    assert api.post(f"/advisories/{ref}/revisions/1/submit", "leader").status_code == 403
    assert api.post(f"/advisories/{ref}/revisions/1/submit", "gridco").status_code == 403
    submit(api, ref)
    assert api.post(f"/advisories/{ref}/revisions/1/approve", "leader").status_code == 200
    assert api.post(f"/advisories/{ref}/revisions/1/publish", "leader").status_code == 403
    # An operator does not approve.
    ref2 = draft(api, "admin")["reference"]
    submit(api, ref2, who="admin")
    assert api.post(f"/advisories/{ref2}/revisions/1/approve", "operator").status_code == 403
    # Another organisation's key: no list, no advisory, no drafting.
    listing = api.get("/advisories", "gridco")
    assert listing.status_code == 403 and listing.json["error"] == "forbidden"
    assert api.get(f"/advisories/{ref}", "gridco").status_code == 404
    assert api.get(f"/advisories/{ref}", "partner").json["error"] == "not_found"
    assert api.post("/advisories", "gridco", body()).status_code == 403
    assert api.post(f"/advisories/{ref}/revisions/1/publish", "gridco").status_code == 403
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 2


def test_invalid_content_is_a_422_naming_the_field_and_writes_nothing(api, world):
    response = api.post("/advisories", "operator", body(severity="apocalyptic"))
    assert response.status_code == 422 and response.json["error"] == "invalid"
    assert response.json["detail"].startswith("severity")
    assert api.post("/advisories", "operator", body(texts={})).status_code == 422
    assert api.post("/advisories", "operator", body(products=[{"name": "x", "cpe": "not-a-cpe"}])).status_code == 422
    assert api.post("/advisories", "operator", {**body(), "tlp": "TLP:RED"}).status_code == 422  # always CLEAR
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("advisory.%"))) == 0


def test_drafting_from_incidents_links_them_for_staff_only(api, world):
    incident = api.submit("gridco", title="GridCo VPN breach")["reference"]
    created = api.post("/advisories", "operator", {**body(), "incidents": [incident]})
    assert created.status_code == 201 and created.json["incidents"] == [incident]
    assert created.headers["Location"].endswith(f"/api/v1/advisories/{created.json['reference']}")
    unknown = api.post("/advisories", "operator", {**body(), "incidents": ["NC-2026-999999"]})
    assert unknown.status_code == 404


def test_the_list_is_newest_first_and_keyset_paged(api):
    refs = [draft(api)["reference"] for _ in range(3)]
    first = api.get("/advisories?limit=2", "leader")
    assert first.status_code == 200
    assert [a["reference"] for a in first.json["items"]] == refs[::-1][:2]
    assert first.json["limit"] == 2 and first.json["next_cursor"]
    second = api.get(f"/advisories?limit=2&cursor={first.json['next_cursor']}", "leader")
    assert [a["reference"] for a in second.json["items"]] == refs[:1] and second.json["next_cursor"] is None
    bad = api.get("/advisories?cursor=bm9wZQ", "leader")
    assert bad.status_code == 400 and bad.json["error"] == "bad_request" and "cursor" in bad.json["detail"]
    assert api.get("/advisories?limit=0", "leader").status_code == 400


def exercise(check, api) -> None:
    """Every advisory operation with a success and at least one error (test_openapi's Checker)."""
    c, op, leader, gridco = (api.client, bearer(api.key("operator")), bearer(api.key("leader")),
                             bearer(api.key("gridco")))
    listing, one = f"{PREFIX}/advisories", f"{PREFIX}/advisories/{{advisory_reference}}"
    ref = check(listing, "post", c.post(listing, json=body(), headers=op))["reference"]
    check(listing, "post", c.post(listing, json=body(), headers=gridco))  # 403
    check(listing, "post", c.post(listing, json=body(severity="x"), headers=op))  # 422
    check(listing, "get", c.get(listing, headers=leader))
    check(listing, "get", c.get(listing, headers=gridco))  # 403
    check(one, "get", c.get(f"{listing}/{ref}", headers=op))
    check(one, "get", c.get(f"{listing}/{ref}", headers=gridco))  # 404
    check(f"{one}/draft", "put", c.put(f"{listing}/{ref}/draft", json=body(severity="low"), headers=op))
    check(f"{one}/draft", "put", c.put(f"{listing}/{ref}/draft", json=body(), headers=leader))  # 403
    submit_, approve = f"{one}/revisions/{{number}}/submit", f"{one}/revisions/{{number}}/approve"
    publish, withdraw = f"{one}/revisions/{{number}}/publish", f"{one}/withdraw"
    check(submit_, "post", c.post(f"{listing}/{ref}/revisions/1/submit", headers=leader))  # 403
    check(submit_, "post", c.post(f"{listing}/{ref}/revisions/1/submit", headers=op))
    check(approve, "post", c.post(f"{listing}/{ref}/revisions/1/approve", headers=op))  # 403
    check(approve, "post", c.post(f"{listing}/{ref}/revisions/1/approve", headers=leader))
    check(publish, "post", c.post(f"{listing}/{ref}/revisions/2/publish", headers=op))  # 409
    check(withdraw, "post", c.post(f"{listing}/{ref}/withdraw", json={"reason": "x"}, headers=op))  # 409: unpublished
    check(publish, "post", c.post(f"{listing}/{ref}/revisions/1/publish", headers=op))
    check(withdraw, "post", c.post(f"{listing}/{ref}/withdraw", json={"reason": ""}, headers=op))  # 422
    check(withdraw, "post", c.post(f"{listing}/{ref}/withdraw", json={"reason": "x"}, headers=leader))  # 403
    check(withdraw, "post", c.post(f"{listing}/{ref}/withdraw", json={"reason": "Not exploitable"}, headers=op))


def test_every_advisory_operation_matches_the_openapi_document(api, client):
    from tests.api.test_openapi import Checker

    doc = client.get(f"{PREFIX}/openapi.json").json
    check = Checker(doc)
    exercise(check, api)
    for path, item in doc["paths"].items():
        if not path.startswith(f"{PREFIX}/advisories"):
            continue
        for method in item:
            statuses = {s for p, m, s in check.seen if (p, m) == (path, method)}
            assert any(s < 300 for s in statuses) and any(s >= 400 for s in statuses), (path, method)


def test_withdrawing_through_the_api(api, client, world):
    ref = draft(api)["reference"]
    refused = api.post(f"/advisories/{ref}/withdraw", "operator", {"reason": "Mistaken"})
    assert refused.status_code == 409 and "never published" in refused.json["detail"]
    submit(api, ref)
    api.post(f"/advisories/{ref}/revisions/1/approve", "leader")
    api.post(f"/advisories/{ref}/revisions/1/publish", "operator")
    assert api.post(f"/advisories/{ref}/withdraw", "operator", {}).status_code == 422  # a reason is required
    assert api.post(f"/advisories/{ref}/withdraw", "operator", {"reason": "   "}).status_code == 422
    assert api.post(f"/advisories/{ref}/withdraw", "operator", {"reason": "x" * 2001}).status_code == 422
    assert api.post(f"/advisories/{ref}/withdraw", "leader", {"reason": "Mistaken"}).status_code == 403
    assert api.post(f"/advisories/{ref}/withdraw", "gridco", {"reason": "Mistaken"}).status_code == 403
    done = api.post(f"/advisories/{ref}/withdraw", "operator", {"reason": "The vendor retracted the flaw"})
    assert done.status_code == 200, done.json
    out = done.json
    assert out["withdrawn_at"] and out["status"] == "published" and out["published_revision"] == 2
    assert [(r["number"], r["status"], r["withdrawal_reason"]) for r in out["revisions"]] == [
        (1, "published", None), (2, "published", "The vendor retracted the flaw")]
    assert out["revisions"][1]["texts"] == out["revisions"][0]["texts"]  # the last published content, kept
    assert "withdrawn" in client.get(f"/advisories/{ref}").get_data(as_text=True)
    again = api.post(f"/advisories/{ref}/withdraw", "operator", {"reason": "twice"})
    assert again.status_code == 409 and again.json["error"] == "conflict"
    edit = api.client.put(f"{PREFIX}/advisories/{ref}/draft", headers=bearer(api.key("operator")), json=body())
    assert edit.status_code == 409 and "withdrawn" in edit.json["detail"]
    with world.runtime.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ref).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["advisory.withdraw", "advisory.share"]
