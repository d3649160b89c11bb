"""Leadership's quarterly review in a real browser against a real server: the heat
map and a drifting risk's evidence, a KPI card's quarter, a review signed off, and
the quarterly PDF (issue 10, "Done means")."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from ncert import periods
from ncert.db import transaction, utcnow
from ncert.models import KpiReview
from ncert.services import kpi
from sector_certs import demo_risks
from tests.browser.conftest import WAIT_S, click_and_load, screenshot, sign_in, wait_for
from tests.console.issue10_helpers import assessment, new_risk
from tests.services.kpi_helpers import place, report
from tests.serving import running_server

pytestmark = pytest.mark.browser

LEADER = "leader@ncert.test"
COMMENTS = "Reporting is on time; acknowledgement must get faster before the next review."


def test_leadership_reviews_the_register_and_signs_off_a_kpi_card(world, runtime, browser):
    now = utcnow()
    quarter = periods.quarter_of(now).previous()  # the quarter leadership reviews
    drifting = new_risk(world, title="Malware at energy operators", assessment=assessment(current=(2, 5)),
                        threat={"rsit": ["malicious-code"]})
    steady = new_risk(world, title="Payment fraud", owner={"org": "centralbank", "person": "CISO"},
                      sectors=["finance"], threat={"rsit": ["fraud"]}, assessment=assessment(current=(4, 4)))
    powergen = world.actor("analyst@powergen.test")
    evidence = []
    for days_ago in (30, 20):  # two a year puts the observed likelihood at 3, above the assessed 2
        evidence.append(world.submit(powergen, title=f"Infected HMI {days_ago}", category="malicious-code/infected-system"))
        place(world, evidence[-1], reported_at=now - timedelta(days=days_ago))
    with transaction(runtime.sessions) as s:  # the scheduler's drift check, as the demo runs it
        flagged = demo_risks.watch_drift(s, world.admin, runtime.settings.risk_drift_days,
                                         now - timedelta(days=runtime.settings.risk_drift_days + 1), now)
        assert [r.reference for r in flagged] == [drifting]
    # GridCo's card: three incidents in the reviewed quarter, one in the current one.
    for day in (1, 2, 3):
        report(world, "analyst@gridco.test", reported=quarter.start + timedelta(days=day), category="availability/ddos")
    report(world, "analyst@gridco.test", reported=periods.quarter_of(now).start, category="availability/ddos")
    with transaction(runtime.sessions) as s:
        kpi.set_responsible(s, world.actor(LEADER), "gridco", name="Lars Ekdahl", position="Deputy CEO")

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, LEADER)

        # The heat map: a cell lists its risks, the drifting one flagged.
        driver.find_element(By.LINK_TEXT, "Risks").click()
        wait_for(driver, "#heatmap-current svg")
        driver.find_element(By.CSS_SELECTOR, '#heatmap-current svg a[href*="l=2&i=5"]').click()
        heading = wait_for(driver, "#listed h2 a.small").find_element(By.XPATH, "..")  # "show all": a cell's list
        assert heading.get_attribute("textContent").startswith("Risks in the current cell L2 × I5")
        rows = driver.find_elements(By.CSS_SELECTOR, "#risk-list tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, "td.ref").text for r in rows] == [drifting]  # not the steady risk
        assert rows[0].find_element(By.CSS_SELECTOR, ".flag-drift").text == "review suggested"
        assert steady not in driver.find_element(By.ID, "listed").text
        screenshot(driver, "risk-heatmap-cell")

        # The drifting risk: its flag and the incidents evidencing it.
        driver.find_element(By.LINK_TEXT, drifting).click()
        assert wait_for(driver, "#drift-flag").text == "review suggested"
        assert driver.find_element(By.ID, "observed-likelihood").text == "3"
        assert driver.find_element(By.ID, "assessed-likelihood").text == "2"
        assert "Review suggested" in driver.find_element(By.ID, "evidence").text
        matching = driver.find_elements(By.CSS_SELECTOR, "#matching-incidents td.ref a")
        assert [a.text for a in matching] == evidence[::-1]  # newest first
        screenshot(driver, "risk-drift")

        # A KPI card: the period picker moves it to the reviewed quarter.
        driver.find_element(By.LINK_TEXT, "KPI cards").click()
        wait_for(driver, "#org-cards").find_element(By.LINK_TEXT, "GridCo Transmission").click()
        assert wait_for(driver, "#figure-incidents td.value").text == "1"  # the current quarter's
        Select(driver.find_element(By.CSS_SELECTOR, "#period-picker select[name=period]")).select_by_value(quarter.label)
        driver.find_element(By.CSS_SELECTOR, "#period-picker button[type=submit]").click()
        WebDriverWait(driver, WAIT_S).until(ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".pagehead .muted"), f"KPI card · {quarter.label}"))
        assert wait_for(driver, "#figure-incidents td.value").text == "3"
        assert "Lars Ekdahl, Deputy CEO" in driver.find_element(By.ID, "responsible").text
        assert driver.find_element(By.CSS_SELECTOR, "#history").text.endswith("No signed-off review yet.")

        # The review: a draft with comments first, then the sign-off.
        driver.find_element(By.CSS_SELECTOR, "#review-form textarea[name=comments]").send_keys(COMMENTS)
        click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#review-form button[type=submit]"))
        assert wait_for(driver, ".flash-success").text == f"The {quarter.label} review of GridCo Transmission is saved as a draft."
        assert driver.find_element(By.CSS_SELECTOR, "#review-form textarea[name=comments]").get_attribute("value") == COMMENTS
        driver.find_element(By.CSS_SELECTOR, "#review-form input[name=sign_off]").click()
        click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#review-form button[type=submit]"))
        assert "Read-only" in wait_for(driver, "#review p.signed").text
        assert driver.find_element(By.CSS_SELECTOR, ".flash-success").text == (
            f"The {quarter.label} review of GridCo Transmission is signed off.")
        assert driver.find_elements(By.ID, "review-form") == []  # nothing left to edit
        signed = driver.find_element(By.CSS_SELECTOR, "#history .review-history li")
        assert signed.find_element(By.CSS_SELECTOR, "a.mono").text == quarter.label
        assert signed.find_element(By.CSS_SELECTOR, ".comments").text == COMMENTS
        screenshot(driver, "kpi-review")

        # The quarterly PDF, fetched with the browser's session.
        driver.find_element(By.LINK_TEXT, "All cards").click()
        link = wait_for(driver, f'a[href="/reports/quarterly/{quarter.label}.pdf"]')
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
        pdf = requests.get(link.get_attribute("href"), cookies=cookies, timeout=WAIT_S)
        assert pdf.status_code == 200
        assert pdf.headers["Content-Type"] == "application/pdf"
        assert pdf.headers["Content-Disposition"] == f'attachment; filename="ncert-{quarter.label}.pdf"'
        assert pdf.content.startswith(b"%PDF")

    with runtime.sessions() as s:
        review = s.scalar(select(KpiReview).where(KpiReview.period == quarter.label))
        assert (review.comments, review.signed_off_by) == (COMMENTS, LEADER)
        assert review.signed_off_at is not None
