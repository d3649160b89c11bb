"""Trained models kept in the database, versioned, and loaded without running code.

A model is stored in one of two formats, neither of which runs code on load:

* a model that is numbers only (a dict of numpy arrays, as the categoriser keeps) is a
  numpy ``.npz`` read with ``allow_pickle=False``, which refuses object arrays, the one
  part of the format that would unpickle (https://numpy.org/doc/stable/reference/generated/numpy.load.html).
  Reading it needs numpy alone, not scikit-learn: a fraction of a second on first use;
* any other scikit-learn estimator is in skops' format (https://skops.readthedocs.io/en/stable/persistence.html):
  a zip of JSON schema and numpy arrays that skops rebuilds node by node, refusing any type
  that is neither in its audited default set nor in our explicit ``TRUSTED`` list. Before
  loading we also ask skops which types the file would need (``get_untrusted_types``) and
  refuse the file outright if one is outside ``TRUSTED``.

A tampered row can make loading fail, never make it run code. Plain parameters (rarity
tables, label lists) are JSON.

Each version is keyed by name, version number, scikit-learn version and the sha256 of its
training data. One version per name is ``active``; a new one is promoted when its
evaluation is not worse than the active one's (``promote_if_not_worse``), or by an admin.
A version trained under another scikit-learn than the running one is not loaded (its
estimator may not mean the same): the name then has no model until it is retrained.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.db import utcnow
from ncert.errors import Conflict, NotFound
from ncert.models import StoredModel

ACTIVE, CANDIDATE, RETIRED = "active", "candidate", "retired"

# What our estimators need beyond skops' own trusted set, and nothing more: the isolation
# forest's trees (skops rebuilds a Tree from its node arrays, it runs no code).
TRUSTED = ["sklearn.tree._tree.Tree"]


class UnsafeModel(Exception):
    """A stored estimator names a type outside the trusted list, or is not a skops file at all."""


def data_hash(rows: list[Any]) -> str:
    """sha256 of training data given as JSON-able rows (order counts)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def sklearn_version() -> str:
    """The installed scikit-learn's version, read without importing it (a second or more)."""
    from importlib.metadata import version

    return version("scikit-learn")


def dumps(estimator: Any) -> bytes:
    """``estimator`` as an ``.npz`` when it is a dict of numpy arrays, else in skops' format."""
    import numpy as np

    if isinstance(estimator, dict) and estimator and all(isinstance(v, np.ndarray) for v in estimator.values()):
        out = io.BytesIO()
        np.savez_compressed(out, allow_pickle=False, **estimator)
        return out.getvalue()
    import skops.io as sio

    return sio.dumps(estimator, compression=8)  # zipfile.ZIP_DEFLATED


def loads(blob: bytes) -> Any:
    """The estimator in ``blob`` (a dict of arrays for an ``.npz``); ``UnsafeModel`` when it needs
    an object array, any type outside ``TRUSTED`` (skops' audited defaults aside), or is neither
    format. Nothing in ``blob`` runs before the check."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            skops_file = "schema.json" in archive.namelist()
    except zipfile.BadZipFile as exc:
        raise UnsafeModel(f"not a skops model file nor numpy arrays: {exc}") from None
    return _skops(blob) if skops_file else _arrays(blob)


def _arrays(blob: bytes) -> dict:
    import numpy as np

    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise UnsafeModel(f"the stored arrays could not be loaded safely: {exc}") from None


def _skops(blob: bytes) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=blob)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise UnsafeModel(f"not a skops model file: {exc}") from None
    refused = sorted(set(untrusted) - set(TRUSTED))
    if refused:
        raise UnsafeModel(f"the stored model needs untrusted types: {', '.join(refused)}")
    try:
        return sio.loads(blob, trusted=TRUSTED)
    except Exception as exc:  # skops raises several types for a malformed or hostile file
        raise UnsafeModel(f"the stored model could not be loaded safely: {exc}") from None


@dataclass(frozen=True)
class Loaded:
    """A usable model: its row's identity and the rebuilt estimator."""

    name: str
    version: int
    estimator: Any
    params: dict

    @property
    def label(self) -> str:
        return f"{self.name}/v{self.version}"


