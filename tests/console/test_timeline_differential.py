"""The Azerbaijani timeline is derived data too (issue 14): what the system writes on an incident's timeline is
rendered in the reader's language from messages and vocabulary terms, and the rendering must not let a report
the reader may not see change what they read. Two other organisations' hidden reports (TLP:RED, or TLP:AMBER
from other sectors) carry the secret value and make the cross-sector playbook fire on the prober's report of
it; GridCo's analyst reads its own report's page in Azerbaijani, and the timeline (and the rest of the page)
must be what it is for the control value nobody else reported (``tests.differential``)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, PlaybookFiring
from ncert.services import incidents
from ncert.taxonomy import Status
from tests.differential import Differential
from tests.playbooks.conftest import library  # noqa: F401  (the default library with detection)

C2 = Differential(secret="203.0.113.66", control="203.0.113.67")
TIMELINE = re.compile(r'<ol class="timeline">.*?</ol>', re.S)
# The page's times in Azerbaijani ("29 noy 2026 16:01 UTC"): the two probes are filed moments apart.
LOCAL_TIME = re.compile(r"\d{1,2} [a-zəığöşüç]{3} \d{4} \d\d:\d\d UTC")


def _page(console, reference: str) -> str:
    page = console.text(f"/incidents/{reference}?lang=az")
    assert '<html lang="az">' in page
    return LOCAL_TIME.sub("<TIME>", page)


def _fired(world, reference: str) -> set[str]:
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        return set(s.scalars(select(PlaybookFiring.playbook).where(PlaybookFiring.incident_id == incident.id)))


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("tlp", ["TLP:RED", "TLP:AMBER"])
def test_the_azerbaijani_timeline_does_not_depend_on_a_report_the_reader_cannot_see(as_user, world, tlp):
    operator = world.operator
    for reporter, extra in (("analyst@centralbank.test", {}), ("operator@ncert.test", {"reporter_org": "cityhospital"})):
        world.submit(world.actor(reporter), title="Beacon to C2", tlp=tlp, category="malicious-code/c2-server",
                     indicators=[{"type": "ipv4-addr", "value": C2.secret}], **extra)
    analyst = as_user("analyst@gridco.test")
    probed: dict[str, str] = {}

    def probe(value: str) -> dict:
        reference = world.submit(world.actor("analyst@gridco.test"), title="Beacon to C2", tlp="TLP:GREEN",
                                 category="malicious-code/c2-server", indicators=[{"type": "ipv4-addr", "value": value}])
        with transaction(world.runtime.sessions) as s:  # the system writes on the timeline the analyst reads
            incidents.transition(s, operator, reference, Status.TRIAGED, "seen")
            incidents.transition(s, operator, reference, Status.INVESTIGATING, "")
        probed[value] = reference
        page = _page(analyst, reference)
        return {"timeline": TIMELINE.search(page).group(0), "page": page[page.index("<main"):]}

    C2.assert_same(probe)
    seen = _page(analyst, probed[C2.secret])
    assert "Status: yeni → ilkin baxışdan keçib; səbəb: seen" in seen  # the timeline compared is Azerbaijani
    # The probe is a real one: the hidden reports made the playbook fire, and the national centre reads it.
    assert "cross-sector-indicator" in _fired(world, probed[C2.secret])
    assert _fired(world, probed[C2.control]) == set()
    national = TIMELINE.search(_page(as_user("operator@ncert.test"), probed[C2.secret])).group(0)
    assert "cross-sector-indicator ssenarisi" in national
