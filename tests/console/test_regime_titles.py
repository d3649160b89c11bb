"""Reporting regimes' titles in the reader's language (issue 14): a built-in regime (the law as code) is named
by the ``regime`` vocabulary wherever it is shown, the deadlines on the incident page, the countdown's tooltip,
the timeline's deadline entries and the admin page; a regime an admin stores keeps the title they wrote."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, TimelineEntry
from ncert.services import clocks, incidents, regimes
from tests.console.test_timeline_languages import timeline_bodies

OPERATOR = "operator@ncert.test"
CUSTOM = "Mərkəzi bankın 4 saatlıq qaydası"  # an admin's title, as written: no vocabulary names it


def _incident_with_both(world) -> str:
    """An incident running NIS2 and a stored regime, with NIS2's early warning received."""
    reference = world.submit(world.actor("analyst@gridco.test"), title="Beaconing from a substation")
    with transaction(world.runtime.sessions) as s:
        regimes.save(s, world.admin, name="central-bank-4h", title=CUSTOM, repeat=False, new=True,
                     stages=regimes.parse_stages("initial-report 4 hours warn 1 hours"))
    with transaction(world.runtime.sessions) as s:
        incident = incidents.get(s, world.operator, reference)
        for name in ("nis2", "central-bank-4h"):
            clocks.start(s, incident, regimes.lookup(s, name), incident.reported_at)
        clocks.receive(s, world.operator, incident, "nis2", "early-warning")
    return reference


def test_a_built_in_regime_is_named_in_each_language_and_a_stored_one_as_written(as_user, world, runtime):
    reference = _incident_with_both(world)
    console = as_user(OPERATOR)
    pages = {lang: unescape(console.text(f"/incidents/{reference}?lang={lang}")) for lang in ("az", "en", "ru")}
    assert "<td>NIS2 Maddə 23 üzrə hesabatvermə: insident bildirişi</td>" in pages["az"]
    assert "<td>Отчётность по ст. 23 NIS2: уведомление об инциденте</td>" in pages["ru"]
    assert "<td>NIS2 Art. 23 reporting: incident-notification</td>" in pages["en"]
    for page in pages.values():
        assert f"<td>{CUSTOM}: initial-report</td>" in page  # a stage an admin named is its own key
    assert 'title="NIS2 Maddə 23 üzrə hesabatvermə: yekun hesabat, son müddət' in pages["az"]  # the countdown

    assert "NIS2 Maddə 23 üzrə hesabatvermə: ilkin xəbərdarlıq qəbul edildi" in timeline_bodies(console, reference, "az")
    with runtime.sessions() as s:  # what is stored stays English, the title as the law's English names it
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        body = s.scalar(select(TimelineEntry.body).where(TimelineEntry.incident_id == incident.id,
                                                         TimelineEntry.kind == "deadline"))
    assert body == "NIS2 Art. 23 reporting: early-warning received"


def test_the_admin_page_names_built_in_regimes_in_the_page_language(as_user, world):
    _incident_with_both(world)
    admin = as_user("admin@ncert.test")
    az = unescape(admin.text("/admin/regimes?lang=az"))
    assert "<td>Böhran rejimində saatlıq vəziyyət hesabatı" in az and f"<td>{CUSTOM}" in az
    assert "nis2 · NIS2 Maddə 23 üzrə hesabatvermə</option>" in az
    assert "Crisis mode hourly status" not in az
    en = unescape(admin.text("/admin/regimes?lang=en"))
    assert "<td>Crisis mode hourly status" in en and "NIS2 Art. 23 reporting" in en
