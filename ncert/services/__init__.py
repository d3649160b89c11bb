"""Domain services: all domain logic and every permission check.

Each function takes a SQLAlchemy session and the acting ``Actor`` explicitly;
callers own the transaction (``ncert.db.transaction``), so a rejected request
rolls back whole and writes nothing.
"""

from ncert.services import rollups  # noqa: E402,F401  (its session listener keeps the rollups on every write)
