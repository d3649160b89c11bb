from ncert.db import transaction
from ncert.services import incidents
from ncert.taxonomy import Status


def test_submit_and_triage(world):
    analyst = world.actor("analyst@gridco.test")
    ref = world.submit(analyst, title="Ransomware on SCADA jump host", tlp="TLP:AMBER",
                       category="malicious-code/infected-system",
                       indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])
    assert ref.startswith("NC-")
    with transaction(world.runtime.sessions) as s:
        inc = incidents.transition(s, world.operator, ref, Status.TRIAGED)
        assert inc.status is Status.TRIAGED
