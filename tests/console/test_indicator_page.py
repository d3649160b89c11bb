"""Issue 11: the console's indicator page, its false-positive button, the incident page's links to it,
and the submit form that finds indicators in pasted text (paste, review, submit: no JavaScript)."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from ncert.models import AuditEvent, Incident, Indicator
from ncert.services import indicators
from tests.console.helpers import csrf_token, flashes, html
from tests.differential import Differential

C2 = "198.51.100.20"


def _report(world, who: str, value: str = C2, tlp: str = "TLP:GREEN", kind: str = "ipv4-addr") -> str:
    return world.submit(world.actor(who), title="Beacon", tlp=tlp, indicators=[{"type": kind, "value": value}])


def test_the_incident_page_links_each_value_to_its_page_and_names_its_warninglists(as_user, world):
    ref = world.submit(world.actor("analyst@gridco.test"), indicators=[{"type": "ipv4-addr", "value": C2},
                                                                       {"type": "ipv4-addr", "value": "10.1.2.3"}])
    page = html(as_user("analyst@gridco.test").get(f"/incidents/{ref}"))
    assert f'href="/indicators/ipv4-addr/{C2}"' in page
    assert ">rfc1918</span>" in page


def test_national_staff_see_every_carrier_and_an_analyst_only_what_it_may_see(as_user, world):
    own = _report(world, "analyst@gridco.test", tlp="TLP:AMBER")
    hidden = _report(world, "analyst@powergen.test", tlp="TLP:RED")
    national = html(as_user("operator@ncert.test").get(f"/indicators/ipv4-addr/{C2}"))
    assert own in national and hidden in national and "powergen" in national
    analyst = as_user("analyst@gridco.test").get(f"/indicators/ipv4-addr/{C2}")
    assert analyst.status_code == 200
    assert own in html(analyst) and hidden not in html(analyst) and "powergen" not in html(analyst)
    assert "Mark a false positive" not in html(analyst)
    assert as_user("analyst@centralbank.test").get(f"/indicators/ipv4-addr/{C2}").status_code == 404


def test_a_url_value_with_its_slashes_has_a_page(as_user, world):
    url = "https://login-update.com/verify?id=7"
    _report(world, "analyst@gridco.test", value=url, kind="url")
    page = as_user("analyst@gridco.test").get("/indicators/url/" + quote(url, safe="/:"))
    assert page.status_code == 200 and url in html(page)


def test_an_operator_marks_a_false_positive_with_a_reason_and_clears_it_audited(as_user, world):
    _report(world, "analyst@gridco.test")
    operator = as_user("operator@ncert.test")
    here = f"/indicators/ipv4-addr/{C2}"
    refused = operator.post(here + "/false-positive", {"fp-reason": ""}, form_page=here)
    assert refused.status_code == 422
    done = operator.post(here + "/false-positive", {"fp-reason": "The lab's scanner"}, form_page=here)
    assert done.status_code == 302
    page = operator.get(here)
    assert ("success", f"{C2} marked a false positive nationally.") in flashes(page)
    assert "The lab&#39;s scanner" in page.get_data(as_text=True) or "The lab's scanner" in html(page)
    analyst_page = html(as_user("analyst@gridco.test").get(here))
    assert "false positive" in analyst_page and "scanner" not in analyst_page

    assert as_user("analyst@gridco.test").post(here + "/false-positive/clear", {}, form_page=here).status_code == 403
    assert operator.post(here + "/false-positive/clear", {"fp-reason": "moved"}, form_page=here).status_code == 302
    with world.runtime.sessions() as s:
        assert s.scalar(select(Indicator).where(Indicator.value == C2)).false_positive_at is None
        assert [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "indicator")
                                            .order_by(AuditEvent.id))] == [
            "indicator.false-positive", "indicator.false-positive-cleared"]


def test_a_hidden_report_of_the_value_changes_nothing_on_the_analysts_page(as_user, world):
    secret, control = "198.51.100.66", "198.51.100.70"
    _report(world, "analyst@powergen.test", value=secret, tlp="TLP:RED")
    analyst = as_user("analyst@gridco.test")

    # The incident page's indicator panel only: its "likely duplicates" tell the prober's two
    # reports (same reporter, same title) apart, which is about them, not the hidden one.
    def fetch(value: str) -> list[str]:
        ref = _report(world, "analyst@gridco.test", value=value, tlp="TLP:AMBER")
        incident_page = html(analyst.get(f"/incidents/{ref}"))
        indicators_panel = re.search(r"<h2>Indicators .*?</section>", incident_page, re.S).group(0)
        return [html(analyst.get(f"/indicators/ipv4-addr/{value}")), indicators_panel,
                html(analyst.get(f"/queue?q={value}"))]

    Differential(secret, control).assert_same(fetch)


BOX = re.compile(r'<input (checked )?id="found-\d+" name="found" type="checkbox" value="([^"]+)"')
TEXT = ("Hello SOC, the phish came from it-support@corp-mail.com and linked "
        "hxxps://login-update[.]com/verify?id=7; the dropper called 198.51.100[.]20 and 8.8.8.8.")


def _form(**fields) -> dict:
    return {"title": "Phishing wave", "description": "", "category": "", "severity": "", "tlp": "TLP:AMBER",
            "occurred_at": "", "aware_at": "", "indicators": "", **fields}


def test_pasted_text_is_reviewed_as_checkboxes_then_only_the_ticked_ones_are_filed(as_user, world):
    analyst = as_user("analyst@gridco.test")
    review = analyst.post("/submit", _form(pasted=TEXT, extract="1"), form_page="/submit")
    assert review.status_code == 200
    page = html(review)
    offered = {value: bool(ticked) for ticked, value in BOX.findall(page)}
    assert offered == {"ipv4-addr 198.51.100.20": True, "ipv4-addr 8.8.8.8": False,  # on a warninglist
                       "url https://login-update.com/verify?id=7": True, "email-addr it-support@corp-mail.com": True}
    assert "on warninglist public-dns-v4" in page
    with world.runtime.sessions() as s:
        assert s.scalar(select(Incident)) is None  # the review step files nothing

    ticked = ["ipv4-addr 198.51.100.20", "url https://login-update.com/verify?id=7"]  # e-mail unticked
    done = analyst.client.post("/submit", data={**_form(pasted=TEXT, indicators="hxxp://cdn-evil[.]net/p\n"),
                                                "found": ticked, "csrf_token": csrf_token(page)})
    assert done.status_code == 302, html(done)
    with world.runtime.sessions() as s:
        inc = s.scalar(select(Incident))
        assert [(i.type, i.value) for i in indicators.of_incident(s, inc.id)] == [
            ("ipv4-addr", "198.51.100.20"), ("url", "http://cdn-evil.net/p"),
            ("url", "https://login-update.com/verify?id=7")]


def test_a_bare_value_needs_no_type_and_an_unknown_line_is_named(as_user, world):
    analyst = as_user("analyst@gridco.test")
    refused = analyst.post("/submit", _form(indicators="198.51.100.7\nnot a value\n"), form_page="/submit")
    assert refused.status_code == 422
    assert "line 2 (not a value): unknown indicator type 'not'" in html(refused)
    done = analyst.post("/submit", _form(indicators=f"{'A' * 64}\n198.51.100[.]7\nCVE-2024-3094\n"),
                        form_page="/submit")
    assert done.status_code == 302
    with world.runtime.sessions() as s:
        inc = s.scalar(select(Incident))
        assert [(i.type, i.value) for i in indicators.of_incident(s, inc.id)] == [
            ("cve", "CVE-2024-3094"), ("ipv4-addr", "198.51.100.7"), ("sha256", "a" * 64)]