def save(session: Session, name: str, estimator: Any, *, params: dict, data: str, examples: int,
         seconds: float, metrics: dict, now: datetime | None = None) -> StoredModel:
    """Store a new candidate version of ``name``."""
    version = (session.scalar(select(func.max(StoredModel.version)).where(StoredModel.name == name)) or 0) + 1
    row = StoredModel(name=name, version=version, sklearn_version=sklearn_version(), data_hash=data,
                      trained_at=now or utcnow(), training_seconds=round(seconds, 3), examples=examples,
                      metrics=metrics, params=params, status=CANDIDATE, estimator=dumps(estimator))
    session.add(row)
    session.flush()
    return row


def versions(session: Session, name: str | None = None) -> list[StoredModel]:
    stmt = select(StoredModel).order_by(StoredModel.name, StoredModel.version)
    if name is not None:
        stmt = stmt.where(StoredModel.name == name)
    return list(session.scalars(stmt))


def active_row(session: Session, name: str) -> StoredModel | None:
    return session.scalar(select(StoredModel).where(StoredModel.name == name, StoredModel.status == ACTIVE))


def version_row(session: Session, name: str, version: int) -> StoredModel:
    row = session.scalar(select(StoredModel).where(StoredModel.name == name, StoredModel.version == version))
    if row is None:
        raise NotFound(f"no model {name} version {version}")
    return row


def promote(session: Session, row: StoredModel, by: str, now: datetime | None = None) -> StoredModel:
    """Make ``row`` the active version of its name; the previous active one is retired."""
    if row.status == ACTIVE:
        return row
    current = active_row(session, row.name)
    if current is not None:
        current.status = RETIRED
        session.flush()
    row.status, row.promoted_at, row.promoted_by = ACTIVE, now or utcnow(), by
    session.flush()
    return row


def promote_if_not_worse(session: Session, row: StoredModel, key: str, by: str) -> bool:
    """Promote ``row`` unless the active version's ``metrics[key]`` is higher; whether it was promoted."""
    current = active_row(session, row.name)
    if current is not None and row.metrics.get(key, 0.0) < current.metrics.get(key, 0.0):
        return False
    promote(session, row, by)
    return True


def rollback(session: Session, name: str, by: str) -> StoredModel:
    """Bring back the version that was active before the current one."""
    current = active_row(session, name)
    if current is None:
        raise Conflict(f"{name} has no active version to roll back")
    previous = session.scalar(select(StoredModel).where(
        StoredModel.name == name, StoredModel.status == RETIRED, StoredModel.promoted_at.is_not(None),
        StoredModel.version < current.version).order_by(StoredModel.version.desc()).limit(1))
    if previous is None:
        raise Conflict(f"{name} v{current.version} has no earlier promoted version to roll back to")
    return promote(session, previous, by)


_cache: dict[tuple, Loaded] = {}  # (name, version, data hash, trained at) → the rebuilt model


def forget() -> None:
    """Drop the rebuilt models of this process (the next use reads them from the database)."""
    _cache.clear()


def load_active(session: Session, name: str, build: Callable[[Any], Any] | None = None) -> Loaded | None:
    """The active version of ``name``, rebuilt once per process (``build`` makes the usable model
    from the stored one, e.g. ``categoriser.Model`` from its arrays); ``None`` without one (or when
    it was trained under another scikit-learn). ``UnsafeModel`` for a tampered estimator, or one
    ``build`` rejects (``ValueError``: a format this code no longer reads, until it is retrained)."""
    found = session.execute(select(StoredModel.id, StoredModel.version, StoredModel.data_hash,
                                   StoredModel.trained_at, StoredModel.sklearn_version)
                            .where(StoredModel.name == name, StoredModel.status == ACTIVE)).first()
    if found is None or found.sklearn_version != sklearn_version():
        return None
    key = (name, found.version, found.data_hash, found.trained_at)
    if key not in _cache:
        row = session.get(StoredModel, found.id)
        estimator = loads(row.estimator)
        if build is not None:
            try:
                estimator = build(estimator)
            except ValueError as exc:
                raise UnsafeModel(f"{name} v{row.version} is not a usable model: {exc}") from None
        loaded = Loaded(name, row.version, estimator, dict(row.params))
        for old in [k for k in _cache if k[0] == name]:
            del _cache[old]
        _cache[key] = loaded
    return _cache[key]
