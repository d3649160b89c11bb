"""Secrets ncert must present to others (a feed's API key or password), sealed at rest.

ncert cannot keep only a hash of them, so they are encrypted with Fernet
(AES-128-CBC with HMAC-SHA256, https://cryptography.io/en/latest/fernet/)
under a key derived from ``NCERT_SECRET_KEY`` with HKDF-SHA256 (RFC 5869). A
database dump or backup alone does not reveal them. Sealed values carry the
``PREFIX``; a value without it is an older plain one, read as is and sealed by
``ncert init``. Changing the secret key makes sealed values unreadable: they
must then be entered again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

PREFIX = "sealed:v1:"
_INFO = b"ncert sealed secrets v1"


class SealError(Exception):
    """A sealed value this secret key cannot open."""


class Sealer:
    def __init__(self, secret_key: str):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str | None) -> str | None:
        """``value`` encrypted for storage; empty stays ``None``."""
        if not value:
            return None
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def unseal(self, value: str | None) -> str | None:
        """The plain value of a stored one (an unsealed legacy value is returned as is)."""
        if not value or not is_sealed(value):
            return value or None
        try:
            return self._fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SealError("a stored credential cannot be decrypted with this NCERT_SECRET_KEY "
                            "(was the key changed?); enter the credential again") from None


def is_sealed(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX)


def sealer_of(session: Session) -> Sealer:
    """The sealer of the runtime that made ``session`` (``ncert.runtime``)."""
    try:
        return session.info["sealer"]
    except KeyError:
        raise RuntimeError("this session was not made by a Runtime: it has no sealer for secrets") from None
