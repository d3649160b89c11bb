"""An operator accepts the categoriser's suggestion in a real browser against a real server (issue 13)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from ncert.models import CategorySuggestion, Incident
from tests.browser.conftest import click_and_load, screenshot, sign_in, wait_for
from tests.categoriser_models import categorisers, shipped  # noqa: F401  (fixtures)
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("categorisers")]

PHISHING = ("Phishing e-mails imitating the national post ask recipients to pay a customs fee with their card "
            "on a look-alike site")


def test_operator_accepts_a_suggested_category_from_the_queue(world, runtime, browser):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Customs fee e-mails", description=PHISHING)
    with runtime.sessions() as s:
        suggested = s.scalar(select(CategorySuggestion).join(Incident, Incident.id == CategorySuggestion.incident_id)
                             .where(Incident.reference == ref))
        pair = f"{suggested.national_class}/{suggested.national_type}"  # what national staff are shown
        assert suggested.applied and suggested.decision is None

    with running_server(runtime) as base_url:
        driver = browser
        sign_in(driver, base_url, "operator@ncert.test")
        row = driver.find_element(By.XPATH, f"//tr[td[@class='ref']/a[text()='{ref}']]")
        assert row.find_element(By.CSS_SELECTOR, ".category-unconfirmed").text == "suggested"  # marked, not hidden
        row.find_element(By.LINK_TEXT, ref).click()

        wait_for(driver, "#category-suggestion")
        assert driver.find_element(By.ID, "suggested-category").text == pair
        assert driver.find_element(By.ID, "category-unconfirmed").text == "suggested · unconfirmed"
        screenshot(driver, "category-suggestion")
        click_and_load(driver, driver.find_element(By.ID, "accept-category"))

        assert wait_for(driver, ".flash-success").text == f"Category {pair} confirmed."
        assert driver.find_element(By.ID, "category-confirmed").text == "confirmed (accepted)"
        assert not driver.find_elements(By.ID, "accept-category")  # decided: no buttons left
        driver.get(f"{base_url}/queue")
        row = wait_for(driver, "table.queue").find_element(By.XPATH, f"//tr[td[@class='ref']/a[text()='{ref}']]")
        assert not row.find_elements(By.CSS_SELECTOR, ".category-unconfirmed")

    with runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        decided = s.scalar(select(CategorySuggestion.decision).where(CategorySuggestion.incident_id == incident.id))
        assert (incident.category, decided) == (pair, "accepted")
