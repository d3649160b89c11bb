"""The `ncert` command line: a thin door into the same services.

Commands act as the national centre itself (a system actor of the national
CERT organisation), inside one transaction each.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ncert.errors import NcertError

if TYPE_CHECKING:
    from ncert.runtime import Runtime

# Start-up stays light: `ncert --help` and a command that needs no MISP, STIX, web or model code
# must not pay for importing them (pymisp alone pulls in jsonschema, whose format checkers build a
# lark grammar: seconds). So nothing beyond ncert.errors is imported at module level; each command
# imports what it uses, and tests/test_cli_startup.py checks that importing this module loads
# none of the heavy packages.


def transaction(sessions):
    """``ncert.db.transaction``, imported when a command first opens one."""
    from ncert.db import transaction as open_transaction

    return open_transaction(sessions)


def _refresh_statistics(engine) -> None:
    """After bulk writes: the planner's statistics (``ncert.planner_statistics``)."""
    from ncert import planner_statistics

    planner_statistics.refresh(engine, after_bulk=True)


class Context:
    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:  # the same runtime, playbooks and detection listening, for every command
            from ncert.runtime import Runtime

            self._runtime = Runtime.start()
        return self._runtime

    def actor(self, session):
        from ncert.services import directory

        return directory.system_actor(session, self.runtime.settings.national_org, "cli")


pass_ctx = click.make_pass_decorator(Context, ensure=True)


class Group(click.Group):
    """Turns domain errors into a one-line message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NcertError as exc:
            raise click.ClickException(exc.detail) from None


@click.group(cls=Group)
@click.version_option(package_name="ncert")
def main() -> None:
    """ncert: national cyber-incident coordination platform."""


@main.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create or upgrade the database and load the sector registry (idempotent)."""
    from ncert.schema import UnsupportedDatabase, upgrade
    from ncert.services import directory, feeds, playbook_library, taxii
    from sector_certs import registry

    try:
        upgrade(ctx.runtime.engine)
    except UnsupportedDatabase as exc:
        raise click.ClickException(str(exc)) from None
    _refresh_statistics(ctx.runtime.engine)  # new indexes get their statistics
    with transaction(ctx.runtime.sessions) as session:
        result = registry.load(session)
        collections = taxii.ensure_collections(session)
        books = playbook_library.sync_folder(session, ctx.actor(session), ctx.runtime.settings.playbooks_dir)
        sealed = feeds.seal_stored_credentials(session)
        mismatches = directory.role_mismatches(session)
    click.echo(f"database ready at {ctx.runtime.settings.describe()['NCERT_DATABASE_URL']}")
    click.echo(f"sector registry: {result.sectors_added} sectors and {result.orgs_added} organisations added")
    click.echo(f"TAXII collections: {collections} added")
    click.echo(f"playbooks: {books.summary()}")
    if sealed:
        click.echo(f"feed credentials sealed at rest: {sealed} feed(s)")
    for line in mismatches:  # reported, not changed: init stays idempotent and an admin decides
        click.echo(f"warning: {line}, a national-centre role outside {ctx.runtime.settings.national_org}; "
                   "revoke it or move it to the national organisation", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=True, show_default=True,
              help="Pull registered feeds on their intervals, in this process")
@pass_ctx
def serve(ctx: Context, host: str, port: int, threads: int, with_scheduler: bool) -> None:
    """Serve the console and the APIs (waitress), and pull feeds on schedule."""
    import waitress

    from ncert import gc_tuning
    from ncert.services import playbook_library
    from ncert.web import create_app

    app = create_app(ctx.runtime)
    with transaction(ctx.runtime.sessions) as session:  # the folder's new playbooks join the stored library
        books = playbook_library.sync_folder(session, ctx.actor(session), ctx.runtime.settings.playbooks_dir)
    click.echo(f"playbooks: {books.summary()}", err=True)
    gc_tuning.settle()  # requests (a TAXII push, a MISP event) allocate many short-lived acyclic objects
    if with_scheduler:  # feeds (issue 4): APScheduler jobs, in-process; side effects delivered after each commit
        from ncert import outbox, scheduler

        scheduler.start(ctx.runtime)
        outbox.start_delivery(ctx.runtime)
    click.echo(f"ncert serving on http://{host}:{port}/", err=True)
    # Keep request and response bodies of TAXII/MISP size in memory: waitress
    # spools anything over 512 KiB (requests) or 1 MiB (responses) to temporary
    # files by default, and reads the socket 8 KiB at a time.
    # X-Forwarded-* from NCERT_TRUSTED_PROXIES proxies are read by ncert.web.transport (ProxyFix), so
    # waitress keeps them then; otherwise it drops them as untrusted.
    waitress.serve(app, host=host, port=port, threads=threads, ident="ncert", inbuf_overflow=BODY_IN_MEMORY,
                   outbuf_overflow=BODY_IN_MEMORY, recv_bytes=256 * 1024,
                   clear_untrusted_proxy_headers=not ctx.runtime.settings.trusted_proxies)


WATCH_SECONDS = 5  # how often `ncert worker` checks that its scheduling thread still runs


