import pytest

from ncert.db import transaction
from ncert.models import Organization
from ncert.services import stix_export, taxii
from ncert.taxonomy import TLP


@pytest.fixture
def collections(world) -> dict[str, str]:
    """The TAXII collections of the test world: alias -> collection id."""
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
        return {c.alias: c.id for c, _ in taxii.collections(s, world.admin)}


@pytest.fixture
def publish(world, collections):
    """publish(reference, collection alias, TLP) as the SOC operator, through the STIX export service."""

    def run(reference: str, alias: str, tlp: TLP) -> None:
        with transaction(world.runtime.sessions) as s:
            national = s.get(Organization, world.orgs["national-cert"])
            stix_export.publish_incident(s, world.operator, reference, alias, tlp, national)

    return run
