"""`flask audit checkpoint` and `flask audit verify`."""
from __future__ import annotations

import json
from dataclasses import asdict

import click
from flask.cli import AppGroup

from backend.audit import service
from backend.common.actor import Actor
from backend.extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("checkpoint")
def checkpoint_command():
    """Append a signed checkpoint of the chain's head to the checkpoint file (when it moved)."""
    try:
        checkpoint = service.write_checkpoint()
    except service.CheckpointRefused as error:
        raise click.ClickException(f"no checkpoint written: {error}") from error
    finally:
        db.session.rollback()
    path = service.checkpoint_path()
    if checkpoint is None:
        click.echo(f"head unchanged since the last checkpoint in {path}")
    else:
        click.echo(f"checkpoint: {checkpoint.rows} rows up to row {checkpoint.head_id}, appended to {path}")


@audit_cli.command("verify")
def verify_command():
    """Re-walk the chain with the key against the checkpoints; exit status 1 if broken."""
    report = service.verify_chain(Actor.system())
    db.session.rollback()
    click.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    if not report.ok:
        raise SystemExit(1)
