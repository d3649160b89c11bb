"""The playbook library as the national centre runs it: stored, versioned, managed by admins.

The YAML folder (``playbooks/library`` or ``NCERT_PLAYBOOKS_DIR``) is the
shipped library; ``sync_folder`` imports it (``ncert init`` and ``ncert serve``
do). From then on admins enable, disable, create and edit playbooks; every
text a playbook has had is kept as a ``PlaybookVersion`` and can be restored.
The stored version number is authoritative: a ``version:`` line in the text is
rewritten to it on save. A folder update replaces a playbook only while no one
has edited it locally, so an admin's change is never silently overwritten.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Conflict, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import PlaybookVersion, StoredPlaybook
from ncert.services import audit, directory, regimes
from playbooks.loader import PlaybookError, parse_playbook
from playbooks.schema import Playbook, known_regimes

LIBRARY = "library"
# Where a version came from (its source, and the author of a library import), named in the reader's language; the
# stored comment of an import stays this English text, which the console shows translated.
SOURCES = {LIBRARY: N_("library"), "console": N_("console"), "cli": N_("command line")}
IMPORTED = N_("imported from %(file)s")
log = logging.getLogger(__name__)
_VERSION_LINE = re.compile(r"^version:[ \t]*[^\n#]*", re.MULTILINE)
_NAME_LINE = re.compile(r"^name:[^\n]*(?=\n)", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One stored playbook: its row, its current text and the parsed playbook, or
    why the text no longer loads (a rule this release of ncert refuses)."""

    row: StoredPlaybook
    current: PlaybookVersion
    playbook: Playbook | None
    error: str | None = None

    @property
    def locally_edited(self) -> bool:
        return self.current.source != LIBRARY


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)  # the folder changed, but an admin's edit stands

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated"]
        if self.kept_local:
            parts.append(f"{len(self.kept_local)} kept as edited locally ({', '.join(self.kept_local)})")
        return ", ".join(parts)


# -- reading -----------------------------------------------------------------------------------


def revision(session: Session) -> tuple[int, int]:
    """Changes whenever any stored playbook does; ``(0, 0)`` while nothing is stored."""
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(StoredPlaybook.revision), 0))).one()
    return int(count), int(total)


def entries(session: Session) -> list[Entry]:
    """Every stored playbook with its current version, ordered as the engine runs them."""
    stmt = (select(StoredPlaybook, PlaybookVersion)
            .join(PlaybookVersion, (PlaybookVersion.playbook_id == StoredPlaybook.id)
                  & (PlaybookVersion.version == StoredPlaybook.version)))
    with _regimes(session):
        out = [_entry(row, current) for row, current in session.execute(stmt)]
    return sorted(out, key=lambda e: (e.playbook.priority if e.playbook else 0, e.row.name))


def library(session: Session) -> list[Playbook]:
    """The playbooks the engine runs: each stored one at its current version, enabled or not.
    A stored text that no longer loads is left out (and logged), never fatal."""
    out = []
    for e in entries(session):
        if e.playbook is None:
            log.error("playbook %s v%s is not loaded: %s", e.row.name, e.row.version, e.error)
        else:
            out.append(e.playbook)
    return out


def entry(session: Session, name: str) -> Entry:
    row = session.scalar(select(StoredPlaybook).where(StoredPlaybook.name == name))
    if row is None:
        raise NotFound(N_("no playbook named '%(name)s'"), name=name)
    current = version(session, row, row.version)
    with _regimes(session):
        return _entry(row, current)


def versions(session: Session, name: str) -> list[PlaybookVersion]:
    """A playbook's history, newest first."""
    row = entry(session, name).row
    stmt = select(PlaybookVersion).where(PlaybookVersion.playbook_id == row.id)
    return list(session.scalars(stmt.order_by(PlaybookVersion.version.desc())))


def version(session: Session, row: StoredPlaybook, number: int) -> PlaybookVersion:
    found = session.scalar(select(PlaybookVersion).where(PlaybookVersion.playbook_id == row.id,
                                                         PlaybookVersion.version == number))
    if found is None:
        raise NotFound(N_("playbook %(name)s has no version %(number)s"), name=row.name, number=number)
    return found


def _regimes(session: Session):
    """Playbooks may start any regime the registry knows, stored ones included."""
    return known_regimes(regimes.registry(session))


def _entry(row: StoredPlaybook, current: PlaybookVersion) -> Entry:
    """The stored text as a playbook; the row's version and enabled flag win over the text."""
    try:
        book = parse_playbook(current.text, f"{row.name} v{row.version}")
    except PlaybookError as exc:
        return Entry(row, current, None, str(exc))
    return Entry(row, current, dataclasses.replace(book, version=row.version, enabled=row.enabled, path=None))


def check(session: Session, text: str, name: str | None = None, number: int = 1) -> Playbook:
    """Parse an admin's draft as version ``number``; ``name`` is what an edit must keep.
    Raises ``PlaybookError`` (422) naming the line."""
    if not _VERSION_LINE.search(text):  # appended, so the admin's line numbers stay true
        text = f"{text.rstrip(chr(10))}\nversion: {number}\n"
    with _regimes(session):
        book = parse_playbook(_stamped(text, number), "playbook")
    if name is not None and book.name != name:
        raise Invalid(f"name: a playbook keeps its name (this one is {name!r}); create a new playbook instead",
                      code="invalid_playbook")
    return book


# -- changing ----------------------------------------------------------------------------------


