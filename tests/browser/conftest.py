"""Headless Debian Chromium with its own chromedriver given explicitly, so
Selenium Manager never downloads anything. Set NCERT_SCREENSHOTS=<dir> to keep
screenshots of the pages the tests visit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 20


@pytest.fixture
def browser(tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        reason = f"browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI installs them: a missing browser there is a broken run, never a skip
        pytest.skip(reason)
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


def click_and_load(driver, element) -> None:
    """Click something that loads a new page, and wait until the old page is gone: a
    selector waited for right after the click could otherwise match the old page
    (its flash message, say) and go stale under the caller."""
    old_page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, WAIT_S).until(ec.staleness_of(old_page))


def sign_in(driver, base_url: str, email: str) -> None:
    """Sign in through the login form; lands on the queue."""
    driver.get(f"{base_url}/queue")
    wait_for(driver, "input[name=email]").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, "table.queue")
