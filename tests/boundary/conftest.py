"""Fixtures for the trust-boundary tests: the REST ``api`` caller and signed-in consoles."""

from __future__ import annotations

from tests.api.conftest import api  # noqa: F401  (the REST caller fixture)
from tests.console.conftest import as_user  # noqa: F401  (signed-in consoles)
from tests.taxii.conftest import collections  # noqa: F401,E402  (the TAXII collections)
