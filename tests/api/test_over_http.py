"""The API over real HTTP, against a running ``ncert serve``."""

from __future__ import annotations

import requests

from tests.serving import running_server


def test_submit_list_get_and_triage_over_http(world, runtime):
    analyst = {"Authorization": f"Bearer {world.key('gridco')}"}
    operator = {"Authorization": f"Bearer {world.key('national-cert', 'soc_operator')}"}

    with running_server(runtime) as base_url:
        api = f"{base_url}/api/v1"

        created = requests.post(f"{api}/incidents", headers=analyst, timeout=30, json={
            "title": "Wiper on substation HMI", "category": "malicious-code/infected-system", "severity": 4,
            "indicators": [{"type": "sha256", "value": "b" * 64}],
        })
        assert created.status_code == 201, created.text
        ref = created.json()["reference"]
        assert created.headers["Location"].endswith(f"/api/v1/incidents/{ref}")

        listed = requests.get(f"{api}/incidents", headers=operator, params={"status": "new", "counts": "true"},
                              timeout=30)
        assert listed.status_code == 200
        assert [i["reference"] for i in listed.json()["items"]] == [ref]
        assert listed.json()["counts"]["new"] == 1

        fetched = requests.get(f"{base_url}{created.headers['Location']}", headers=analyst, timeout=30)
        assert fetched.json()["indicators"][0]["value"] == "b" * 64

        triaged = requests.patch(f"{api}/incidents/{ref}", headers=operator, timeout=30,
                                 json={"status": "triaged", "reason": "confirmed"})
        assert triaged.status_code == 200, triaged.text
        assert triaged.json()["status"] == "triaged"
        assert requests.get(f"{api}/incidents/{ref}", headers=analyst, timeout=30).json()["status"] == "triaged"

        refused = requests.get(f"{api}/incidents", timeout=30)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert refused.json()["error"] == "unauthenticated"

        too_big = requests.post(f"{api}/incidents", headers={**analyst, "Content-Type": "application/json"},
                                data=b"x" * (300 * 1024), timeout=30)
        assert too_big.status_code == 413
        assert too_big.json()["error"] == "payload_too_large"
