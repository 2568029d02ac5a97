"""Command-line tools: `flask users create …` and `flask seed`."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from backend.auth import users
from backend.auth.models import ROLES
from backend.common.actor import Actor
from backend.common.domain_errors import DomainError
from backend.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
facilities_cli = AppGroup("facilities", help="Manage facilities.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--region", "region_code", required=True, help="GB/T 2260 code of the user's region.")
@click.option("--display-name", default=None, help="Defaults to the username.")
@click.password_option(help="Prompted for when not given.")
def create_user_command(username, role, region_code, display_name, password):
    """Create a user (the first admin, typically)."""
    try:
        user = users.create_user(Actor.system(), username=username, display_name=display_name or username,
                                 role=role, region_code=region_code, password=password)
    except DomainError as error:
        raise click.ClickException(error.detail) from error
    db.session.commit()
    click.echo(f"created {user.role} {user.username} ({user.id}) in {user.region_code}")


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the demo dataset (Xingtai); safe to run again."""
    from seeds import load_demo

    summary = load_demo(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo(f"seeds: {summary}")


@facilities_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_facilities_command(path):
    """Import facilities from a CSV file (UTF-8 or GB18030); bad rows are listed by line."""
    from backend.common.csv_input import decode_csv
    from backend.facilities.importer import import_facilities_csv

    with open(path, "rb") as handle:
        text = decode_csv(handle.read())
    rows = max(text.count("\n") - 1, 1)
    with click.progressbar(length=rows, label="importing", file=sys.stderr) as bar:
        report = import_facilities_csv(Actor.system(), text, progress=bar.update)
    db.session.commit()
    click.echo(f"{report.rows} rows: created {report.created}, updated {report.updated}, "
               f"unchanged {report.unchanged}, failed {report.failed}")
    for error in report.errors:
        click.echo(f"  line {error['line']}: {error['errors']}", err=True)