@main.command()
@pass_ctx
def worker(ctx: Context) -> None:
    """Run the scheduler alone (feed pulls, deadline clocks, detection, risk reviews, outbox delivery), for one
    worker beside any number of `ncert serve --no-scheduler` web processes; stops on SIGTERM, and exits
    with status 1 if its scheduling thread dies (for its supervisor to start it again)."""
    import signal
    import threading

    from ncert import gc_tuning, scheduler

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    jobs = scheduler.start(ctx.runtime, persistent=True)  # the jobs live in the database (SQLAlchemyJobStore)
    gc_tuning.settle()  # feed pulls and detection are bursts of intake, as a web process's requests
    click.echo(f"ncert worker: {len(jobs.get_jobs())} jobs scheduled", err=True)
    died = False
    try:
        while not stop.wait(WATCH_SECONDS):
            if not scheduler.alive(jobs):
                died = True
                break
    except KeyboardInterrupt:
        pass
    finally:
        jobs.shutdown(wait=not died)
    if died:
        raise click.ClickException("the scheduling thread died (see the error above): exiting to be restarted")
    click.echo("ncert worker: stopped", err=True)


@main.command()
@click.option("--seed", default=2026, show_default=True, type=int, help="Seed for a reproducible stream")
@click.option("--days", default=90, show_default=True, type=int)
@click.option("--incidents", "count", default=400, show_default=True, type=int)
@pass_ctx
def demo(ctx: Context, seed: int, days: int, count: int) -> None:
    """Seed realistic demo data and one login per role (skipped if already seeded)."""
    from sector_certs import demo as demo_data

    with transaction(ctx.runtime.sessions) as session:
        report = demo_data.seed(session, ctx.actor(session), seed=seed, days=days, count=count,
                                drift_days=ctx.runtime.settings.risk_drift_days)
    _refresh_statistics(ctx.runtime.engine)
    click.echo(report.summary())
    for login in report.logins:
        click.echo(f"  {login.role:<15} {login.email:<32} password: {login.password}")


IMPORT_BATCH = 10_000  # objects per transaction in `ncert import`
BODY_IN_MEMORY = 64 * 1024 * 1024  # bytes


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", default=None, help="Submitting organisation (default: the national CERT)")
@click.option("--collection", "collection_key", default=None,
              help="TAXII collection id or alias (default: the submitting organisation's sector inbox)")
@pass_ctx
def import_(ctx: Context, path: Path, org_slug: str | None, collection_key: str | None) -> None:
    """Import a STIX 2.1 bundle (or TAXII envelope) file, streaming it.

    Objects are stored and mapped into the queue batch by batch, each batch in
    its own transaction; importing the same file again changes nothing.
    """
    from ingest.stix.reader import StixDocumentError, iter_objects
    from ncert import gc_tuning
    from ncert.services import directory, stix_intake, taxii

    settings = ctx.runtime.settings
    with gc_tuning.bulk(), ctx.runtime.sessions() as session, open(path, "rb") as raw:
        actor = directory.system_actor(session, org_slug or settings.national_org, "cli")
        coll = _import_collection(session, actor, collection_key)
        reader = _CountingReader(raw)
        intake = None
        try:
            with click.progressbar(length=path.stat().st_size, label=f"importing into {coll.alias}",
                                   file=sys.stderr) as bar:
                for intake in taxii.store(session, actor, coll, iter_objects(reader, settings.max_json_depth),
                                          batch_size=IMPORT_BATCH, max_depth=settings.max_json_depth,
                                          on_stored=stix_intake.apply if coll.kind == "inbox" else None):
                    session.commit()
                    bar.update(reader.consumed - bar.pos)
        except StixDocumentError as exc:
            session.rollback()
            raise click.ClickException(f"{path}: {exc}") from None
    _refresh_statistics(ctx.runtime.engine)
    _print_import_summary(intake)


def _import_collection(session, actor, key: str | None):
    from ncert.models import Organization
    from ncert.services import taxii

    if key:
        return taxii.collection(session, actor, key)[0]
    sector = session.get(Organization, actor.org_id).sector
    if sector is None:
        raise click.ClickException("the organisation has no sector inbox; give --collection")
    return taxii.collection(session, actor, f"inbox-{sector.slug}")[0]


class _CountingReader:
    """A binary reader that counts the bytes consumed, for the progress bar."""

    def __init__(self, raw):
        self.raw, self.consumed = raw, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.consumed += len(chunk)
        return chunk


def _print_import_summary(intake) -> None:
    if intake is None:
        click.echo("created 0, updated 0, unchanged 0, rejected 0 (the file holds no objects)")
        return
    click.echo(f"created {intake.created}, updated {intake.updated}, unchanged {intake.unchanged}, "
               f"rejected {intake.failed}")
    reasons = intake.reasons
    for message, n in reasons.most_common(20):
        click.echo(f"  rejected {n}: {message}")
    if len(reasons) > 20:
        click.echo(f"  … and {len(reasons) - 20} other reasons")
    for message, n in intake.not_queued.most_common(20):
        click.echo(f"  {n} {message}")


@main.group()
def sector() -> None:
    """Sectors of the national economy."""


@sector.command("list")
@pass_ctx
def sector_list(ctx: Context) -> None:
    from ncert.services import directory

    with ctx.runtime.sessions() as session:
        for s in directory.sectors(session):
            click.echo(f"{s.slug}\t{s.name}\tNIS2 annex {s.nis2_annex or '-'}\tcriticality {s.criticality}")


@main.group("regimes")
def regimes_group() -> None:
    """Regulatory reporting regimes (built-in and stored) and the regime of each sector."""


@regimes_group.command("list")
@pass_ctx
def regimes_list(ctx: Context) -> None:
    """Every regime with its stages, then each sector's regime."""
    from ncert.services import regimes

    with ctx.runtime.sessions() as session:
        for name, r in sorted(regimes.registry(session).items()):
            kind = "built-in" if regimes.is_built_in(name) else "stored"
            stages = "; ".join(regimes.format_stages(r).splitlines())
            click.echo(f"{name}\t{kind}\t{r.title}{' (repeats)' if r.repeat else ''}\t{stages}")
        for sector, r, assigned in regimes.sector_table(session):
            click.echo(f"sector {sector.slug}\t{r.name}{'' if assigned else ' (default)'}")


