"""Bad input never gives a 500: generated query strings, cursors, references and
bodies all get a 2xx or the documented 4xx JSON error."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncert.api.v1.payloads import IncidentQuery
from ncert.observables import INDICATOR_TYPES
from tests.api.helpers import PREFIX, bearer

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=8,
)
tricky_text = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.sampled_from(["", "me", "none", "\x00", "-1", "2147483648", "²", "TLP:RED,bogus", "2026-01-01T00:00:00 14:00",
                     "0001-01-01T00:00:00+14:00", "fraud/", "/phishing", "-severity", "%", "'\"*:&|!()"]),
)
forged_cursors = st.lists(json_values, min_size=0, max_size=4).map(
    lambda parts: base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")
)


def _is_json_answer(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if 300 <= response.status_code < 400:  # werkzeug's redirect of a doubled slash ("%2F" in a reference)
        assert response.headers["Location"]
        return
    assert response.content_type == "application/json"
    if response.status_code >= 400:
        assert {"error", "detail"} <= set(response.json)


@pytest.fixture
def ref(api):
    return api.submit(title="Fuzz target", indicators=[{"type": "cve", "value": "CVE-2024-3400"}])["reference"]


@FUZZ
@given(params=st.dictionaries(st.sampled_from([*IncidentQuery.model_fields, "bogus"]), tricky_text, max_size=5),
       cursor=st.none() | forged_cursors)
def test_generated_query_strings(api, params, cursor):
    if cursor is not None:
        params = {**params, "cursor": cursor}
    _is_json_answer(api.get("/incidents", "operator", query_string=params))


@FUZZ
@given(reference=st.text(min_size=1, max_size=30))
def test_generated_references(api, reference):
    _is_json_answer(api.client.get(f"{PREFIX}/incidents/{quote(reference, safe='')}",
                                   headers=bearer(api.key("operator"))))


BODY_KEYS = {
    "/incidents": ["title", "description", "category", "severity", "tlp", "sector", "affected_sectors",
                   "reporter_org", "occurred_at", "aware_at", "external_ids", "indicators"],
    "/incidents/{ref}": ["status", "assignee", "category", "severity", "tlp", "reason"],
    "/incidents/{ref}/comments": ["body", "internal"],
    "/incidents/{ref}/merge": ["into", "reason"],
    "/incidents/{ref}/reopen": ["reason"],
}


@FUZZ
@given(path=st.sampled_from(list(BODY_KEYS)), data=st.data())
def test_generated_bodies(api, ref, path, data):
    body = data.draw(st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(BODY_KEYS[path]), json_values | tricky_text, max_size=4),
    ))
    method = "PATCH" if path == "/incidents/{ref}" else "POST"
    response = api.client.open(PREFIX + path.format(ref=ref), method=method, data=json.dumps(body),
                               content_type="application/json", headers=bearer(api.key("operator")))
    _is_json_answer(response)


timestamps = st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), tricky_text)


@FUZZ
@given(indicators=st.lists(st.fixed_dictionaries(
    {"type": st.sampled_from(INDICATOR_TYPES) | st.text(max_size=10), "value": tricky_text},
    optional={"confidence": st.integers(), "count": st.integers(), "first_seen": timestamps, "last_seen": timestamps},
), max_size=4), occurred_at=timestamps, aware_at=timestamps)
def test_generated_submissions(api, indicators, occurred_at, aware_at):
    body = {"title": "Generated", "indicators": indicators, "occurred_at": occurred_at, "aware_at": aware_at}
    _is_json_answer(api.post("/incidents", "gridco", body))
