"""An admin edits a playbook in a real browser: draft checked, dry run, save as a new version, disable."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from ncert.db import transaction
from ncert.services import playbook_library
from playbooks.engine import DEFAULT_LIBRARY
from tests.browser.conftest import click_and_load, screenshot, sign_in, wait_for
from tests.playbooks.helpers import set_entity
from tests.playbooks.test_library import RANSOMWARE
from tests.serving import running_server

pytestmark = pytest.mark.browser


def _replace_text(driver, text: str) -> None:
    area = driver.find_element(By.NAME, "pb-text")
    driver.execute_script("arguments[0].value = arguments[1];", area, text)


def test_admin_edits_dry_runs_saves_and_disables_a_playbook(world, runtime, browser):
    with transaction(runtime.sessions) as s:
        playbook_library.sync_folder(s, world.actor("admin@ncert.test"), DEFAULT_LIBRARY)
    set_entity(world, "gridco", "essential")
    hit = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "admin@ncert.test")
        driver.find_element(By.LINK_TEXT, "Playbooks").click()
        row = wait_for(driver, "tr#playbook-ransomware-essential-entity")
        row.find_element(By.LINK_TEXT, "Edit").click()
        original = wait_for(driver, "textarea[name=pb-text]").get_attribute("value")

        _replace_text(driver, original.replace("actions:", "actions:\n  - {type: set_tlp, tlp: TLP:PURPLE}", 1))
        driver.find_element(By.XPATH, "//button[@value='save']").click()
        problem = wait_for(driver, ".playbook-problem").text
        assert "TLP:PURPLE" in problem and "playbook:" in problem  # the line is named, nothing saved

        edited = original.replace("actions:", "actions:\n  - {type: add_tasks, tasks: [Call the plant manager]}", 1)
        _replace_text(driver, edited)
        driver.find_element(By.XPATH, "//button[@value='dry-run']").click()
        wait_for(driver, "section.dry-run")
        assert driver.find_element(By.CSS_SELECTOR, f"section.dry-run a[href='/incidents/{hit}']").text == hit
        screenshot(driver, "playbook-dry-run")

        driver.find_element(By.NAME, "pb-comment").send_keys("plant manager on every ransomware call")
        click_and_load(driver, driver.find_element(By.XPATH, "//button[@value='save']"))
        assert wait_for(driver, ".flash-success").text == "ransomware-essential-entity saved as version 2."
        assert "plant manager on every ransomware call" in driver.find_element(By.ID, "version-2").text
        screenshot(driver, "playbook")

        click_and_load(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Disable']"))
        assert wait_for(driver, ".flash-success").text == "ransomware-essential-entity v2 disabled."

    with runtime.sessions() as s:
        entry = playbook_library.entry(s, "ransomware-essential-entity")
        assert (entry.row.version, entry.row.enabled) == (2, False)
        assert "Call the plant manager" in entry.current.text