@regimes_group.command("assign")
@click.argument("sector")
@click.argument("regime")
@pass_ctx
def regimes_assign(ctx: Context, sector: str, regime: str) -> None:
    """Make SECTOR report under REGIME ("default" goes back to the built-in rule)."""
    from ncert.services import regimes

    with transaction(ctx.runtime.sessions) as session:
        regimes.assign(session, ctx.actor(session), sector, None if regime == "default" else regime)
        click.echo(f"{sector}\t{regimes.regime_for(session, sector).name}")


@main.group()
def org() -> None:
    """Organisations."""


@org.command("list")
@pass_ctx
def org_list(ctx: Context) -> None:
    from ncert.services import directory

    with ctx.runtime.sessions() as session:
        for o in directory.organizations(session):
            click.echo(f"{o.slug}\t{o.name}\t{o.kind}\t{o.sector.slug if o.sector else '-'}")


@org.command("add")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--sector", default=None, help="Sector slug (see `ncert sector list`)")
@click.option("--kind", required=True, type=click.Choice(["state-body", "private-operator", "civil-society",
                                                          "sector-cert", "international-partner"]))
@click.option("--country", default="")
@click.option("--nis2-entity", type=click.Choice(["essential", "important"]), default=None)
@pass_ctx
def org_add(ctx: Context, slug, name, sector, kind, country, nis2_entity) -> None:
    from ncert.services import directory

    with transaction(ctx.runtime.sessions) as session:
        o = directory.add_organization(session, ctx.actor(session), slug=slug, name=name, kind=kind, sector=sector,
                                       country=country, nis2_entity=nis2_entity)
    click.echo(f"{o.slug}\tadded")


@main.group()
def user() -> None:
    """Console users."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["sector_analyst", "soc_operator", "leadership", "admin"]))
@click.option("--org", "org_slug", required=True)
@click.password_option("--password", help="Prompted for when not given")
@pass_ctx
def user_add(ctx: Context, email, name, role, org_slug, password) -> None:
    from ncert.services import directory

    with transaction(ctx.runtime.sessions) as session:
        u = directory.add_user(session, ctx.actor(session), email=email, name=name, role=role, org=org_slug,
                               password=password)
    click.echo(f"{u.email}\tadded as {u.role}")


@main.group()
def team() -> None:
    """Teams (desks) of the national centre and their members."""


@team.command("add")
@click.argument("slug")
@click.argument("name")
@click.option("--email", default=None, help="The team's shared mailbox")
@pass_ctx
def team_add(ctx: Context, slug: str, name: str, email: str | None) -> None:
    from ncert.services import teams

    with transaction(ctx.runtime.sessions) as session:
        t = teams.create(session, ctx.actor(session), slug=slug, name=name, email=email)
        click.echo(f"{t.slug}\tadded")


@team.command("list")
@pass_ctx
def team_list(ctx: Context) -> None:
    from ncert.services import teams

    with ctx.runtime.sessions() as session:
        for t in teams.teams(session):
            members = ", ".join(u.email for u in t.members) or "-"
            click.echo(f"{t.slug}\t{t.name}\t{t.email or '-'}\t{members}")


@team.command("member")
@click.argument("slug")
@click.argument("email")
@click.option("--remove", is_flag=True, help="Remove the member instead of adding")
@pass_ctx
def team_member(ctx: Context, slug: str, email: str, remove: bool) -> None:
    """Add EMAIL (national-centre staff) to team SLUG, or remove it with --remove."""
    from ncert.services import teams

    with transaction(ctx.runtime.sessions) as session:
        if remove:
            teams.remove_member(session, ctx.actor(session), slug, email)
        else:
            teams.add_member(session, ctx.actor(session), slug, email)
    click.echo(f"{slug}\t{email}\t{'removed' if remove else 'added'}")


@main.group()
def apikey() -> None:
    """API keys (stored hashed; shown once)."""


@apikey.command("create")
@click.option("--org", "org_slug", required=True)
@click.option("--role", required=True, type=click.Choice(["sector_analyst", "soc_operator", "leadership", "admin"]))
@click.option("--name", default="")
@pass_ctx
def apikey_create(ctx: Context, org_slug, role, name) -> None:
    """Create a key; the key itself is printed alone on the last line."""
    from ncert.services import directory

    with transaction(ctx.runtime.sessions) as session:
        key, secret = directory.create_api_key(session, ctx.actor(session), org=org_slug, role=role, name=name)
    click.echo(f"created API key {key.prefix} for {org_slug} ({role}); it is shown only once:")
    click.echo(secret)


@apikey.command("list")
@pass_ctx
def apikey_list(ctx: Context) -> None:
    from ncert.services import directory

    with ctx.runtime.sessions() as session:
        for k in directory.api_keys(session, ctx.actor(session)):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            click.echo(f"{k.prefix}\t{k.org.slug}\t{k.role}\t{state}\tlast used {used}")


@apikey.command("revoke")
@click.argument("prefix")
@pass_ctx
def apikey_revoke(ctx: Context, prefix: str) -> None:
    from ncert.services import directory

    with transaction(ctx.runtime.sessions) as session:
        directory.revoke_api_key(session, ctx.actor(session), prefix)
    click.echo(f"{prefix}\trevoked")


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first bad row."""
    from ncert.services import audit

    with ctx.runtime.sessions() as session:
        verdict = audit.verify(session, ctx.actor(session))
    if not verdict.intact:
        where = f"row {verdict.bad_row}" if verdict.bad_row is not None else "the log"
        raise click.ClickException(f"audit log broken at {where}: {verdict.problem} "
                                   f"({verdict.rows} row(s) read)")
    click.echo(f"audit log intact: {verdict.rows} row(s); head row {verdict.head_id or '-'} "
               f"hash {verdict.head_hash}")


