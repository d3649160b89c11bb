"""An operator triages an incident in a real browser against a real server.

Headless Debian Chromium with its own chromedriver given explicitly, so
Selenium Manager never downloads anything. Set NCERT_SCREENSHOTS=<dir> to
keep screenshots of the queue and the incident page.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, TimelineEntry
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.factories import PASSWORD
from tests.serving import running_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 20


@pytest.fixture
def browser(tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed for the browser tests")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1600,1000", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("NCERT_SCREENSHOTS")
    if folder:
        driver.save_screenshot(str(Path(folder) / f"ncert-{name}.png"))


def wait_for(driver, css: str):
    return WebDriverWait(driver, WAIT_S).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


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
        driver.get(f"{base_url}/queue")
        wait_for(driver, "input[name=email]").send_keys("operator@ncert.test")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait_for(driver, "table.queue")

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
        wait_for(driver, "form.action select[name=status-to]")
        assert driver.find_element(By.CSS_SELECTOR, "h1").text.endswith("Ransomware on SCADA jump host")
        # The shared indicator points at the finance incident that carries it too.
        shared = driver.find_element(By.XPATH, "//tr[td[normalize-space()='198.51.100.7']]/td[@class='shared']")
        assert shared.text == finance

        Select(driver.find_element(By.NAME, "status-to")).select_by_value("triaged")
        driver.find_element(By.NAME, "status-reason").send_keys("OT impact confirmed")
        driver.find_element(By.XPATH, "//button[normalize-space()='Change status']").click()
        flash = wait_for(driver, ".flash-success")
        assert flash.text == f"{target} moved to triaged."
        assert driver.find_element(By.ID, "fact-status").text == "triaged"
        timeline = driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
        assert "Status new → triaged: OT impact confirmed" in timeline
        screenshot(driver, "incident")

    with runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == target))
        assert incident.status is Status.TRIAGED
        assert incident.acknowledged_at is not None
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
                          .order_by(TimelineEntry.id.desc())).first()
        assert (entry.kind, entry.actor, entry.details["new"]) == ("status", "operator@ncert.test", "triaged")
        assert entry.body == "Status new → triaged: OT impact confirmed"
