"""Attachments of field checks: photos, signatures, documents (DESIGN.md §5).

The phone makes the attachment's id, so an upload can be retried until it lands: the
same id with the same bytes for the same owner answers the stored attachment; the same
id with other bytes, another owner or another uploader is a conflict. The type comes
from the bytes, never from the Content-Type alone, and an attachment is seen exactly
where its owner is seen.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from shapely import Point
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert

from backend.common import audit_trail as audit
from backend.common.actor import Actor
from backend.common.domain_errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RuleViolation,
    UnsupportedMediaType,
)
from backend.common.geo import to_db
from backend.extensions import db
from backend.inspections import media
from backend.inspections.models import ATTACHMENT_OWNERS, Attachment
from backend.inspections.policy import OWNERS, visible_attachments

log = logging.getLogger(__name__)

# The client makes no claim about the type: the sniffed type decides alone.
UNDECLARED = "application/octet-stream"


@dataclass(frozen=True)
class Stored:
    attachment: Attachment
    created: bool


def store_attachment(actor: Actor, attachment_id: uuid.UUID, owner_type: str, owner_id: uuid.UUID,
                     declared_type: str, stream: BinaryIO, expected_sha256: str | None = None, *,
                     declared_length: int | None = None) -> Stored:
    """Store an upload once, however often it is sent. Only the check's own inspector, or
    a supervisor of its region, may attach to it. Everything that needs no body (type
    named, length announced, id already taken, owner) is refused before the body is read."""
    declared = media.canonical_type(declared_type)
    if declared not in media.ALLOWED_TYPES and declared != UNDECLARED:
        raise UnsupportedMediaType(f"Content-Type {declared_type or '(none)'} is not accepted; send one of "
                                         f"{', '.join(media.ALLOWED_TYPES)}.")
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    if declared_length is not None and declared_length > max_bytes:
        raise PayloadTooLarge(f"Attachments are limited to {max_bytes} bytes.", max_bytes=max_bytes)
    stored = db.session.get(Attachment, attachment_id)
    if stored is not None:
        _same_claim(actor, stored, owner_type, owner_id)
    owner = _attachable_owner(actor, owner_type, owner_id)

    with media.receive(stream, current_app.config["MEDIA_ROOT"], max_bytes,
                       expected_sha256=expected_sha256) as upload:
        if declared not in (UNDECLARED, upload.content_type):
            raise RuleViolation(f"The Content-Type says {declared} but the bytes are {upload.content_type}.",
                                code="content_type_mismatch", declared_type=declared,
                                sniffed_type=upload.content_type)
        if stored is not None:
            _same_bytes(stored, upload.sha256)
            upload.keep()  # puts back a file lost since the first upload; otherwise a no-op
            return Stored(stored, created=False)
        final = upload.keep()
        lonlat = media.exif_lonlat(final, upload.content_type)

    attachment = db.session.scalar(
        insert(Attachment).values(
            id=attachment_id, owner_type=owner_type, owner_id=owner.id, region_code=OWNERS[owner_type].region_of(owner),
            uploaded_by=actor.id, content_type=upload.content_type, size_bytes=upload.size,
            sha256=upload.sha256, exif_location=lonlat and to_db(Point(*lonlat)),
        ).on_conflict_do_nothing(index_elements=[Attachment.id]).returning(Attachment),
        execution_options={"populate_existing": True},
    )
    if attachment is None:  # a concurrent upload of the same id committed first
        raced = db.session.get(Attachment, attachment_id, populate_existing=True)
        _same_claim(actor, raced, owner_type, owner_id)
        return Stored(_same_bytes(raced, upload.sha256), created=False)
    audit.record(actor, "attachment.create", "attachment", attachment.id, region_code=attachment.region_code,
                 after={"owner_type": owner_type, "owner_id": owner.id, "content_type": attachment.content_type,
                        "size_bytes": attachment.size_bytes, "sha256": attachment.sha256,
                        "exif_location": lonlat and list(lonlat)})
    return Stored(attachment, created=True)


def _same_claim(actor: Actor, stored: Attachment, owner_type: str, owner_id: uuid.UUID) -> None:
    if stored.uploaded_by != actor.id:
        raise Conflict("This attachment id belongs to another user's upload; the phone must make a new id.",
                       code="attachment_id_taken")
    if (stored.owner_type, stored.owner_id) != (owner_type, owner_id):
        raise Conflict("This attachment id is already used for another owner; the phone must make a new id.",
                       code="attachment_id_reused")


def _same_bytes(stored: Attachment, sha256: str) -> Attachment:
    if stored.sha256 != sha256:
        raise Conflict("Different bytes were already stored under this attachment id; the phone must make a "
                       "new id.", code="attachment_id_reused")
    return stored


def _attachable_owner(actor: Actor, owner_type: str, owner_id: uuid.UUID):
    owner = _visible_owner(actor, owner_type, owner_id)
    if OWNERS[owner_type].may_attach(actor, owner):
        return owner
    raise Forbidden(OWNERS[owner_type].forbidden, code="attach_forbidden")


def _visible_owner(actor: Actor, owner_type: str, owner_id: uuid.UUID):
    # Named in the query, not the path: an owner out of scope reads as unknown (never revealed).
    kind = OWNERS.get(owner_type)
    if kind is None or owner_type not in ATTACHMENT_OWNERS:
        raise RuleViolation(f"Attachments belong to one of: {', '.join(ATTACHMENT_OWNERS)}.",
                            code="unknown_owner_type", field="owner_type")
    owner = db.session.scalar(kind.visible(actor, select(kind.model).where(kind.model.id == owner_id)))
    if owner is None:
        raise RuleViolation(f"No such {owner_type.replace('_', ' ')}.", code="unknown_owner", field="owner_id")
    return owner


# ---------------------------------------------------------------- reads

def get_attachment(actor: Actor, attachment_id: uuid.UUID) -> Attachment:
    attachment = db.session.scalar(visible_attachments(actor, select(Attachment).where(
        Attachment.id == attachment_id)))
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment


def attachment_file(actor: Actor, attachment_id: uuid.UUID) -> tuple[Attachment, Path]:
    """The attachment and where its bytes are."""
    attachment = get_attachment(actor, attachment_id)
    path = media.path_of(current_app.config["MEDIA_ROOT"], attachment.sha256)
    if not path.is_file():
        log.error("attachment %s: file %s is missing from MEDIA_ROOT", attachment.id, attachment.sha256)
        raise NotFound("The attachment's file is missing on the server; the uploader can send it again.",
                       code="attachment_file_missing")
    return attachment, path


def attachments_of(actor: Actor, owner_type: str, owner_id: uuid.UUID) -> Select:
    """The attachments of one owner the actor can see, oldest first."""
    _visible_owner(actor, owner_type, owner_id)
    return (select(Attachment).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
            .order_by(Attachment.created_at, Attachment.id))