@main.group("rollups")
def rollups_group() -> None:
    """The incident rollups the leadership pages read."""


@rollups_group.command("rebuild")
@pass_ctx
def rollups_rebuild(ctx: Context) -> None:
    """Recount the incident rollups from the incidents (idempotent), showing progress per day."""
    from ncert.services import rollups

    def progress(done: int, days: int) -> None:
        if done == days or done % max(1, days // 20) == 0:
            click.echo(f"{done}/{days} days recounted", err=True)

    with transaction(ctx.runtime.sessions) as session:
        counted = rollups.rebuild(session, ctx.actor(session), progress)
    click.echo(f"rollups rebuilt: {counted} incident(s) counted")


@main.command()
@pass_ctx
def config(ctx: Context) -> None:
    """Print the effective configuration, secrets hidden."""
    from dataclasses import asdict

    from detection.settings import DetectionSettings
    from ncert.services.notifications import delivery_settings

    for name, value in ctx.runtime.settings.describe().items():
        click.echo(f"{name}={value}")
    for name, value in asdict(delivery_settings()).items():
        click.echo(f"NCERT_{name.upper()}={'' if value is None else value}")
    for name, value in asdict(DetectionSettings.from_env()).items():
        if name != "national_org":  # printed above with the core settings
            click.echo(f"NCERT_{name.upper()}={value}")


@main.group()
def playbooks() -> None:
    """Rule playbooks: the stored library, seeded from playbooks/library (or NCERT_PLAYBOOKS_DIR)."""


def _library(ctx: Context, session) -> list:
    """The stored library, or the folder's while nothing is stored (before `ncert init`)."""
    from ncert.services import playbook_library
    from playbooks.loader import load_library

    return playbook_library.library(session) or load_library(ctx.runtime.settings.playbooks_dir)


@playbooks.command("list")
@pass_ctx
def playbooks_list(ctx: Context) -> None:
    """The library in evaluation order: priority, name, version, triggers."""
    with ctx.runtime.sessions() as session:
        books = _library(ctx, session)
    for book in books:
        state = "enabled" if book.enabled else "disabled"
        click.echo(f"{book.priority}\t{book.name}\tv{book.version}\t{state}\t{','.join(sorted(book.triggers))}"
                   f"\t{book.description}")


@playbooks.command("import")
@pass_ctx
def playbooks_import(ctx: Context) -> None:
    """Import the folder: new playbooks are added, ones nobody edited follow the folder."""
    from ncert.services import playbook_library

    with transaction(ctx.runtime.sessions) as session:
        report = playbook_library.sync_folder(session, ctx.actor(session), ctx.runtime.settings.playbooks_dir)
    click.echo(report.summary())


@playbooks.command("enable")
@click.argument("name")
@pass_ctx
def playbooks_enable(ctx: Context, name: str) -> None:
    """Switch playbook NAME on."""
    _switch_playbook(ctx, name, True)


@playbooks.command("disable")
@click.argument("name")
@pass_ctx
def playbooks_disable(ctx: Context, name: str) -> None:
    """Switch playbook NAME off (it keeps its versions)."""
    _switch_playbook(ctx, name, False)


def _switch_playbook(ctx: Context, name: str, enabled: bool) -> None:
    from ncert.services import playbook_library

    with transaction(ctx.runtime.sessions) as session:
        entry = playbook_library.set_enabled(session, ctx.actor(session), name, enabled)
    click.echo(f"{name} v{entry.row.version} {'enabled' if enabled else 'disabled'}")


@playbooks.command("history")
@click.argument("name")
@pass_ctx
def playbooks_history(ctx: Context, name: str) -> None:
    """Every version of playbook NAME, newest first."""
    from ncert.services import playbook_library

    with ctx.runtime.sessions() as session:
        for v in playbook_library.versions(session, name):
            click.echo(f"v{v.version}\t{v.created_at:%Y-%m-%d %H:%M}\t{v.source}\t{v.author}\t{v.comment}")


@playbooks.command("dry-run")
@click.argument("name")
@click.option("--since", default="90d", show_default=True, help="How far back: e.g. 72h, 90d, 2w")
@pass_ctx
def playbooks_dry_run(ctx: Context, name: str, since: str) -> None:
    """Show what playbook NAME would have done to past incidents; changes nothing."""
    from playbooks.conditions import parse_duration
    from playbooks.engine import dry_run

    try:
        span = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    with ctx.runtime.sessions() as session:
        book = next((b for b in _library(ctx, session) if b.name == name), None)
        if book is None:
            raise click.ClickException(f"no playbook {name!r}; see `ncert playbooks list`")
        outcomes = dry_run(session, ctx.actor(session), book, span)
        session.rollback()
    for outcome in outcomes:
        for _, _, lines in outcome.fired:
            click.echo(f"{outcome.reference}\t" + "; ".join(lines))
    click.echo(f"{book.name} v{book.version} would act on {len(outcomes)} incident(s) of the last {since}")


@main.group("feeds")
def feeds_group() -> None:
    """Feeds pulled on a schedule: sector CERTs' and partners' MISP feeds and TAXII collections."""


@feeds_group.command("add")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["misp", "taxii"]))
@click.option("--url", required=True, help="MISP: the feed folder URL; TAXII: the API root URL")
@click.option("--collection", "collection_id", default=None, help="TAXII collection id")
@click.option("--org", "org_slug", required=True, help="The organisation the data enters as (its submitter)")
@click.option("--key", "api_key", default=None, help="API key (MISP: sent as Authorization; TAXII: Token)")
@click.option("--user", "username", default=None)
@click.option("--password", default=None)
@click.option("--interval", "interval_minutes", default=60, show_default=True, type=int, help="Minutes")
@click.option("--disabled", is_flag=True, help="Register without scheduling it")
@pass_ctx
def feeds_add(ctx: Context, name, kind, url, collection_id, org_slug, api_key, username, password, interval_minutes,
              disabled) -> None:
    from ncert.services import feeds

    with transaction(ctx.runtime.sessions) as session:
        feed = feeds.add_source(session, ctx.actor(session), name=name, kind=kind, url=url, org=org_slug,
                                collection_id=collection_id, api_key=api_key, username=username,
                                password=password, interval_minutes=interval_minutes, enabled=not disabled)
    click.echo(f"{feed.name}\tadded")


