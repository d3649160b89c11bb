"""Operators' advisory desk: the list (``/advisory-drafts``), a new advisory from scratch
or from incidents (``/advisory-drafts/new?incidents=NC-…``), and an advisory's page with its
open revision to edit, submit for approval, approve (leadership or admin, not its writers) and
publish, and a published advisory to withdraw. The public pages are ``ncert.public``'s."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from ncert.console import advisory_forms
from ncert.console.blueprint import bp
from ncert.console.context import current_actor, return_to
from ncert.services import advisories
from ncert.web.session import db


@bp.get("/advisory-drafts")
@login_required
def advisory_desk():
    actor = current_actor()
    return render_template("console/advisories.html", advisories=advisories.list_advisories(db(), actor),
                           may_draft=advisories.may_draft(actor), open_revision=advisories.open_revision)


@bp.route("/advisory-drafts/new", methods=["GET", "POST"])
@login_required
def new_advisory():
    actor, session = current_actor(), db()
    sources = request.values.get("incidents", "").replace(",", " ").split()
    form = advisory_forms.AdvisoryForm(prefix="adv")
    if request.method == "GET":
        form = advisory_forms.AdvisoryForm(prefix="adv", data=advisory_forms.data_of(
            advisories.prefill(session, actor, sources)) | {"sources": " ".join(sources)})
    elif form.validate_on_submit():
        return_to(url_for("console.new_advisory", incidents=form.sources.data or None))
        created = advisories.create(session, actor, advisories.validated(advisory_forms.fields(form)),
                                    form.sources.data.split())
        flash(gettext("%(reference)s is drafted: submit it for approval when it is ready.",
                      reference=created.reference), "success")
        return redirect(url_for("console.advisory_page", reference=created.reference))
    return render_template("console/advisory_new.html", form=form, sources=sources)


@bp.get("/advisory-drafts/<reference>")
@login_required
def advisory_page(reference: str):
    actor, session = current_actor(), db()
    found = advisories.get(session, actor, reference)
    revision = advisories.open_revision(found)
    edit = None
    if advisories.may_draft(actor):
        edit = advisory_forms.AdvisoryForm(prefix="adv", data=advisory_forms.data_of(
            advisories.content_of(revision or found.revisions[-1])))
    return render_template(
        "console/advisory.html", advisory=found, revision=revision,
        sources=advisories.sources(session, actor, found), button=advisory_forms.RevisionForm(),
        may_submit=revision is not None and revision.status == "draft" and advisories.may_draft(actor),
        may_approve=revision is not None and revision.status == "submitted" and advisories.may_approve(actor)
        and actor.user_id not in revision.author_ids,
        may_publish=revision is not None and revision.status == "approved" and advisories.may_draft(actor),
        withdraw_form=advisory_forms.WithdrawForm(prefix="withdraw")
        if found.last_published_at is not None and found.withdrawn_at is None and advisories.may_draft(actor)
        else None,
        edit_form=edit if found.withdrawn_at is None else None)


@bp.post("/advisory-drafts/<reference>/revise")
@login_required
def revise_advisory(reference: str):
    actor, session = current_actor(), db()
    found = advisories.get(session, actor, reference)
    back = return_to(url_for("console.advisory_page", reference=found.reference))
    form = advisory_forms.AdvisoryForm(prefix="adv")
    if not form.validate_on_submit():
        _refused(form)
        return redirect(back)
    revision = advisories.revise(session, actor, found.reference, advisories.validated(advisory_forms.fields(form)))
    flash(gettext("Revision %(number)s saved as a draft: submit it for approval when it is ready.",
                  number=revision.number), "success")
    return redirect(back)


def _refused(form) -> None:
    flash(gettext("The form could not be accepted: %(errors)s",
                  errors="; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in form.errors.items())), "error")


@bp.post("/advisory-drafts/<reference>/submit")
@login_required
def submit_advisory(reference: str):
    return _step(reference, advisories.submit,
                 _l("Revision %(number)s is submitted: a second person (leadership or admin) approves it."))


@bp.post("/advisory-drafts/<reference>/approve")
@login_required
def approve_advisory(reference: str):
    return _step(reference, advisories.approve, _l("Revision %(number)s approved: it may be published."))


@bp.post("/advisory-drafts/<reference>/publish")
@login_required
def publish_advisory(reference: str):
    return _step(reference, advisories.publish,
                 _l("Revision %(number)s is published as TLP:CLEAR, and shared in the national TAXII collections."))


@bp.post("/advisory-drafts/<reference>/withdraw")
@login_required
def withdraw_advisory(reference: str):
    actor, session = current_actor(), db()
    found = advisories.get(session, actor, reference)
    back = return_to(url_for("console.advisory_page", reference=found.reference))
    form = advisory_forms.WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        _refused(form)
        return redirect(back)
    revision = advisories.withdraw(session, actor, found.reference, form.reason.data or "")
    flash(gettext("%(reference)s is withdrawn: its public page, feeds and CSAF document say so (revision "
                  "%(number)s).", reference=found.reference, number=revision.number), "success")
    return redirect(back)


def _step(reference: str, action, message: str):
    actor, session = current_actor(), db()
    found = advisories.get(session, actor, reference)
    back = return_to(url_for("console.advisory_page", reference=found.reference))
    form = advisory_forms.RevisionForm()
    if not form.validate_on_submit() or form.number.data is None:
        flash(gettext("Reload the page: the revision number was missing."), "error")
        return redirect(back)
    action(session, actor, found.reference, form.number.data)
    flash(str(message) % {"number": form.number.data}, "success")
    return redirect(back)
