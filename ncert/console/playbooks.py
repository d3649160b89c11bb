"""Playbook management (admin role only): the library with its switches, an
editor that checks a draft and dry-runs it before it is saved, every version
with its difference from the current one, and restore."""

from __future__ import annotations

import dataclasses
import difflib
import re
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, current_admin, return_to
from ncert.console.forms import FlaskForm, Form
from ncert.errors import Invalid, NcertError
from ncert.i18n import N_
from ncert.services import playbook_library
from ncert.web.session import db, rollback, runtime
from playbooks import engine
from playbooks.conditions import parse_duration
from playbooks.loader import PlaybookError
from playbooks.schema import Playbook

MAX_SHOWN = 200  # dry-run outcomes listed on a page; the count covers them all
NEW_PLAYBOOK = """\
name: my-playbook
description: What this playbook is for, in one line
priority: 100
triggers: [incident.created, incident.updated]
when:
  all:
    - {fact: category_class, eq: malicious-code}
    - {fact: sector_criticality, gte: 4}
actions:
  - {type: raise_severity_to, level: 3}
  - type: add_tasks
    tasks:
      - Contact the reporting organisation
"""


class PlaybookForm(FlaskForm):
    text = TextAreaField(_l("Playbook (YAML)"), [DataRequired(), Length(max=100_000)],
                         render_kw={"rows": 24, "spellcheck": "false", "class": "code"})
    comment = StringField(_l("What changed and why"), [Optional(), Length(max=500)], **forms.TEXT)
    base_version = HiddenField()
    since = StringField(_l("Dry run over the last"), [Optional(), Length(max=10)], default="90d", **forms.TEXT)


class DryRunForm(Form):
    since = StringField(_l("Over the last"), [Optional(), Length(max=10)], default="90d", **forms.TEXT)


def _span(text: str | None) -> timedelta:
    try:
        return parse_duration(text or "90d")
    except ValueError as exc:
        raise Invalid(N_("since: %(exc)s"), exc=exc) from None


@bp.get("/admin/playbooks")
@login_required
def admin_playbooks():
    current_admin()
    return render_template("console/admin/playbooks.html", entries=playbook_library.entries(db()),
                           button=forms.ButtonForm(), **VERSION_TEXTS)


@bp.post("/admin/playbooks/import")
@login_required
def admin_playbooks_import():
    actor = current_admin()
    return_to(url_for("console.admin_playbooks"))
    report = playbook_library.sync_folder(db(), actor, runtime().settings.playbooks_dir)
    flash(gettext("Library folder imported: %(summary)s.", summary=report.summary()), "success")
    return redirect(url_for("console.admin_playbooks"))


@bp.post("/admin/playbooks/<name>/<any(enable, disable):switch>")
@login_required
def admin_playbook_switch(name: str, switch: str):
    actor = current_admin()
    return_to(url_for("console.admin_playbooks"))
    entry = playbook_library.set_enabled(db(), actor, name, switch == "enable")
    flash(gettext("%(name)s v%(version)s enabled.", name=name, version=entry.row.version) if switch == "enable"
          else gettext("%(name)s v%(version)s disabled.", name=name, version=entry.row.version), "success")
    return redirect(url_for("console.admin_playbooks"))


@bp.route("/admin/playbooks/new", methods=["GET", "POST"])
@login_required
def admin_playbook_new():
    actor = current_admin()
    form = PlaybookForm(prefix="pb")
    if request.method == "GET":
        form.text.data = NEW_PLAYBOOK
    return _editor(form, None, lambda: playbook_library.create(db(), actor, form.text.data, comment=form.comment.data))


@bp.route("/admin/playbooks/<name>/edit", methods=["GET", "POST"])
@login_required
def admin_playbook_edit(name: str):
    actor = current_admin()
    entry = playbook_library.entry(db(), name)
    form = PlaybookForm(prefix="pb")
    if request.method == "GET":
        form.text.data, form.base_version.data = entry.current.text, str(entry.row.version)

    def save():
        if not (form.base_version.data or "").isdigit():
            raise Invalid(N_("base_version: the form lost the version it was opened at; reload the page"))
        return playbook_library.edit(db(), actor, name, form.text.data, base_version=int(form.base_version.data),
                                     comment=form.comment.data)

    return _editor(form, entry, save)