@feeds_group.command("list")
@pass_ctx
def feeds_list(ctx: Context) -> None:
    from ncert.services import feeds

    with ctx.runtime.sessions() as session:
        for f in feeds.sources(session):
            state = f"every {f.interval_minutes} min" if f.enabled else "disabled"
            ok = f"{f.last_success_at:%Y-%m-%d %H:%M}" if f.last_success_at else "never"
            error = f"\tlast error {f.last_error_at:%Y-%m-%d %H:%M}: {f.last_error}" if f.last_error_at else ""
            click.echo(f"{f.name}\t{f.kind}\t{f.url}\t{f.org.slug}\t{state}\tlast success {ok}{error}")


@feeds_group.command("pull")
@click.argument("name")
@pass_ctx
def feeds_pull(ctx: Context, name: str) -> None:
    """Pull one feed now and print the counts; exit 1 if anything failed."""
    from ncert.services import feeds

    with ctx.runtime.sessions() as session:
        system = ctx.actor(session)
    result = feeds.pull(ctx.runtime.sessions, system, name)
    click.echo(result.summary())
    for error in result.errors:
        click.echo(f"  error: {error}", err=True)
    if not result.ok:
        sys.exit(1)


@main.group("detection")
def detection_group() -> None:
    """Detection: cross-sector correlation and the anomaly model."""


@detection_group.command("train")
@pass_ctx
def detection_train(ctx: Context) -> None:
    """Train the anomaly model on the last 90 days now and print its summary."""
    from detection import anomaly, service

    with transaction(ctx.runtime.sessions) as session:
        model = service.train(session)
    if model is None:
        need = service.settings().anomaly_min_incidents
        click.echo(f"no model: fewer than {need} incidents in the last {anomaly.TRAINING_WINDOW.days} days")
        return
    click.echo(f"model {model.version} trained at {model.trained_at:%Y-%m-%d %H:%M} UTC on {model.incidents} "
               f"incidents ({anomaly.TREES} trees, random state {anomaly.RANDOM_STATE})")
    click.echo(f"features: {', '.join(anomaly.FEATURES)}")
    click.echo(f"incidents flagged at threshold {service.settings().anomaly_threshold}: score is the share of "
               "the training window's reports less anomalous")


@main.group("models")
def models_group() -> None:
    """Trained models (categorisers, anomaly): versions, metrics, promotion and rollback."""


def _metrics_line(metrics: dict) -> str:
    if "macro_f1" not in metrics:
        return "-"
    languages = " ".join(f"{k}={v:.2f}" for k, v in metrics.get("macro_f1_by_language", {}).items())
    return f"macro-F1 {metrics['macro_f1']:.2f} ({languages})"


@models_group.command("list")
@click.argument("name", required=False)
@pass_ctx
def models_list(ctx: Context, name: str | None) -> None:
    """Every version: name, version, status, scikit-learn, data hash, examples, trained at, seconds, metrics."""
    from detection import modelstore

    with ctx.runtime.sessions() as session:
        for row in modelstore.versions(session, name):
            click.echo(f"{row.name}\tv{row.version}\t{row.status}\tsklearn {row.sklearn_version}\t"
                       f"{row.data_hash[:12]}\t{row.examples} examples\t{row.trained_at:%Y-%m-%d %H:%M}\t"
                       f"{row.training_seconds:.1f}s\t{_metrics_line(row.metrics)}")


@models_group.command("train")
@click.option("--force", is_flag=True, help="A new categoriser version even when its data did not change")
@pass_ctx
def models_train(ctx: Context, force: bool) -> None:
    """Train the categorisers (shipped corpus plus operators' decisions) and the anomaly model now."""
    from detection import service, training

    with transaction(ctx.runtime.sessions) as session:
        trained = training.train(session, ctx.actor(session).label, force=force)
        for t in trained:
            click.echo(f"{t.row.name} v{t.row.version}: {t.row.examples} examples in {t.row.training_seconds:.1f}s, "
                       f"{_metrics_line(t.row.metrics)}, "
                       + ("promoted" if t.promoted else "kept as a candidate: worse than the active version"))
        if not trained:
            click.echo("categorisers: training data unchanged, no new version")
        anomaly_model = service.train(session)
        click.echo(f"anomaly: {'new version promoted' if anomaly_model else 'too few incidents, no new version'}")


@models_group.command("evaluate")
@click.argument("name", default="categoriser-national")
@click.argument("version", type=int, required=False)
@click.option("--detectors", is_flag=True,
              help="Evaluate the volume and anomaly detectors on simulated traffic with injected surges instead")
