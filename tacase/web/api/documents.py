"""Documents of a case: upload, list, download, and the State's choice to publish one."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema
from marshmallow import fields as ma

from tacase.db.models import DOCUMENT_TYPES, Document
from tacase.services import documents as service
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.fields import StrictBoolean
from tacase.web.api.schemas import MAX_ID
from tacase.web.context import actor, clock_fn, db
from tacase.web.context import commit as commit_request
from tacase.web.errors import ApiError

blp = Blueprint("documents", __name__, url_prefix=f"{API_PREFIX}/cases",
                description="Documents attached to cases")

# The API's upload and the case page's upload form.
UPLOAD_ENDPOINTS = frozenset({"documents.upload_document", "web.case_upload", "web.call_answer"})
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def allow_upload_size() -> None:
    """Raise the 1 MiB request limit for uploads only. Registered before the authentication gate:
    a cookie-authenticated upload has its form read there, for the CSRF token."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD


def _directory() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


class DocumentUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": f"the document: {service.ACCEPTED}"})


class DocumentSchema(Schema):
    id = ma.Integer()
    case = ma.String(metadata={"description": "the case's reference"})
    filename = ma.String(metadata={"description": "the name it was uploaded with, without any folder, "
                                   "ending in the extension of the type its content showed"})
    content_type = ma.String(metadata={"description": "the type its content shows, not its name"})
    size = ma.Integer(metadata={"description": "bytes"})
    sha256 = ma.String(metadata={"description": "SHA-256 of the bytes, hexadecimal"})
    uploaded_by_id = ma.Integer(allow_none=True, metadata={"description": "hidden from State users"})
    created_at = ma.DateTime()
    public = ma.Boolean(metadata={"description": "published by the State with the request: on the public "
                                                 "record while the State consents to publish the request"})


class PublicationSchema(Schema):
    public = StrictBoolean(required=True, metadata={
        "description": "true: published with the request (shown on the public record while the State "
                       "consents to publish it); false: not published"})


def _json(document: Document, reference: str) -> dict[str, Any]:
    return {
        "id": document.id, "case": reference, "filename": document.filename,
        "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
        # As with a case's assignee: States see what the office sends, not who in it sent it.
        "uploaded_by_id": None if actor().is_state_user else document.uploaded_by_id,
        "created_at": document.created_at, "public": document.public,
    }


def content_disposition(filename: str) -> str:
    """An attachment with a plain ASCII name for old clients and the real one in RFC 5987 form."""
    return (f'attachment; filename="{service.ascii_filename(filename)}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


@blp.get("/<reference>/documents")
@blp.response(200, DocumentSchema(many=True))
@errors(blp, 401, 403, 404)
@blp.doc(operationId="listDocuments")
@blp.doc(summary="A case's documents", description="Oldest first; whoever may see the case sees them all.")
def list_documents(reference: str):
    return [_json(d, reference) for d in service.list_documents(db(), actor(), reference)]


@blp.post("/<reference>/documents")
@blp.arguments(DocumentUploadSchema, location="files")
@blp.response(201, DocumentSchema)
@errors(blp, 401, 403, 404, 413, 415, 422)
@blp.doc(operationId="uploadDocument")
@blp.doc(summary="Add a document to a case", description=(
    f"`multipart/form-data` with the file in `file`: {service.ACCEPTED}, judged by the content, not the "
    "name (anything else answers 415). Larger than the configured limit (20 MB unless set otherwise) "
    "answers 413, an empty file 422, any other part of the form 422. An office document is refused "
    "(422, saying why) when its archive holds macros, other archives, encrypted parts or too many "
    "parts, or expands far beyond its size. The stored name ends in the extension of the type the "
    "content showed. The requesting State and OHCHR reviewers, approvers and administrators may add "
    "documents; the Board only reads them."))
def upload_document(args: dict[str, Any], reference: str):
    others = sorted({*request.form, *request.files} - {"file"})
    if others:
        raise ApiError(422, "some fields are not valid", code="validation_failed",
                       errors={name: ["unknown field: send the document alone, in `file`"]
                               for name in others})
    upload = args["file"]
    directory = _directory()
    document = service.upload(db(), actor(), clock_fn(), reference, filename=upload.filename,
                              stream=upload.stream, directory=directory,
                              max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
    try:
        out = _json(document, reference)
        commit_request()
    except BaseException:
        service.discard(directory, document)  # no row will ever point at it
        raise
    return out


_DOWNLOAD_HEADERS = {
    "Content-Type": {"description": "the type the content showed: one of " + ", ".join(DOCUMENT_TYPES),
                     "schema": {"type": "string", "enum": list(DOCUMENT_TYPES)}},
    "Content-Disposition": {"description": "always `attachment`, with an ASCII `filename` and the "
                                           "original in `filename*`", "schema": {"type": "string"}},
    "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
}


@blp.get(f"/<reference>/documents/<int(max={MAX_ID}):document_id>")
@errors(blp, 401, 403, 404)
@blp.doc(operationId="downloadDocument")
@blp.doc(summary="Download a document", description=(
    "The bytes as uploaded, with the type their content showed. Every download is recorded in the "
    "audit log."), responses={"200": {
        "description": "the document",
        "headers": _DOWNLOAD_HEADERS,
        # octet-stream first: client generators keep one binary answer and drop a list of types
        # they cannot tell apart; the real type is in the Content-Type header.
        "content": {t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("application/octet-stream", *DOCUMENT_TYPES)},
    }})
def download_document(reference: str, document_id: int) -> Response:
    return send_document(reference, document_id)


def send_document(reference: str, document_id: int) -> Response:
    """The download, for the API and the pages alike: recorded (committed) before a byte is sent,
    always an attachment, never sniffed, never stored by a cache."""
    document, handle = service.open_document(db(), actor(), clock_fn(), reference, document_id,
                                             _directory())
    try:
        commit_request()
    except BaseException:
        handle.close()
        raise
    response = attachment(document, handle)
    response.headers["Cache-Control"] = "no-store"
    return response


def attachment(document: Document, handle: Any) -> Response:
    """A document's bytes from an open handle: always an attachment with a safe name, of the type its
    content showed, never sniffed. How long it may be kept is the caller's to say."""
    response = send_file(handle, mimetype=document.content_type, conditional=False, etag=False,
                         max_age=0)
    response.content_length = document.size
    response.headers["Content-Disposition"] = content_disposition(document.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.put(f"/<reference>/documents/<int(max={MAX_ID}):document_id>/publication")
@blp.arguments(PublicationSchema)
@blp.response(200, DocumentSchema)
@errors(blp, 401, 403, 404, 413, 422)
@blp.doc(operationId="setDocumentPublication")
@blp.doc(summary="Publish a document with the request, or stop publishing it (the State's focal points only)",
         description=(
             "A published document is listed on the public record and downloadable by anyone while the "
             "State consents to publish the request and once the request is sent; withdrawing the "
             "consent or stopping publication takes it off at once. OHCHR staff and other States "
             "cannot publish (403; another State's case is 404). Setting what is already so changes "
             "nothing; a change is recorded in the audit log."))
def set_publication(args: dict[str, Any], reference: str, document_id: int):
    document = service.set_publication(db(), actor(), clock_fn(), reference, document_id, args["public"])
    out = _json(document, reference)
    commit_request()
    return out