def create(session: Session, actor: Actor, text: str, *, comment: str = "", source: str = "console") -> Entry:
    """Store a new playbook at version 1 (admins only)."""
    directory.require_admin(actor)
    book = check(session, text)
    if session.scalar(select(StoredPlaybook.id).where(StoredPlaybook.name == book.name)) is not None:
        raise Conflict(N_("a playbook named '%(name)s' already exists; edit it instead"), name=book.name)
    row = _add(session, actor.label, book, text, source, comment)
    audit.record(session, actor, "playbook.create", "playbook", book.name, version=1, enabled=book.enabled)
    return entry(session, row.name)


def edit(session: Session, actor: Actor, name: str, text: str, *, base_version: int, comment: str = "",
         source: str = "console") -> Entry:
    """Save ``text`` as the next version of ``name``. ``base_version`` is the version the
    admin started from; if someone saved another since, the edit is refused (409)."""
    directory.require_admin(actor)
    current = entry(session, name)
    check(session, text, name, current.row.version + 1)
    if base_version != current.row.version:
        raise Conflict(f"{name} is at version {current.row.version} (saved by {current.row.updated_by}) since you "
                       f"opened version {base_version}; reload it and apply your change again")
    if current.current.text == _stamped(text, current.row.version):
        raise Invalid(N_("nothing changed: the text is the same as the current version"), code="unchanged")
    _next_version(session, current.row, actor.label, text, source, comment)
    audit.record(session, actor, "playbook.edit", "playbook", name, version=current.row.version, comment=comment)
    return entry(session, name)


def restore(session: Session, actor: Actor, name: str, number: int) -> Entry:
    """Make an old version's text current again, as a new version."""
    directory.require_admin(actor)
    current = entry(session, name)
    old = version(session, current.row, number)
    _next_version(session, current.row, actor.label, old.text, "console", f"restored version {number}")
    audit.record(session, actor, "playbook.restore", "playbook", name, version=current.row.version, restored=number)
    return entry(session, name)


def set_enabled(session: Session, actor: Actor, name: str, enabled: bool) -> Entry:
    """Switch a playbook on or off; the switch is not a new version of its text."""
    directory.require_admin(actor)
    row = entry(session, name).row
    if row.enabled != enabled:
        row.enabled = enabled
        _touch(row, actor.label)
        audit.record(session, actor, "playbook.enable" if enabled else "playbook.disable", "playbook", name,
                     version=row.version)
    return entry(session, name)


def sync_folder(session: Session, actor: Actor, directory_path: str | Path) -> SyncReport:
    """Import the folder's playbooks: new ones are added, unedited ones follow the folder.

    Every file is checked before anything is written (``PlaybookError`` names the file and line).
    """
    from playbooks.loader import load_library

    with _regimes(session):
        books = {b.name: b for b in load_library(directory_path)}
    texts = {b.name: Path(b.path).read_text(encoding="utf-8") for b in books.values()}
    stored = {r.name: r for r in session.scalars(select(StoredPlaybook).where(StoredPlaybook.name.in_(books)))}
    report = SyncReport()
    for name in sorted(books):
        text, row = texts[name], stored.get(name)
        if row is None:
            _add(session, LIBRARY, books[name], text, LIBRARY, IMPORTED % {"file": Path(books[name].path).name})
            report.added.append(name)
            continue
        current = version(session, row, row.version)
        if current.text == _stamped(text, row.version):
            continue
        if current.source != LIBRARY:
            if not _folder_seen(session, row, text):
                report.kept_local.append(name)
            continue
        _next_version(session, row, LIBRARY, text, LIBRARY, f"updated from {Path(books[name].path).name}")
        report.updated.append(name)
    if report.added or report.updated:
        audit.record(session, actor, "playbook.sync", "playbook", str(directory_path), added=report.added,
                     updated=report.updated, kept_local=report.kept_local)
    return report


def _folder_seen(session: Session, row: StoredPlaybook, text: str) -> bool:
    """Whether this folder text was already imported once (the admin's edit came after it)."""
    stmt = select(PlaybookVersion.text).where(PlaybookVersion.playbook_id == row.id,
                                              PlaybookVersion.source == LIBRARY)
    return any(_VERSION_LINE.sub("", t) == _VERSION_LINE.sub("", text) for t in session.scalars(stmt))


def _add(session: Session, author: str, book: Playbook, text: str, source: str, comment: str) -> StoredPlaybook:
    row = StoredPlaybook(name=book.name, enabled=book.enabled, version=1, revision=1, updated_at=utcnow(),
                         updated_by=author)
    session.add(row)
    session.flush()
    session.add(PlaybookVersion(playbook_id=row.id, version=1, text=_stamped(text, 1), source=source, author=author,
                                comment=comment, created_at=utcnow()))
    session.flush()
    return row


def _next_version(session: Session, row: StoredPlaybook, author: str, text: str, source: str, comment: str) -> None:
    row.version += 1
    _touch(row, author)
    session.add(PlaybookVersion(playbook_id=row.id, version=row.version, text=_stamped(text, row.version),
                                source=source, author=author, comment=comment, created_at=utcnow()))
    session.flush()


def _touch(row: StoredPlaybook, author: str) -> None:
    row.revision += 1
    row.updated_at, row.updated_by = utcnow(), author


def _stamped(text: str, number: int) -> str:
    """The text with its top-level ``version:`` line set to the stored version (added
    after the ``name:`` line when the text has none)."""
    if _VERSION_LINE.search(text):
        return _VERSION_LINE.sub(f"version: {number}", text, count=1)
    name = _NAME_LINE.search(text)
    at = name.end() + 1 if name else 0
    return f"{text[:at]}version: {number}\n{text[at:]}"
