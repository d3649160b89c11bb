"""Administration of pulled feeds (admin role only): the list with each feed's
last success, last error and counts, a form to register one, and "pull now" (queued, pulled outside the request)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from ncert.console import forms
from ncert.console.blueprint import bp
from ncert.console.context import current_admin, return_to
from ncert.console.forms import FlaskForm
from ncert.services import directory, feeds
from ncert.web.session import db


class FeedForm(FlaskForm):
    name = StringField(_l("Name"), [DataRequired(), Length(max=64), forms.SLUG], **forms.TEXT)
    kind = SelectField(_l("Kind"), choices=forms.options(("misp", _l("MISP feed")),
                                                         ("taxii", _l("TAXII 2.1 collection"))))
    url = StringField(_l("URL"), [DataRequired(), Length(max=500), URL(require_tld=False)], **forms.TEXT,
                      description=_l("MISP: the feed folder (holding manifest.json); TAXII: the API root"))
    collection_id = StringField(_l("TAXII collection id"), [Optional(), Length(max=100)], **forms.TEXT)
    org = SelectField(_l("Data enters as"), choices=[], description=_l("The sector CERT or partner: the submitter"))
    api_key = PasswordField(_l("API key"), [Optional(), Length(max=500)])
    username = StringField(_l("User"), [Optional(), Length(max=200)], **forms.TEXT)
    password = PasswordField(_l("Password"), [Optional(), Length(max=500)])
    interval = IntegerField(_l("Interval (minutes)"), [NumberRange(min=1, max=7 * 24 * 60)], default=60)
    enabled = BooleanField(_l("Pull on schedule"), default=True)


@bp.route("/admin/feeds", methods=["GET", "POST"])
@login_required
def admin_feeds():
    actor, session = current_admin(), db()
    form = FeedForm(prefix="feed")
    form.org.choices = forms.options(*((o.slug, f"{o.name} ({o.slug})") for o in directory.organizations(session)))
    if form.validate_on_submit():
        return_to(url_for("console.admin_feeds"))
        feed = feeds.add_source(session, actor, name=form.name.data, kind=form.kind.data, url=form.url.data,
                                org=form.org.data, collection_id=form.collection_id.data, api_key=form.api_key.data,
                                username=form.username.data, password=form.password.data,
                                interval_minutes=form.interval.data, enabled=form.enabled.data)
        flash(gettext("Feed %(name)s added.", name=feed.name), "success")
        return redirect(url_for("console.admin_feeds"))
    return render_template("console/admin/feeds.html", form=form, feeds=feeds.sources(session),
                           button=forms.ButtonForm()), 422 if form.errors else 200


@bp.post("/admin/feeds/<name>/pull")
@login_required
def admin_feed_pull(name: str):
    actor = current_admin()
    return_to(url_for("console.admin_feeds"))
    feeds.queue_pull(db(), actor, name)  # 404 for an unknown feed; pulled after the request (ncert.outbox)
    flash(gettext("Pull of %(name)s queued: its outcome shows here when it is done.", name=name), "success")
    return redirect(url_for("console.admin_feeds"))
