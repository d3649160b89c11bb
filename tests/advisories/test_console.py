"""The console's advisory desk: an operator drafts from an incident, leadership approves, the
advisory is published; the drafter is offered no approval and is refused one."""

from __future__ import annotations

import re

from tests.console.helpers import csrf_token, flashes

FORM = {
    "adv-title_en": "Ransomware against hospitals", "adv-summary_en": "A ransomware kiberinsident wave.",
    "adv-actions_en": "Patch and back up.",
    "adv-title_az": "Xəstəxanalara qarşı fidyə proqramı", "adv-summary_az": "Kiberinsident dalğası.",
    "adv-actions_az": "Yeniləmələri quraşdırmağı tövsiyə edirik.",
    "adv-severity": "high", "adv-products": "HospitalEHR 4.2 | cpe:2.3:a:medsoft:hospitalehr:4.2:*:*:*:*:*:*:*",
    "adv-references": "https://vendor.example/advisory Vendor advisory", "adv-change_summary": "",
}


def _post_form(console, url: str, page: str, data: dict):
    return console.client.post(url, data={**data, "adv-csrf_token": csrf_token(console.text(page))})


def _number_form(console, page: str, number: int) -> dict:
    return {"number": str(number), "csrf_token": csrf_token(console.text(page))}


def test_operator_drafts_from_an_incident_and_leadership_approves(as_user, world):
    gridco = world.actor("analyst@gridco.test")
    incident = world.submit(gridco, title="CVE-2026-4242 exploited", tlp="TLP:CLEAR",
                            indicators=[{"type": "domain-name", "value": "evil.example"}])
    operator = as_user("operator@ncert.test")
    assert f"/advisory-drafts/new?incidents={incident}" in operator.text(f"/incidents/{incident}")
    new_page = f"/advisory-drafts/new?incidents={incident}"
    filled = operator.text(new_page)
    assert "CVE-2026-4242" in filled and "domain-name evil.example" in filled
    sources = re.search(r'name="adv-sources" type="hidden" value="([^"]*)"', filled).group(1)
    response = _post_form(operator, "/advisory-drafts/new", new_page,
                          {**FORM, "adv-sources": sources, "adv-cves": "CVE-2026-4242",
                           "adv-indicators": "domain-name evil.example"})
    assert response.status_code == 302, flashes(response)
    page_url = response.headers["Location"]
    reference = page_url.rsplit("/", 1)[1]
    page = operator.text(page_url)
    assert incident in page and "Approve revision" not in page  # the drafter is offered no approval
    refused = operator.client.post(f"{page_url}/approve", data=_number_form(operator, page_url, 1))
    assert ("error", "approving advisories needs the leadership or admin role") in flashes(
        operator.get(refused.headers["Location"]))
    assert "Revision 1 is <strong>draft</strong>" in operator.text(page_url)
    leader = as_user("leader@ncert.test")
    review = leader.text(page_url)
    assert "Approve revision 1" in review and "Xəstəxanalara qarşı fidyə proqramı" in review
    approved = leader.client.post(f"{page_url}/approve", data=_number_form(leader, page_url, 1))
    assert approved.status_code == 302
    assert ("success", "Revision 1 approved: it may be published.") in flashes(leader.get(page_url))
    published = operator.client.post(f"{page_url}/publish", data=_number_form(operator, page_url, 1))
    assert published.status_code == 302
    public = operator.client.get(f"/advisories/{reference}?lang=az").get_data(as_text=True)
    assert "Kiberinsident dalğası." in public and "evil.example" in public


def test_leadership_cannot_draft_and_an_analyst_sees_no_desk(as_user):
    leader = as_user("leader@ncert.test")
    assert leader.client.post("/advisory-drafts/new", data={**FORM, "adv-csrf_token": csrf_token(
        leader.text("/queue"))}).status_code == 403
    assert as_user("analyst@gridco.test").get("/advisory-drafts/NCERT-SA-2026-0001").status_code == 404


def test_a_faulty_form_is_named_and_nothing_is_saved(as_user):
    operator = as_user("operator@ncert.test")
    response = _post_form(operator, "/advisory-drafts/new", "/advisory-drafts/new",
                          {**FORM, "adv-cves": "CVE-26-1"})
    assert response.status_code == 302
    assert any("cves.0" in text for _, text in flashes(operator.get(response.headers["Location"])))
    assert "No advisories yet." in operator.text("/advisory-drafts")
