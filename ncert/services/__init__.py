"""Domain services: all domain logic and every permission check.

Each function takes a SQLAlchemy session and the acting ``Actor`` explicitly;
callers own the transaction (``ncert.db.transaction``), so a rejected request
rolls back whole and writes nothing.
"""
