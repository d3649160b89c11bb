"""The process-wide objects every door shares: settings, engine, sessions.

Sessions carry the runtime's ``Sealer`` (``session.info["sealer"]``,
``ncert.sealing.sealer_of``) for the secrets ncert stores to present to others,
the national organisation's slug (``ncert.services.directory.national_org_slug``),
and the JSON limits (``ncert.bodies``) that feed pulls apply (``max_json_depth``, ``max_intake_bytes``).
Creating a runtime makes the data dir owner-only (0700) and the SQLite file 0600."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ncert.config import Settings
from ncert.db import make_engine, make_session_factory, private_path, private_sqlite_file
from ncert.sealing import Sealer


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def create(cls, settings: Settings | None = None, engine: Engine | None = None) -> "Runtime":
        settings = settings or Settings.from_env()
        private_path(settings.data_dir, 0o700)
        if engine is None:
            private_sqlite_file(settings.database_url)
            engine = make_engine(settings.database_url)
        info = {"sealer": Sealer(settings.secret_key), "national_org": settings.national_org,
                "max_json_depth": settings.max_json_depth, "max_intake_bytes": settings.taxii_max_content_length}
        return cls(settings, engine, make_session_factory(engine, info=info))
