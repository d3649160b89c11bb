"""An analyst answers a request for information in a real browser, with a file; the operator
reads the answer on the incident page and the file comes back as a download."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from ncert.db import transaction
from ncert.services import rfis
from ncert.services.rfis import RfiDraft
from tests.browser.conftest import click_and_load, screenshot, sign_in, wait_for
from tests.serving import running_server

pytestmark = pytest.mark.browser


def test_an_analyst_answers_a_request_with_a_file(world, runtime, browser, tmp_path):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Wiper on HMI", tlp="TLP:AMBER")
    with transaction(runtime.sessions) as s:
        rfis.ask(s, world.operator, ref, RfiDraft(org="gridco", title="Firewall logs",
                                                  question="Which rules dropped the traffic?"))
    evidence = tmp_path / "fw.log"
    evidence.write_text("drop tcp 10.0.0.1 -> 10.0.0.2:502\n")

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "analyst@gridco.test")
        driver.find_element(By.LINK_TEXT, "Requests").click()
        driver.find_element(By.LINK_TEXT, ref).click()
        form = wait_for(driver, "#rfis form.rfi-answer-form")
        assert "Which rules dropped the traffic?" in driver.find_element(By.ID, "rfis").text
        form.find_element(By.NAME, "answer-text").send_keys("Rules 12 and 14 on the OT firewall")
        form.find_element(By.NAME, "answer-files").send_keys(str(evidence))
        screenshot(driver, "rfi-answer")
        click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert wait_for(driver, ".flash-success").text == "Answer sent to the national centre: Firewall logs."
        assert "answered" in driver.find_element(By.ID, "rfis").text

        driver.delete_all_cookies()
        sign_in(driver, base_url, "operator@ncert.test")
        driver.get(f"{base_url}/incidents/{ref}")
        panel = wait_for(driver, "#rfis")
        assert "Rules 12 and 14 on the OT firewall" in panel.text
        link = panel.find_element(By.LINK_TEXT, "fw.log")
        assert link.get_attribute("download") is not None
        screenshot(driver, "rfi-answered")

    with runtime.sessions() as s:
        gridco = world.actor("analyst@gridco.test")
        (answer,) = [a for r in rfis.addressed_to_me(s, gridco, open_only=False) for a in r.answers]
        assert answer.attachments[0].data == evidence.read_bytes()
