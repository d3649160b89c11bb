"""OpenPGP signatures of the CSAF documents (CSAF 2.0 §7.1.19, requirement 19) and the public key that
verifies them (§7.1.20, requirement 20), made by the ``gpg`` binary through python-gnupg.

Signing is on when ``NCERT_CSAF_OPENPGP_KEY`` names a file holding an ASCII-armoured OpenPGP secret
key (with ``NCERT_CSAF_OPENPGP_PASSPHRASE`` if it has one); otherwise nothing is signed and the
provider metadata names no key. The key is imported once, when the web app starts, into a GnuPG
home of the process's own (a new private directory, never the user's keyring), so a key that is
missing, not secret or not able to sign stops start-up instead of failing the first download.

Each signature is a detached, ASCII-armoured signature of the very bytes the document URL serves.
An OpenPGP signature carries its creation time, so signing the same bytes twice gives two valid but
different files: the signature of the bytes last served is kept (by their SHA-256), and the same
document reads with the same signature until its bytes change.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from ncert.config import ConfigError

KEPT = 1024  # signatures kept, by the SHA-256 of the bytes they sign


class Signer:
    """One secret key in a private GnuPG home, signing bytes."""

    def __init__(self, key_file: Path, passphrase: str | None = None):
        import gnupg  # python-gnupg: only a provider that signs needs it and the gpg binary

        if shutil.which("gpg") is None:
            raise ConfigError("NCERT_CSAF_OPENPGP_KEY: signing needs the gpg binary (GnuPG 2), which is not installed")
        self._home = tempfile.mkdtemp(prefix="ncert-pgp-")  # short: gpg-agent's socket path has a length limit
        atexit.register(self.close)
        self._gpg = gnupg.GPG(gnupghome=self._home)
        self._passphrase = passphrase
        self._lock = threading.Lock()
        self._signatures: OrderedDict[bytes, str] = OrderedDict()
        imported = self._gpg.import_keys(key_file.read_text(encoding="utf-8"))
        secret = {k["fingerprint"]: k for k in self._gpg.list_keys(secret=True)}
        found = [f for f in imported.fingerprints if f in secret]
        if not found:
            self.close()
            raise ConfigError(f"NCERT_CSAF_OPENPGP_KEY: {key_file} holds no OpenPGP secret key")
        self.fingerprint: str = found[0]
        self.public_key: str = self._gpg.export_keys(self.fingerprint)
        self.sign(b"ncert: the CSAF signing key signs")  # a wrong passphrase or a key that cannot sign stops here

    @property
    def key_filename(self) -> str:
        """The public key's file name under ``/.well-known/csaf/openpgp/``: its fingerprint."""
        return f"{self.fingerprint}.asc"

    def sign(self, data: bytes) -> str:
        """A detached, ASCII-armoured signature of ``data``."""
        digest = hashlib.sha256(data).digest()
        with self._lock:
            if digest in self._signatures:
                self._signatures.move_to_end(digest)
                return self._signatures[digest]
            made = self._gpg.sign(data, keyid=self.fingerprint, detach=True, passphrase=self._passphrase,
                                  extra_args=["--digest-algo", "SHA512"])
            if not made.data:
                raise ConfigError(f"NCERT_CSAF_OPENPGP_KEY: the key could not sign ({made.status or made.stderr})")
            signature = made.data.decode("ascii")
            self._signatures[digest] = signature
            while len(self._signatures) > KEPT:
                self._signatures.popitem(last=False)
            return signature

    def close(self) -> None:
        """Stop the GnuPG agent this home started, and remove the home."""
        home, self._home = getattr(self, "_home", None), None
        if home is None:
            return
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