def _editor(form: PlaybookForm, entry: playbook_library.Entry | None, save):
    """Check the draft; "dry-run" shows what it would have done, "save" stores it as a version."""
    problem = outcomes = None
    status = 200
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "dry-run":
                draft = playbook_library.check(db(), form.text.data, entry.row.name if entry else None)
                number = entry.row.version + 1 if entry else 1
                outcomes = _dry_run(draft, form.since.data, number)
            else:
                saved = save()
                flash(gettext("%(name)s saved as version %(version)s.", name=saved.row.name,
                              version=saved.row.version), "success")
                return redirect(url_for("console.admin_playbook", name=saved.row.name))
        except NcertError as exc:
            rollback()
            problem, status = exc, exc.status
    elif form.errors:
        status = 422
    return render_template("console/admin/playbook_edit.html", form=form, entry=entry, problem=problem,
                           excerpt=_excerpt(form.text.data or "", problem), outcomes=outcomes,
                           max_shown=MAX_SHOWN), status


def _dry_run(book: Playbook, since: str | None, number: int):
    span = _span(since)
    outcomes = engine.dry_run(db(), current_actor(), dataclasses.replace(book, version=number, enabled=True), span)
    rollback()  # a dry run writes nothing; make sure nothing it loaded is kept either
    return outcomes


@bp.get("/admin/playbooks/<name>")
@login_required
def admin_playbook(name: str):
    actor = current_admin()
    session = db()
    entry = playbook_library.entry(session, name)
    dry = DryRunForm(request.args)
    outcomes = problem = None
    if "since" in request.args:
        try:
            if entry.playbook is None:
                raise Invalid(N_("%(name)s v%(version)s does not load: %(error)s"),
                              name=name, version=entry.row.version, error=entry.error)
            outcomes = engine.dry_run(session, actor, entry.playbook, _span(dry.since.data))
        except Invalid as exc:
            problem = exc.localized()
    history = playbook_library.versions(session, name)
    return render_template("console/admin/playbook.html", entry=entry, versions=history, dry=dry, problem=problem,
                           outcomes=outcomes, max_shown=MAX_SHOWN, button=forms.ButtonForm(),
                           **VERSION_TEXTS), 422 if problem else 200


def _source(key: str) -> str:
    """A version's source (or a library import's author) in the page's language; anything else as stored."""
    return gettext(playbook_library.SOURCES[key]) if key in playbook_library.SOURCES else key


def _comment(version) -> str:
    """A version's comment: a library import's, stored in English, in the page's language; a person's as written."""
    imported = re.fullmatch(playbook_library.IMPORTED.replace("%(file)s", r"(\S+)"), version.comment or "")
    if version.source == playbook_library.LIBRARY and imported:
        return gettext(playbook_library.IMPORTED, file=imported.group(1))
    return version.comment


VERSION_TEXTS = {"version_source": _source, "version_comment": _comment}


@bp.get("/admin/playbooks/<name>/versions/<int:number>")
@login_required
def admin_playbook_version(name: str, number: int):
    current_admin()
    session = db()
    entry = playbook_library.entry(session, name)
    old = playbook_library.version(session, entry.row, number)
    diff = list(difflib.unified_diff(old.text.splitlines(), entry.current.text.splitlines(),
                                     f"version {number}", f"version {entry.row.version} (current)", lineterm=""))
    return render_template("console/admin/playbook_version.html", entry=entry, old=old, diff=diff,
                           button=forms.ButtonForm(), **VERSION_TEXTS)


@bp.post("/admin/playbooks/<name>/versions/<int:number>/restore")
@login_required
def admin_playbook_restore(name: str, number: int):
    actor = current_admin()
    return_to(url_for("console.admin_playbook_version", name=name, number=number))
    entry = playbook_library.restore(db(), actor, name, number)
    flash(gettext("Version %(number)s of %(name)s restored as version %(version)s.", number=number, name=name,
                  version=entry.row.version), "success")
    return redirect(url_for("console.admin_playbook", name=name))


def _excerpt(text: str, problem: NcertError | None) -> list[tuple[int, str, bool]]:
    """The lines around a YAML error, numbered, the faulty one marked."""
    if not isinstance(problem, PlaybookError):
        return []
    lines = text.splitlines()
    first, last = max(1, problem.line - 3), min(len(lines), problem.line + 2)
    return [(n, lines[n - 1], n == problem.line) for n in range(first, last + 1)]

