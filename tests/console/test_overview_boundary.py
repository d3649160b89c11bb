"""Derived data is data on the leadership overview read from the rollups: GridCo's
overview is the same whether or not PowerGen reported a hidden incident on the same
day (the same rollup day, in a cell GridCo may not read)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ncert.db import transaction
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.console.helpers import html
from tests.differential import Differential
from tests.services.kpi_helpers import place

PROBE = Differential(secret="2026Q2", control="2025Q2")  # the quarters probed: only the secret's holds the report
STARTS = {PROBE.secret: datetime(2026, 4, 1, tzinfo=timezone.utc),
          PROBE.control: datetime(2025, 4, 1, tzinfo=timezone.utc)}


def _report(world, who, start: datetime, *, tlp: str, severity: int, acknowledged_after: timedelta) -> str:
    submitter = world.operator if who == "powergen" else world.actor(f"analyst@{who}.test")
    extra = {"reporter_org": who} if who == "powergen" else {}
    ref = world.submit(submitter, title="Wiper on the SCADA network", tlp=tlp, **extra)
    reported = start + timedelta(days=3, hours=9)
    place(world, ref, reported_at=reported, acknowledged_at=reported + acknowledged_after, severity=severity,
          communicated_severity=severity, status=Status.TRIAGED)
    return ref


def test_an_analysts_overview_does_not_depend_on_a_hidden_report(world, as_user):
    _report(world, "powergen", STARTS[PROBE.secret], tlp="TLP:AMBER", severity=5,
            acknowledged_after=timedelta(minutes=5))
    gridco = as_user("analyst@gridco.test")

    def overview_page(quarter: str) -> str:
        own = _report(world, "gridco", STARTS[quarter], tlp="TLP:GREEN", severity=3,
                      acknowledged_after=timedelta(minutes=30))
        page = html(gridco.get("/overview", query_string={"period": quarter}))
        with transaction(world.runtime.sessions) as s:  # so the next probe's open counts start alike
            incidents.transition(s, world.operator, own, Status.CLOSED)
        return re.sub(r'<select name="period">.*?</select>', "", page, flags=re.S)  # the picker marks its quarter

    PROBE.assert_same(overview_page)


def test_national_staff_see_the_hidden_report_there(world, as_user):
    """The control: the check above can fail, as the report is counted for those who may see it."""
    _report(world, "powergen", STARTS[PROBE.secret], tlp="TLP:AMBER", severity=5,
            acknowledged_after=timedelta(minutes=5))
    _report(world, "gridco", STARTS[PROBE.secret], tlp="TLP:GREEN", severity=3,
            acknowledged_after=timedelta(minutes=30))
    leader = html(as_user("leader@ncert.test").get("/overview", query_string={"period": PROBE.secret}))
    gridco = html(as_user("analyst@gridco.test").get("/overview", query_string={"period": PROBE.secret}))
    assert 'id="kpi-total">2<' in leader and 'id="kpi-total">1<' in gridco
