"""The bounded "also in" lists and their full list (issue 15) depend only on reports the
prober may see: a hidden report of the same value changes no count, reference or page."""

from __future__ import annotations

import pytest

from ncert.services import indicators
from tests.differential import Differential

PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_changes_no_bounded_list(api, as_user, monkeypatch, label):
    monkeypatch.setattr(indicators, "SHARED_SHOWN", 1)
    monkeypatch.setattr(indicators, "SHARED_COUNTED", 2)
    for title in ("Our sources", "More of our sources", "Still ours"):
        api.submit("powergen", title=title, tlp=label, indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])
    api.submit("centralbank", title="Seen here", tlp="TLP:GREEN",
               indicators=[{"type": "ipv4-addr", "value": PROBE.secret}, {"type": "ipv4-addr", "value": PROBE.control}])
    console = as_user("analyst@gridco.test")

    def views(value: str) -> dict:
        ref = api.submit("gridco", title="Beaconing", tlp="TLP:GREEN",
                         indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        query = {"type": "ipv4-addr", "value": value}
        page = console.text(f"/incidents/{ref}")
        listing = console.text(f"/indicators/incidents?type=ipv4-addr&value={value}")
        return {
            "shared_with": [i["shared_with"] for i in api.get(f"/incidents/{ref}", "gridco").json["indicators"]],
            "list": [i["reference"] == ref for i in api.get("/indicators/incidents", "gridco",
                                                           query_string=query).json["items"]],
            "page": page[page.index("<main"):],
            "console list": listing[listing.index("<main"):],
        }

    PROBE.assert_same(views)
