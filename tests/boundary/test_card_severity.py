"""Cards and the landscape count the severity their reader may know.

The national severity moves with other organisations' reports (playbooks,
correlation, the national score), so an analyst's card and landscape count
the severity communicated to its reporters, and national staff the national one.
"""

from __future__ import annotations

from ncert.db import transaction
from ncert.models import Incident


def _level_counts(card: dict) -> dict[str, int]:
    return {f["key"]: f["value"] for f in card["figures"] if f["key"].startswith("severity_") and f["value"]}


def test_a_national_severity_nobody_communicated_stays_off_the_reporters_card(api, world):
    ref = api.submit("gridco", title="Wiper on an engineering workstation", severity=2)["reference"]
    with transaction(world.runtime.sessions) as s:  # a playbook or the national score raised it, nationally
        s.query(Incident).filter_by(reference=ref).one().severity = 5

    reporter = api.get("/kpi/organizations/gridco", "gridco").json
    national = api.get("/kpi/organizations/gridco", "operator").json
    assert _level_counts(reporter) == {"severity_2": 1}
    assert _level_counts(national) == {"severity_5": 1}
    assert next(f for f in reporter["figures"] if f["key"] == "open_criticals")["value"] == 0

    reporter_landscape = api.get("/landscape", "gridco").json
    assert [t["key"] for t in reporter_landscape["by_severity"] if t["total"]] == ["2"]
