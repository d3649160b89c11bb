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
    assert "Approve revision 1" not in leader.text(page_url)  # not submitted yet
    assert "Submit revision 1 for approval" not in leader.text(page_url)
    early = leader.client.post(f"{page_url}/approve", data=_number_form(leader, page_url, 1))
    assert ("error", "revision 1 of %s is draft, not submitted" % reference) in flashes(
        leader.get(early.headers["Location"]))
    assert "Submit revision 1 for approval" in operator.text(page_url)
    submitted = operator.client.post(f"{page_url}/submit", data=_number_form(operator, page_url, 1))
    assert ("success", "Revision 1 is submitted: a second person (leadership or admin) approves it.") in flashes(
        operator.get(submitted.headers["Location"]))
    assert "Revision 1 is <strong>submitted</strong>" in operator.text(page_url)
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


def test_an_operator_withdraws_a_published_advisory_with_a_reason(as_user, world):
    from tests.advisories.helpers import publish

    reference = publish(world)
    page_url = f"/advisory-drafts/{reference}"
    leader = as_user("leader@ncert.test")
    assert 'id="withdraw-form"' not in leader.text(page_url)  # leadership does not withdraw
    operator = as_user("operator@ncert.test")
    page = operator.text(page_url)
    assert 'id="withdraw-form"' in page and 'name="withdraw-reason"' in page
    token = csrf_token(page)
    no_token = operator.client.post(f"{page_url}/withdraw", data={"withdraw-reason": "Mistaken"})
    assert no_token.status_code in (302, 400)
    assert "Withdrawn on" not in operator.text(page_url)
    empty = operator.client.post(f"{page_url}/withdraw", data={"withdraw-reason": " ", "withdraw-csrf_token": token})
    assert any("reason" in text for _, text in flashes(operator.get(empty.headers["Location"])))
    done = operator.client.post(f"{page_url}/withdraw", data={"withdraw-reason": "The vendor retracted the flaw",
                                                              "withdraw-csrf_token": token})
    assert done.status_code == 302
    page = operator.text(page_url)
    assert "Withdrawn on" in page and "The vendor retracted the flaw" in page
    assert 'id="withdraw-form"' not in page and 'id="revise-form"' not in page  # nothing more to write
    public = operator.client.get(f"/advisories/{reference}?lang=az").get_data(as_text=True)
    assert 'id="withdrawn"' in public and "The vendor retracted the flaw" in public
    leader_az = leader.text(f"{page_url}?lang=az")
    assert "dərc olunub" in leader_az  # the revision's status, in the reader's language
