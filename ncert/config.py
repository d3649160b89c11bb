"""Settings read from the environment (twelve-factor style).

Every setting has an ``NCERT_`` environment variable and an embedded default,
so a bare machine runs with nothing configured.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from ncert.scoring import ScoringConfig

PLAYBOOK_LIBRARY = Path(__file__).resolve().parent.parent / "playbooks" / "library"
SECRET_FIELDS = {"secret_key", "csaf_openpgp_passphrase"}
MAX_JSON_DEPTH = 64  # arrays and objects; STIX, MISP and API bodies nest a handful of levels
_SCORING = ScoringConfig()


class ConfigError(ValueError):
    """An environment variable holds a value ncert cannot use; the message names it."""


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
    # The deepest nesting of arrays and objects any JSON input may have (ncert.bodies).
    max_json_depth: int = MAX_JSON_DEPTH
    playbooks_dir: Path = PLAYBOOK_LIBRARY  # the shipped playbook library, imported into the stored one
    # The largest MISP malware-sample or attachment stored (bytes); a larger one is dropped from its event.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # The national severity score (ncert.scoring): factor weights, least score per level 5…0,
    # and the number of affected sectors at which cross-sector spread counts in full.
    scoring_weights: Mapping[str, float] = field(default_factory=lambda: dict(_SCORING.weights))
    scoring_thresholds: Mapping[int, float] = field(default_factory=lambda: dict(_SCORING.thresholds))
    scoring_spread_saturation: int = _SCORING.spread_saturation
    # Days the observed likelihood of a risk must stay above its assessed one before
    # the risk is flagged "review suggested" (ncert.services.risk_evidence).
    risk_drift_days: int = 14
    # Console sign-in and sessions (ncert.services.sign_in, ncert.services.console_sessions, ncert.web.transport):
    # failed sign-ins per account and per address within the window before a lockout, the idle and
    # absolute session lifetimes, and how many reverse proxies in front set X-Forwarded-For/-Proto.
    signin_account_limit: int = 5
    signin_address_limit: int = 50
    signin_window_s: int = 900
    session_idle_s: int = 1800
    session_absolute_s: int = 12 * 3600
    trusted_proxies: int = 0
    # A report without a category gets the categoriser's suggestion (detection.categorisation); at or above
    # this confidence the suggestion is set as the category, marked "suggested" until an operator confirms it.
    category_suggestion_threshold: float = 0.8
    # Elasticsearch (issue 12): the cluster's URL, or None for the database's own text search.
    elasticsearch_url: str | None = None
    # The console's language when neither the user nor the browser chose one (ncert.i18n, issue 14).
    default_locale: str = "en"
    # /.well-known/security.txt (RFC 9116, ncert.public): its Contact URIs (none: the national
    # organisation's contact e-mail, else the site itself) and its Expires (None: 90 days after each
    # request, the file being written by the running service).
    security_contact: tuple[str, ...] = ()
    security_txt_expires: datetime | None = None
    # The OpenPGP secret key (an ASCII-armoured file) that signs the CSAF documents (CSAF 2.0 §7.1.19
    # and 20, ncert.public.openpgp), and its passphrase; None: no signatures, and no key is named.
    csaf_openpgp_key: Path | None = None
    csaf_openpgp_passphrase: str | None = None

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
            max_json_depth=int(env.get("NCERT_MAX_JSON_DEPTH", MAX_JSON_DEPTH)),
            playbooks_dir=Path(env.get("NCERT_PLAYBOOKS_DIR") or PLAYBOOK_LIBRARY).resolve(),
            attachment_max_bytes=_whole(env, "NCERT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
            risk_drift_days=_risk_drift_days(env),
            elasticsearch_url=env.get("NCERT_ELASTICSEARCH_URL", "").strip() or None,
            category_suggestion_threshold=_share(env, "NCERT_CATEGORY_SUGGESTION_THRESHOLD", 0.8),
            default_locale=_locale(env),
            security_contact=_contacts(env),
            security_txt_expires=_expires(env),
            csaf_openpgp_key=_openpgp_key(env),
            csaf_openpgp_passphrase=env.get("NCERT_CSAF_OPENPGP_PASSPHRASE") or None,
            **_scoring_from_env(env),
            **_sign_in_from_env(env),
        )

    @property
    def scoring(self) -> ScoringConfig:
        """The configured severity scoring (checked once already, in ``from_env``)."""
        return ScoringConfig(self.scoring_weights, self.scoring_thresholds, self.scoring_spread_saturation)

    def describe(self) -> dict[str, str]:
        """The effective configuration with secrets hidden, for `ncert config`."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***"
            elif f.name == "database_url":
                value = _redact_url(value)
            elif isinstance(value, Mapping):
                value = ",".join(f"{k}={v:g}" for k, v in value.items())
            elif isinstance(value, tuple):
                value = ",".join(value)
            out[f"NCERT_{f.name.upper()}"] = str(value)
        return out


