"""The KPI cards' figure names in the caller's language (issue 14): ``label`` follows Accept-Language (else
NCERT_DEFAULT_LOCALE), as an error's ``detail`` does, and reads as the console's KPI card; ``key`` stays the
stable name scripts read, and every number is the same in each language."""

from __future__ import annotations

import pytest

from tests.api.helpers import PREFIX, bearer

CARD = "/kpi/organizations/gridco"
QUERY = {"period": "2026Q3"}


def card(api, language: str | None = None) -> dict:
    headers = bearer(api.key("leader")) | ({"Accept-Language": language} if language else {})
    response = api.client.get(PREFIX + CARD, headers=headers, query_string=QUERY)
    assert response.status_code == 200, response.json
    return response.json


def labels(found: dict) -> dict[str, str]:
    return {f["key"]: f["label"] for f in found["figures"]}


@pytest.mark.parametrize(("language", "expected"), [
    ("az", {"incidents": "Bildirilmiş insidentlər", "time_to_acknowledge_median": "Qəbul edilməyə qədər median vaxt",
            "severity_2": "Səviyyə 2 (Orta)", "rsit_fraud": "Fırıldaqçılıq"}),
    ("ru-RU,ru;q=0.9", {"incidents": "Сообщённые инциденты",
                        "time_to_acknowledge_median": "Медианное время до принятия в работу",
                        "severity_2": "Уровень 2 (Средний)", "rsit_fraud": "Мошенничество"}),
    (None, {"incidents": "Incidents reported", "time_to_acknowledge_median": "Median time to acknowledge",
            "severity_2": "Level 2 (Medium)", "rsit_fraud": "fraud"}),
])
def test_figure_labels_follow_accept_language_and_keys_stay(api, language, expected):
    api.submit("gridco", title="Phishing wave", category="fraud/phishing")
    found = card(api, language)
    assert {key: labels(found)[key] for key in expected} == expected
    english = card(api)
    assert [f["key"] for f in found["figures"]] == [f["key"] for f in english["figures"]]
    strip = [{k: v for k, v in f.items() if k != "label"} for f in english["figures"]]
    assert [{k: v for k, v in f.items() if k != "label"} for f in found["figures"]] == strip