@click.option("--seed", default=2026, show_default=True, help="With --detectors: the simulation's seed")
@click.option("--per-day", default=80, show_default=True, help="With --detectors: baseline reports a day")
@click.option("--sizes", default="5,10,20,40", show_default=True,
              help="With --detectors: surge sizes (reports), one surge of each per scenario")
@pass_ctx
def models_evaluate(ctx: Context, name: str, version: int | None, detectors: bool, seed: int, per_day: int,
                    sizes: str) -> None:
    """Per-class precision, recall, F1, macro-F1 and the confusion matrix of a categoriser version
    (the active one by default) on the held-out corpus and on held-out confirmed incidents; with
    --detectors, precision, recall and time to detect of the volume and anomaly detectors on a
    simulated stream in a scratch database (``detection.surge_evaluation``)."""
    from detection import modelstore, training

    if detectors:
        _evaluate_detectors(seed, per_day, tuple(int(n) for n in sizes.split(",")))
        return
    with ctx.runtime.sessions() as session:
        row = modelstore.version_row(session, name, version) if version else modelstore.active_row(session, name)
        if row is None:
            raise click.ClickException(f"{name} has no active version; run `ncert models train`")
        try:
            metrics = training.evaluate_version(session, row)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    for title, found in (("held-out corpus", metrics), ("held-out confirmed incidents", metrics["incidents"])):
        click.echo(f"{row.name} v{row.version} on the {title}: {found['examples']} examples")
        if not found["examples"]:
            continue
        click.echo(_metrics_line(found))
        click.echo("class\tprecision\trecall\tf1\tsupport")
        for cls, m in found["per_class"].items():
            click.echo(f"{cls}\t{m['precision']:.2f}\t{m['recall']:.2f}\t{m['f1']:.2f}\t{m['support']}")
        click.echo("confusion (rows: true, columns: suggested): " + " ".join(found["classes"]))
        for cls, counts in zip(found["classes"], found["confusion"], strict=True):
            click.echo(f"{cls}\t" + " ".join(str(n) for n in counts))


