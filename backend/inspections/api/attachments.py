"""Attachments: raw-byte uploads from phones, served back only within the owner's scope."""
from __future__ import annotations

from flask import request, send_file
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.downloads import content_disposition
from backend.common.http import accepts
from backend.common.pagination import PAGE_DEFAULTS, SelectPage
from backend.errors import PROBLEM_MIMETYPE, ProblemSchema
from backend.extensions import db
from backend.inspections import attachments, media
from backend.inspections.schemas import AttachmentOwnerArgsSchema, AttachmentSchema, AttachmentUploadHeadersSchema

blp = Blueprint("attachments", __name__,
                description="Photos, signatures and documents of field checks: raw bytes, content-addressed.")

# Phones' upload libraries send application/octet-stream when they do not look the type up;
# the bytes decide the type anyway, so that claim-less label is accepted too.
UPLOAD_TYPES = (*media.ALLOWED_TYPES, "image/heif", attachments.UNDECLARED)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "application/pdf": "pdf"}
_BINARY = {"type": "string", "format": "binary"}
UPLOAD_BODY = {
    "required": True,
    "description": "The file's raw bytes (at most ATTACHMENT_MAX_BYTES, 10 MiB by default). The type is sniffed "
                   "from the bytes and must agree with the Content-Type unless that is application/octet-stream.",
    "content": {mimetype: {"schema": _BINARY} for mimetype in UPLOAD_TYPES},
}
FILE_RESPONSES = {
    "200": {"description": "The bytes, with the stored type; ETag is the SHA-256",
            "content": {mimetype: {"schema": _BINARY} for mimetype in media.ALLOWED_TYPES}},
    "304": {"description": "Not modified (If-None-Match matched the ETag)"},
}



def _problem(status: int, description: str):
    """An error outcome, documented with its reason and the problem+json body."""
    return blp.alt_response(status, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE, description=description)


@blp.route("/attachments")
class Attachments(MethodView):
    @blp.arguments(AttachmentOwnerArgsSchema, location="query")
    @blp.response(200, AttachmentSchema(many=True))
    @blp.paginate(SelectPage, **PAGE_DEFAULTS)
    def get(self, owner):
        """The attachments of one owner (a check) in scope, oldest first."""
        return attachments.attachments_of(current_actor(), owner["owner_type"], owner["owner_id"])


@blp.route("/attachments/<uuid:attachment_id>")
class AttachmentById(MethodView):
    @accepts(*UPLOAD_TYPES)
    @blp.arguments(AttachmentOwnerArgsSchema, location="query")
    @blp.arguments(AttachmentUploadHeadersSchema, location="headers")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, AttachmentSchema, description="Stored now")
    @blp.alt_response(200, schema=AttachmentSchema, description="Stored before: the same bytes sent again")
    @_problem(403, "Only the check's inspector or a supervisor of its region may attach")
    @_problem(409, "The id is already used for other bytes, another owner or another user")
    @_problem(413, "Larger than ATTACHMENT_MAX_BYTES")
    @_problem(415, "Not a JPEG, PNG, WebP, HEIC or PDF")
    @_problem(422, "Empty, truncated, SHA-256 mismatch, Content-Type contradicting the bytes, "
                                       "or an unknown owner")
    def put(self, owner, headers, attachment_id):
        """Upload a file for a check as raw bytes; safe to resend (the phone's id makes it idempotent)."""
        stored = attachments.store_attachment(
            current_actor(), attachment_id, owner["owner_type"], owner["owner_id"], request.mimetype,
            request.stream, headers.get("content_sha256"), declared_length=request.content_length)
        db.session.commit()
        return stored.attachment, 201 if stored.created else 200

    @blp.doc(responses=FILE_RESPONSES)
    @_problem(404, "No such attachment, or its owner is out of scope")
    def get(self, attachment_id):
        """The file itself, if its owner is in scope."""
        attachment, path = attachments.attachment_file(current_actor(), attachment_id)
        name = f"{attachment.id}.{EXTENSIONS[attachment.content_type]}"
        response = send_file(path, mimetype=attachment.content_type, etag=attachment.sha256, conditional=True,
                             download_name=name, last_modified=attachment.created_at, max_age=None)
        response.headers["Content-Disposition"] = content_disposition(name, "inline")  # one helper for all
        # Never kept by shared caches; revalidated on each use (cheap, 304) so that scope is checked again.
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@blp.route("/attachments/<uuid:attachment_id>/meta")
class AttachmentMeta(MethodView):
    @blp.response(200, AttachmentSchema)
    def get(self, attachment_id):
        """What is known about the file: type, size, SHA-256, EXIF location, uploader."""
        return attachments.get_attachment(current_actor(), attachment_id)
