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


def test_the_admin_page_shows_versions_metrics_and_the_confusion_matrix(world, as_user):
    admin = as_user("admin@ncert.test")
    page = admin.text("/admin/models")
    assert 'id="model-categoriser-reporter-1"' in page and 'id="confusion-categoriser-national"' in page
    assert "Confusion matrix" in page and "availability" in page
    assert as_user("operator@ncert.test").get("/admin/models").status_code == 403


def test_an_admin_rolls_back_and_promotes_from_the_page(world, as_user):
    from detection import modelstore
    from ncert.db import transaction

    with transaction(world.runtime.sessions) as s:
        v1 = modelstore.active_row(s, "categoriser-national")
        v2 = modelstore.save(s, "categoriser-national", None, params={}, data="x", examples=1, seconds=0.1,
                             metrics=dict(v1.metrics))
        modelstore.promote(s, v2, "test")
    admin = as_user("admin@ncert.test")
    assert admin.post("/admin/models/categoriser-national/rollback", form_page="/admin/models").status_code == 302
    with world.runtime.sessions() as s:
        assert modelstore.active_row(s, "categoriser-national").version == 1
    assert admin.post("/admin/models/categoriser-national/2/promote", form_page="/admin/models").status_code == 302
    with world.runtime.sessions() as s:
        assert modelstore.active_row(s, "categoriser-national").version == 2
