"""The console's signed-in clients and the REST API's caller-aware client, for the advisory tests."""

from tests.api.conftest import api  # noqa: F401  (fixture)
from tests.console.conftest import as_user  # noqa: F401  (fixture)
