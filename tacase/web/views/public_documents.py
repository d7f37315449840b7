"""The public record's documents: a document its State published with a published request, for
anyone to download without signing in. Which documents these are is decided in
tacase.services.public_record alone; anything else is one "not found" that tells nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _

from tacase.services import documents, public_record
from tacase.services.errors import NotFound
from tacase.web.api.documents import attachment
from tacase.web.api.schemas import MAX_ID
from tacase.web.auth import public
from tacase.web.context import db, ext
from tacase.web.views.blueprint import bp


@bp.get(f"/public/record/<reference>/documents/<int(max={MAX_ID}):document_id>")
@public
def public_document(reference: str, document_id: int) -> Any:
    try:
        document = public_record.public_document(db(), reference, document_id)
    except NotFound:
        return render_template("web/error.html", title=_("Page not found"), message=_(
            "No published document is at this address. A State may have stopped publishing it.")), 404
    if request.if_none_match.contains(document.sha256):  # the client has these bytes: no file opened
        response = Response(status=304)
    else:
        response = attachment(document, documents.open_stored(Path(current_app.config["DOCUMENTS_DIR"]),
                                                               document))
    # The same for everyone, as the record's other answers; the content's hash names these bytes.
    response.cache_control.public = True
    response.cache_control.max_age = ext()["config"].PUBLIC_MAX_AGE_SECONDS
    response.set_etag(document.sha256)
    return response