def _pairs(variable: str, text: str, key) -> dict:
    """``"a=1,b=2.5"`` as {key(a): 1.0, key(b): 2.5}; a malformed pair is a ConfigError naming ``variable``."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        try:
            value = float(number)
            if not sep or not math.isfinite(value):
                raise ValueError
            out[key(name.strip())] = value
        except ValueError:
            raise ConfigError(f"{variable}: {part!r} is not <name>=<finite number>") from None
    return out


def _scoring_from_env(env: Mapping[str, str]) -> dict:
    """The scoring settings; unnamed factors and levels keep their defaults. ScoringConfig checks the result."""
    weights = {**_SCORING.weights, **_pairs("NCERT_SCORING_WEIGHTS", env.get("NCERT_SCORING_WEIGHTS", ""), str)}
    thresholds = {**_SCORING.thresholds,
                  **_pairs("NCERT_SCORING_THRESHOLDS", env.get("NCERT_SCORING_THRESHOLDS", ""), int)}
    spread = env.get("NCERT_SCORING_SPREAD_SATURATION", "").strip() or str(_SCORING.spread_saturation)
    if not spread.isdigit():
        raise ConfigError(f"NCERT_SCORING_SPREAD_SATURATION: {spread!r} is not a whole number of sectors")
    for variable, config in (("NCERT_SCORING_WEIGHTS", dict(weights=weights)),
                             ("NCERT_SCORING_THRESHOLDS", dict(thresholds=thresholds)),
                             ("NCERT_SCORING_SPREAD_SATURATION", dict(spread_saturation=int(spread)))):
        try:
            ScoringConfig(**config)
        except ValueError as exc:
            raise ConfigError(f"{variable}: {exc}") from None
    return dict(scoring_weights=weights, scoring_thresholds=thresholds, scoring_spread_saturation=int(spread))


_SIGN_IN_SETTINGS = ("signin_account_limit", "signin_address_limit", "signin_window_s", "session_idle_s",
                     "session_absolute_s", "trusted_proxies")


def _sign_in_from_env(env: Mapping[str, str]) -> dict:
    """The sign-in and session settings: whole numbers (limits and seconds at least 1, proxies at least 0)."""
    out = {}
    for name in _SIGN_IN_SETTINGS:
        variable = f"NCERT_{name.upper()}"
        text = env.get(variable, "").strip()
        if not text:
            continue
        least = 0 if name == "trusted_proxies" else 1
        if not text.isdigit() or int(text) < least:
            raise ConfigError(f"{variable}: {text!r} is not a whole number of at least {least}")
        out[name] = int(text)
    return out


def _risk_drift_days(env: Mapping[str, str]) -> int:
    text = env.get("NCERT_RISK_DRIFT_DAYS", "").strip() or "14"
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"NCERT_RISK_DRIFT_DAYS: {text!r} is not a whole number of days, at least 1")
    return int(text)


def _share(env: Mapping[str, str], variable: str, default: float) -> float:
    """A number from 0 to 1 from ``variable``, ``default`` when unset."""
    text = env.get(variable, "").strip() or str(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise ConfigError(f"{variable}: {text!r} is not a number from 0 to 1")
    return value


def _locale(env: Mapping[str, str]) -> str:
    """``NCERT_DEFAULT_LOCALE``: one of the languages the console is translated into."""
    from ncert.i18n import LOCALES

    text = env.get("NCERT_DEFAULT_LOCALE", "").strip() or "en"
    if text not in LOCALES:
        raise ConfigError(f"NCERT_DEFAULT_LOCALE: {text!r} is not one of {', '.join(LOCALES)}")
    return text


def _contacts(env: Mapping[str, str]) -> tuple[str, ...]:
    """``NCERT_SECURITY_CONTACT``: comma-separated URIs (RFC 9116 §2.5.3: ``mailto:``, ``tel:`` or ``https:``)."""
    found = tuple(c.strip() for c in env.get("NCERT_SECURITY_CONTACT", "").split(",") if c.strip())
    for contact in found:
        if not contact.startswith(("mailto:", "tel:", "https://")) or any(c.isspace() for c in contact):
            raise ConfigError(f"NCERT_SECURITY_CONTACT: {contact!r} is not a mailto:, tel: or https:// URI")
    return found


def _expires(env: Mapping[str, str]) -> datetime | None:
    """``NCERT_SECURITY_TXT_EXPIRES``: an ISO 8601 date and time with its offset (RFC 9116 §2.5.5)."""
    text = env.get("NCERT_SECURITY_TXT_EXPIRES", "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ConfigError(f"NCERT_SECURITY_TXT_EXPIRES: {text!r} is not a date and time with its offset, "
                          "e.g. 2027-06-30T00:00:00Z")
    return value.astimezone(timezone.utc)


def _openpgp_key(env: Mapping[str, str]) -> Path | None:
    """``NCERT_CSAF_OPENPGP_KEY``: a readable file holding the ASCII-armoured OpenPGP secret key."""
    text = env.get("NCERT_CSAF_OPENPGP_KEY", "").strip()
    if not text:
        return None
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"NCERT_CSAF_OPENPGP_KEY: {text!r} is not a file")
    return path


def _whole(env: Mapping[str, str], variable: str, default: int) -> int:
    """A whole number of at least 1 from ``variable``, ``default`` when unset."""
    text = env.get(variable, "").strip() or str(default)
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{variable}: {text!r} is not a whole number of at least 1")
    return int(text)


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
