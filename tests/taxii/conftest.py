import pytest

from ncert.db import transaction
from ncert.services import taxii


@pytest.fixture
def collections(world) -> dict[str, str]:
    """The TAXII collections of the test world: alias -> collection id."""
    with transaction(world.runtime.sessions) as s:
        taxii.ensure_collections(s)
        return {c.alias: c.id for c, _ in taxii.collections(s, world.admin)}
