"""The process-wide objects every door shares: settings, engine, sessions.

Sessions carry the runtime's ``Sealer`` (``session.info["sealer"]``,
``ncert.sealing.sealer_of``) for the secrets ncert stores to present to others."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ncert.config import Settings
from ncert.db import make_engine, make_session_factory
from ncert.sealing import Sealer


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def create(cls, settings: Settings | None = None, engine: Engine | None = None) -> "Runtime":
        settings = settings or Settings.from_env()
        engine = engine or make_engine(settings.database_url)
        return cls(settings, engine, make_session_factory(engine, info={"sealer": Sealer(settings.secret_key)}))
