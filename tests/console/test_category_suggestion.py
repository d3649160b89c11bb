"""The suggestion on the incident page and in the queue, accepted or corrected in one click."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.models import CategorySuggestion
from tests.categoriser_models import categorisers, shipped  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("categorisers")

PHISHING = "Phishing e-mails imitating the national post ask recipients to pay a customs fee with their card"


def _decision(world):
    with world.runtime.sessions() as s:
        return s.scalar(select(CategorySuggestion.decision))


def test_the_operator_accepts_the_suggestion_in_one_click(world, as_user):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING)
    operator = as_user("operator@ncert.test")
    assert 'category-unconfirmed' in operator.text("/queue")
    page = operator.text(f"/incidents/{ref}")
    assert 'id="accept-category"' in page and "categoriser-national/v1" in page
    response = operator.post(f"/incidents/{ref}/category-decision", form_page=f"/incidents/{ref}")
    assert response.status_code == 302
    assert _decision(world) == "accepted"
    page = operator.text(f"/incidents/{ref}")
    assert 'id="category-confirmed"' in page and 'id="accept-category"' not in page
    assert "category-unconfirmed" not in operator.text("/queue")


def test_the_operator_corrects_the_suggestion_in_one_click(world, as_user):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING)
    operator = as_user("operator@ncert.test")
    response = operator.post(f"/incidents/{ref}/category-decision", {"category": "availability/outage"},
                             form_page=f"/incidents/{ref}")
    assert response.status_code == 302
    assert _decision(world) == "corrected"
    assert "availability/outage" in operator.text(f"/incidents/{ref}")


def test_the_reporter_sees_its_models_suggestion_without_the_buttons(world, as_user):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING)
    page = as_user("analyst@gridco.test").text(f"/incidents/{ref}")
    assert "categoriser-reporter/v1" in page and "categoriser-national" not in page
    assert 'id="accept-category"' not in page
