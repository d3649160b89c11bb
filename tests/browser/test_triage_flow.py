"""An operator triages an incident in a real browser against a real server."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, TimelineEntry
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.browser.conftest import click_and_load, screenshot, sign_in, wait_for
from tests.serving import running_server

pytestmark = pytest.mark.browser
TRIAGED = ("Status new → triaged; Assigned to operator2@ncert.test; TLP TLP:AMBER → TLP:RED. "
           "Reason: OT impact confirmed")

def test_operator_triages_a_new_energy_incident(world, runtime, browser):
    gridco = world.actor("analyst@gridco.test")
    bank = world.actor("analyst@centralbank.test")
    target = world.submit(gridco, title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                          category="malicious-code/infected-system", severity=4,
                          description="EDR flagged encryption activity on the engineering workstation.",
                          indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"},
                                      {"type": "domain-name", "value": "update-check.example"}])
    other_new = world.submit(gridco, title="Phishing wave against field engineers", tlp="TLP:GREEN",
                             category="fraud/phishing", severity=2)
    already_triaged = world.submit(gridco, title="Brute force on VPN gateway", category="intrusion-attempts/brute-force")
    finance = world.submit(bank, title="DDoS on online banking", tlp="TLP:GREEN", category="availability/ddos",
                           severity=3, indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])
    with transaction(runtime.sessions) as s:
        incidents.transition(s, world.operator, already_triaged, Status.TRIAGED)

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "operator@ncert.test")

        # Filter: the "new" status tab, then the energy sector from the filter bar.
        driver.find_element(By.CSS_SELECTOR, "nav.tabs a.tab-new").click()
        wait_for(driver, "nav.tabs a.tab-new.active")
        Select(driver.find_element(By.NAME, "sector")).select_by_value("energy")
        driver.find_element(By.CSS_SELECTOR, "form.filterbar button[type=submit]").click()
        wait_for(driver, "select[name=sector] option[value=energy][selected]")
        assert "status=new" in driver.current_url and "sector=energy" in driver.current_url
        listed = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "table.queue td.ref a")]
        assert listed == [other_new, target]  # newest first; the triaged and the finance incident are filtered out
        assert already_triaged not in listed and finance not in listed
        screenshot(driver, "queue")

        driver.find_element(By.LINK_TEXT, target).click()
        wait_for(driver, "form.triage-form select[name=triage-status]")
        assert driver.find_element(By.CSS_SELECTOR, "h1").text.endswith("Ransomware on SCADA jump host")
        # The shared indicator points at the finance incident that carries it too.
        shared = driver.find_element(By.XPATH, "//tr[td[normalize-space()='198.51.100.7']]/td[@class='shared']")
        assert shared.text == finance

        # One form: status, a colleague as assignee and the TLP, with one reason.
        Select(driver.find_element(By.NAME, "triage-status")).select_by_value("triaged")
        Select(driver.find_element(By.NAME, "triage-assignee")).select_by_value("operator2@ncert.test")
        Select(driver.find_element(By.NAME, "triage-tlp")).select_by_value("TLP:RED")
        driver.find_element(By.NAME, "triage-reason").send_keys("OT impact confirmed")
        click_and_load(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Apply triage']"))
        flash = wait_for(driver, ".flash-success")
        assert flash.text == f"{target} triaged: {TRIAGED}"
        assert driver.find_element(By.ID, "fact-status").text == "triaged"
        timeline = driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
        assert TRIAGED in timeline
        screenshot(driver, "incident")

    with runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == target))
        assert incident.status is Status.TRIAGED
        assert incident.acknowledged_at is not None
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                          .order_by(TimelineEntry.id.desc())).first()
        assert (entry.kind, entry.actor, entry.body) == ("triage", "operator@ncert.test", TRIAGED)
        assert (incident.assignee.email, str(incident.tlp)) == ("operator2@ncert.test", "TLP:RED")


def _fits(driver, width: int) -> bool:
    """No horizontal scrolling at ``width`` CSS pixels of viewport."""
    driver.set_window_size(width + (driver.execute_script("return window.outerWidth - window.innerWidth") or 0), 900)
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_operator_bulk_assigns_three_incidents_on_a_laptop_and_a_phone(world, runtime, browser):
    gridco = world.actor("analyst@gridco.test")
    refs = [world.submit(gridco, title=f"Credential stuffing wave {n}", category="intrusion-attempts/brute-force")
            for n in range(4)]
    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "operator@ncert.test")
        assert _fits(driver, 1440)
        for ref in refs[:3]:
            driver.find_element(By.CSS_SELECTOR, f"input[name=bulk-ref][value='{ref}']").click()
        Select(driver.find_element(By.NAME, "bulk-assignee")).select_by_value("operator2@ncert.test")
        driver.find_element(By.NAME, "bulk-reason").send_keys("one campaign")
        click_and_load(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Apply to ticked']"))
        flash = wait_for(driver, ".flash-success")
        assert flash.text == f"Changed 3 of 3 incident(s): {', '.join(refs[2::-1])}."  # in the queue's order
        screenshot(driver, "queue-bulk")
        assert _fits(driver, 400)
        assert driver.find_element(By.CSS_SELECTOR, "table.queue td.title").is_displayed()
        driver.get(f"{base_url}/incidents/{refs[0]}")
        wait_for(driver, "form.triage-form")
        assert _fits(driver, 400)
        screenshot(driver, "incident-phone")
    with runtime.sessions() as s:
        assigned = {i.reference: i.assignee.email if i.assignee else None
                    for i in s.scalars(select(Incident).where(Incident.reference.in_(refs)))}
    assert assigned == {**{r: "operator2@ncert.test" for r in refs[:3]}, refs[3]: None}
