"""The process-wide objects every door shares: settings, engine, sessions.

Sessions carry the runtime's ``Sealer`` (``session.info["sealer"]``,
``ncert.sealing.sealer_of``) for the secrets ncert stores to present to others,
the national organisation's slug (``ncert.services.directory.national_org_slug``),
the JSON limits (``ncert.bodies``) that feed pulls apply (``max_json_depth``, ``max_intake_bytes``),
the Elasticsearch URL search uses when set (``ncert.search``; its sessions then feed the index),
and the runtime's ``Hooks`` (``hooks_of``): the consumers of domain events attached to it.
``Runtime.create`` attaches none (tests attach what they exercise); ``Runtime.start`` is what
every entry point (``ncert`` commands, ``create_app`` under any WSGI server) builds: the playbook
engine and detection listening, so an incident is processed the same whichever door it came through.
Creating a runtime makes the data dir owner-only (0700) and the SQLite file 0600."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ncert.config import Settings
from ncert.db import make_engine, make_session_factory, private_path, private_sqlite_file
from ncert.sealing import Sealer


@dataclass
class Hooks:
    """What consumes the domain's events on one runtime: incident listeners, called as
    ``listener(session, actor, incident, change)``, and each consumer's state by name."""

    incident_listeners: list[Callable[..., None]] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)


def hooks_of(session: Session) -> Hooks:
    """The hooks of the runtime that made ``session`` (none for a session made elsewhere)."""
    return session.info.get("hooks") or Hooks()


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hooks: Hooks = field(default_factory=Hooks)

    @classmethod
    def create(cls, settings: Settings | None = None, engine: Engine | None = None) -> "Runtime":
        settings = settings or Settings.from_env()
        private_path(settings.data_dir, 0o700)
        if engine is None:
            private_sqlite_file(settings.database_url)
            engine = make_engine(settings.database_url)
        info = {"sealer": Sealer(settings.secret_key), "national_org": settings.national_org,
                "max_json_depth": settings.max_json_depth, "max_intake_bytes": settings.taxii_max_content_length,
                "hooks": Hooks(), "elasticsearch_url": settings.elasticsearch_url}
        sessions = make_session_factory(engine, info=info)
        if settings.elasticsearch_url:  # search is Elasticsearch's: every incident write feeds its index
            from ncert.search import indexing

            indexing.track(sessions)
        return cls(settings, engine, sessions, info["hooks"])

    @classmethod
    def start(cls, settings: Settings | None = None) -> "Runtime":
        """The runtime of an entry point: the playbook library (``NCERT_PLAYBOOKS_DIR`` while the
        database stores none) and detection (correlation, anomaly scores) act on every incident."""
        import detection
        from playbooks import engine

        runtime = cls.create(settings)
        engine.install(runtime, runtime.settings.playbooks_dir)
        detection.install(runtime)
        return runtime
