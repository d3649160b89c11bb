"""Settings read from the environment (twelve-factor style).

Every setting has an ``NCERT_`` environment variable and an embedded default,
so a bare machine runs with nothing configured.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path

SECRET_FIELDS = {"secret_key"}


def _redact_url(url: str) -> str:
    """Hide the password part of a database URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL we can parse: show nothing of it
        return "***"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    max_content_length: int
    page_size_max: int
    national_org: str
    taxii_max_content_length: int
    taxii_page_max: int

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("NCERT_DATA_DIR", "instance")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = env.get("NCERT_DATABASE_URL") or f"sqlite:///{data_dir / 'ncert.db'}"
        secret_key = env.get("NCERT_SECRET_KEY") or _persistent_secret(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            max_content_length=int(env.get("NCERT_MAX_CONTENT_LENGTH", 10 * 1024 * 1024)),
            page_size_max=int(env.get("NCERT_PAGE_SIZE_MAX", 500)),
            national_org=env.get("NCERT_NATIONAL_ORG", "national-cert"),
            taxii_max_content_length=int(env.get("NCERT_TAXII_MAX_CONTENT_LENGTH", 100 * 1024 * 1024)),
            taxii_page_max=int(env.get("NCERT_TAXII_PAGE_MAX", 1000)),
        )

    def describe(self) -> dict[str, str]:
        """The effective configuration with secrets hidden, for `ncert config`."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***"
            elif f.name == "database_url":
                value = _redact_url(value)
            out[f"NCERT_{f.name.upper()}"] = str(value)
        return out


def _persistent_secret(data_dir: Path) -> str:
    """Generate the secret key once and keep it in the data dir (mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