def _evaluate_detectors(seed: int, per_day: int, sizes: tuple[int, ...]) -> None:
    from detection import surge_evaluation

    setup = surge_evaluation.Setup(seed=seed, per_day=per_day, sizes=sizes)
    click.echo(f"simulating {setup.warmup_days + setup.evaluation_days:g} days at {per_day} reports a day (seed "
               f"{seed}), {len(setup.scenarios) * len(sizes)} surges over the last {setup.evaluation_days:g}", err=True)
    with surge_evaluation.scratch() as runtime:
        evaluation = surge_evaluation.evaluate(runtime, setup)

    def hours(value) -> str:
        return "-" if value is None else f"{value.total_seconds() / 3600:.1f} h"

    def share(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    click.echo("detector\talerts\tprecision\trecall\tTTD median\tTTD max\tfalse alerts/day\t"
               + "\t".join(f"recall at {size}" for size in sizes) + "\t"
               + "\t".join(f"recall in {sector}" for sector in sorted({sc.sector for sc in setup.scenarios})))
    for sc in evaluation.scores():
        click.echo(f"{sc.detector}\t{sc.alerts}\t{share(sc.precision)}\t{share(sc.recall)}\t{hours(sc.ttd_median)}\t"
                   f"{hours(sc.ttd_max)}\t{sc.false_alerts_per_day:.2f}\t"
                   + "\t".join(f"{d}/{n}" for d, n in [*sc.by_size.values(), *sc.by_sector.values()]))


@models_group.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@pass_ctx
def models_promote(ctx: Context, name: str, version: int) -> None:
    """Make a version the active one (an admin's decision, whatever its metrics)."""
    from detection import modelstore

    with transaction(ctx.runtime.sessions) as session:
        row = modelstore.promote(session, modelstore.version_row(session, name, version), ctx.actor(session).label)
        click.echo(f"{row.name} v{row.version} is active")


@models_group.command("rollback")
@click.argument("name")
@pass_ctx
def models_rollback(ctx: Context, name: str) -> None:
    """Bring back the version that was active before the current one."""
    from detection import modelstore

    with transaction(ctx.runtime.sessions) as session:
        row = modelstore.rollback(session, name, ctx.actor(session).label)
        click.echo(f"{row.name} v{row.version} is active again")


@main.group("risks")
def risks_group() -> None:
    """The national cyber-risk register."""


@risks_group.command("list")
@click.option("--sector", default=None, help="Sector slug")
@click.option("--owner", default=None, help="Owner organisation or team slug")
@click.option("--status", default=None)
@pass_ctx
def risks_list(ctx: Context, sector: str | None, owner: str | None, status: str | None) -> None:
    """Reference, status, current and residual level, review date, title."""
    from ncert.services import risks

    with ctx.runtime.sessions() as session:
        for r in risks.list_risks(session, ctx.actor(session), sector=sector, owner=owner, status=status):
            levels = [r.assessment[k]["level"] if r.assessment else "-" for k in ("current", "residual")]
            click.echo(f"{r.reference}\t{r.status}\t{levels[0]}\t{levels[1]}\t{r.next_review_on or '-'}\t{r.title}")


@risks_group.command("show")
@click.argument("reference")
@pass_ctx
def risks_show(ctx: Context, reference: str) -> None:
    """One risk as YAML, with its evidence from incidents and its versions."""
    import yaml

    from ncert.services import risk_evidence, risks

    with ctx.runtime.sessions() as session:
        actor = ctx.actor(session)
        risk = risks.get(session, actor, reference)
        found = risk_evidence.evidence(session, actor, risk)
        out = {"reference": risk.reference, "version": risk.version, **risks.snapshot(risk),
               "evidence_from_incidents": {"quarter": dict(found.trend), "last_12_months": found.yearly_count,
                                           "observed_likelihood": found.observed_likelihood,
                                           "review_suggested": risk.review_suggested_at is not None},
               "history": [f"v{v.version} {v.at:%Y-%m-%d %H:%M} {v.author}: {v.reason}"
                           for v in risks.history(session, actor, reference)]}
    click.echo(yaml.safe_dump(out, sort_keys=False, allow_unicode=True), nl=False)


@risks_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def risks_import(ctx: Context, path: Path) -> None:
    """Create or update risks from a YAML list; importing the same file again changes nothing."""
    import yaml

    from ncert.services import risks

    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not YAML: {exc}") from None
    with transaction(ctx.runtime.sessions) as session:
        result = risks.import_register(session, ctx.actor(session), entries, source=path.name)
    click.echo(result.summary())


@main.group("advisories")
def advisories_group() -> None:
    """Public advisories: list, show, draft and revise from a file, submit a draft for approval, publish an
    approved revision, withdraw a published advisory.

    The CLI acts as the national centre's system: it drafts, submits, publishes and withdraws, but approves
    nothing (a second person approves, in the console or with their API key)."""


@advisories_group.command("list")
@pass_ctx
def advisories_list(ctx: Context) -> None:
    """Reference, latest revision's number and state, latest published revision, title."""
    from ncert.services import advisories

    with ctx.runtime.sessions() as session:
        for a in advisories.list_advisories(session, ctx.actor(session)):
            latest = a.revisions[-1]
            published = [r.number for r in a.revisions if r.status == "published"]
            title = (latest.texts.get("en") or next(iter(latest.texts.values())))["title"]
            state = (f"withdrawn r{published[-1]}" if a.withdrawn_at is not None
                     else f"published r{published[-1]}" if published else "unpublished")
            click.echo(f"{a.reference}\tr{latest.number} {latest.status}\t{state}\t{title}")


@advisories_group.command("show")
@click.argument("reference")
@pass_ctx
def advisories_show(ctx: Context, reference: str) -> None:
    """One advisory as YAML: every revision with its state and content, and the incidents it came from."""
    import yaml

    from ncert.services import advisories

    with ctx.runtime.sessions() as session:
        actor = ctx.actor(session)
        a = advisories.get(session, actor, reference)
        out = {"reference": a.reference, "created_by": a.created_by,
               "first_published_at": a.first_published_at and a.first_published_at.isoformat(),
               "last_published_at": a.last_published_at and a.last_published_at.isoformat(),
               "incidents": [i.reference for i in advisories.sources(session, actor, a)],
               "revisions": [{"number": r.number, "status": r.status, "created_by": r.created_by,
                              "submitted_by": r.submitted_by, "approved_by": r.approved_by,
                              "published_at": r.published_at and r.published_at.isoformat(),
                              **({"withdrawal_reason": r.withdrawal_reason} if r.withdrawal_reason else {}),
                              **advisories.content_of(r)} for r in a.revisions]}
        if a.withdrawn_at is not None:
            out["withdrawn_at"] = a.withdrawn_at.isoformat()
    click.echo(yaml.safe_dump(out, sort_keys=False, allow_unicode=True), nl=False)


def _advisory_file(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML, and so JSON too
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not YAML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping of the advisory's fields")
    return data


@advisories_group.command("draft")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--revise", "reference", default=None, help="Write this advisory's open revision instead of a new one")
@pass_ctx
def advisories_draft(ctx: Context, path: Path, reference: str | None) -> None:
    """Draft a new advisory from a YAML or JSON file (texts, severity, products, cves, indicators,
    references, change_summary, and for a new one optionally incidents), or with --revise write an
    existing one's open revision (starting the next after the last published)."""
    from ncert.services import advisories

    data = _advisory_file(path)
    sources = data.pop("incidents", None) or []
    if reference and sources:
        raise click.ClickException("incidents are linked when an advisory is first drafted, not on revising")
    with transaction(ctx.runtime.sessions) as session:
        actor = ctx.actor(session)
        content = advisories.validated(data)
        if reference:
            number = advisories.revise(session, actor, reference, content).number
        else:
            reference = advisories.create(session, actor, content, [str(s) for s in sources]).reference
            number = 1
    click.echo(f"{reference} revision {number} is a draft: submit it for approval when it is ready")


def _open_number(session, actor, reference: str) -> int:
    """The number of the advisory's open revision, for a step given no --revision."""
    from ncert.services import advisories

    found = advisories.open_revision(advisories.get(session, actor, reference))
    if found is None:
        raise click.ClickException(f"{reference.upper()}: every revision is published already")
    return found.number


@advisories_group.command("submit")
@click.argument("reference")
@click.option("--revision", "number", type=int, default=None, help="The draft revision (default: the open one)")
@pass_ctx
def advisories_submit(ctx: Context, reference: str, number: int | None) -> None:
    """Submit an advisory's draft revision for a second person's approval (leadership or admin)."""
    from ncert.services import advisories

    with transaction(ctx.runtime.sessions) as session:
        actor = ctx.actor(session)
        number = number if number is not None else _open_number(session, actor, reference)
        reference = advisories.submit(session, actor, reference, number).advisory.reference
    click.echo(f"{reference} revision {number} is submitted: a second person (leadership or admin) approves it")


@advisories_group.command("withdraw")
@click.argument("reference")
@click.option("--reason", required=True, help="Why it is withdrawn (shown on its public page and in its CSAF document)")
@pass_ctx
def advisories_withdraw(ctx: Context, reference: str, reason: str) -> None:
    """Withdraw a published advisory: it stays public, marked withdrawn with the reason, and takes no
    further revision; a revision not yet published is discarded."""
    from ncert.services import advisories

    with transaction(ctx.runtime.sessions) as session:
        revision = advisories.withdraw(session, ctx.actor(session), reference, reason)
        reference, number = revision.advisory.reference, revision.number
    click.echo(f"{reference} is withdrawn (revision {number})")


@advisories_group.command("publish")
@click.argument("reference")
@click.option("--revision", "number", type=int, default=None, help="The approved revision (default: the open one)")
@pass_ctx
def advisories_publish(ctx: Context, reference: str, number: int | None) -> None:
    """Publish an advisory's approved revision as TLP:CLEAR and share it in the national TAXII collections."""
    from ncert.services import advisories

    with transaction(ctx.runtime.sessions) as session:
        actor = ctx.actor(session)
        number = number if number is not None else _open_number(session, actor, reference)
        revision = advisories.publish(session, actor, reference, number)
        reference = revision.advisory.reference
    click.echo(f"{reference} revision {number} published (TLP:CLEAR)")


@main.group("outbox")
def outbox_group() -> None:
    """Side effects waiting for delivery after commit (e-mails, webhooks, queued pulls)."""


@outbox_group.command("status")
@pass_ctx
def outbox_status(ctx: Context) -> None:
    """Rows per topic and state, the oldest of each, and the latest failures with their errors."""
    from ncert import outbox

    with ctx.runtime.sessions() as session:
        rows, failed = outbox.status(session), outbox.failed(session)
        for topic, state, count, oldest in rows:
            click.echo(f"{topic:24} {state:10} {count:8}  oldest {oldest:%Y-%m-%d %H:%M:%S}Z")
        if not rows:
            click.echo("outbox empty")
        for message in failed:
            click.echo(f"failed #{message.id} {message.topic} {message.key or ''} after {message.attempts} "
                       f"attempt(s): {message.last_error}")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--topic", default=None, help="Only this topic's failed rows")
@pass_ctx
def outbox_retry(ctx: Context, ids: tuple[int, ...], topic: str | None) -> None:
    """Make failed rows (all, or IDS, or --topic's) due again with fresh attempts."""
    from ncert import outbox

    with transaction(ctx.runtime.sessions) as session:
        count = outbox.retry(session, list(ids), topic)
    click.echo(f"{count} failed row(s) queued again")


@main.group("report")
def report_group() -> None:
    """Reports for leadership."""


@report_group.command("quarterly")
@click.argument("period")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Where to write the PDF")
@click.option("--lang", type=click.Choice(["az", "en", "ru"]), default=None,
              help="The report's language (default: NCERT_DEFAULT_LOCALE)")
@pass_ctx
def report_quarterly(ctx: Context, period: str, out: Path, lang: str | None) -> None:
    """Write the quarterly national report for PERIOD (e.g. 2026Q3) as PDF."""
    from ncert.i18n import speaking
    from ncert.reports import pdf, quarterly

    with ctx.runtime.sessions() as session, speaking(lang or ctx.runtime.settings.default_locale):
        report = quarterly.build(session, ctx.actor(session), period)
        body = pdf.render(report)
    out.write_bytes(body)
    click.echo(f"{out}: the {report.period.label} report, {len(body)} bytes")


@main.group("search")
def search_group() -> None:
    """The Elasticsearch indices of incidents, indicators and STIX objects (when NCERT_ELASTICSEARCH_URL is set)."""


def _search_cluster(ctx: Context):
    url = ctx.runtime.settings.elasticsearch_url
    if not url:
        raise click.ClickException("NCERT_ELASTICSEARCH_URL is not set: search uses the database's own "
                                   "text index, which needs no rebuild")
    from ncert.search import elastic

    return elastic.client(url)


@search_group.command("reindex")
@pass_ctx
def search_reindex(ctx: Context) -> None:
    """Build new indices (incidents, indicators, STIX objects) from the database, swap each alias to
    its new index, delete the old ones (no downtime)."""
    from sqlalchemy import func, select

    from ncert.search import indexing

    es = _search_cluster(ctx)
    for feed in indexing.FEEDS:
        with ctx.runtime.sessions() as session:
            total = session.scalar(select(func.count()).select_from(feed.model))
            with click.progressbar(length=total, label=f"indexing {feed.noun}s", file=sys.stderr) as bar:
                rebuilt = indexing.rebuild(session, es, bar.update, feed)
        removed = ", ".join(rebuilt.removed) or "none"
        click.echo(f"search index rebuilt: {rebuilt.indexed} {feed.noun} document(s) in {rebuilt.index}, alias "
                   f"swapped (old indices deleted: {removed}; {rebuilt.caught_up} changed meanwhile, re-applied)")


@search_group.command("status")
@pass_ctx
def search_status(ctx: Context) -> None:
    """Per index, the alias, its documents and the index lag (rows whose update is not delivered yet)."""
    from ncert.search import indexing

    es = _search_cluster(ctx)
    for feed in indexing.FEEDS:
        with ctx.runtime.sessions() as session:
            status = indexing.status(session, es, feed)
        click.echo(f"alias {status.alias} -> {', '.join(status.indices) or '(no index yet)'}")
        documents = "unknown (cluster unreachable)" if status.documents is None else status.documents
        click.echo(f"documents {documents}, {feed.noun}s in the database {status.rows}")
        oldest = f", oldest since {status.oldest_pending:%Y-%m-%d %H:%M:%S} UTC" if status.oldest_pending else ""
        click.echo(f"index lag {status.lag} {feed.noun}(s) not yet indexed{oldest}; {status.failed} failed")
        if status.error:
            click.echo(f"cluster: {status.error}", err=True)
