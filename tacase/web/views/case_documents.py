"""Pages: adding a document to a case, downloading one, and the State's choice to publish one with
the request, with the API's rules and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, flash, url_for
from flask_babel import gettext as _

from tacase.services import cases, documents
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.errors import Forbidden, TooLarge, UnsafeDocument, UnsupportedType, ValidationFailed
from tacase.web.api.documents import send_document
from tacase.web.context import actor, clock_fn, db
from tacase.web.views import once
from tacase.web.views.blueprint import bad_form_page, bp
from tacase.web.views.cases import render_case, token_or_400
from tacase.web.views.forms import PublicationForm, UploadForm
from tacase.web.views.upload_refusals import refusal


def _directory() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


@bp.post("/cases/<reference>/documents")
def case_upload(reference: str) -> Any:
    viewer = actor()
    found = cases.get_case(db(), viewer, reference)
    if not (viewer.roles & CASE_WORKERS or speaks_for_state(viewer, found)):
        raise Forbidden("the Board reads documents; the requesting State and the office add them")
    form = UploadForm()
    form.validate()
    token = form.form_token.data
    if form.csrf_token.errors or once.token_problem(token):
        return bad_form_page()
    if form.file.errors:
        return render_case(found, status=422, problem=_("No document was added."), forms={"upload": form})
    upload = form.file.data
    stored: list[Any] = []

    def work() -> str:
        document = documents.upload(db(), actor(), clock_fn(), reference, filename=upload.filename,
                                    stream=upload.stream, directory=_directory(),
                                    max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        stored.append(document)
        return url_for("web.case", reference=reference, _anchor="documents")

    try:
        return once.run_once(token, "web.case_upload", work)
    except (UnsupportedType, TooLarge, UnsafeDocument, ValidationFailed) as exc:
        status, message = refusal(exc) or (422, "")
    except BaseException:
        for document in stored:  # the row was rolled back: no file without its row
            documents.discard(_directory(), document)
        raise
    form.file.errors = [message]
    return render_case(found, status=status, problem=message, forms={"upload": form})


@bp.get("/cases/<reference>/documents/<int(max=2147483647):document_id>")
def case_download(reference: str, document_id: int) -> Any:
    return send_document(reference, document_id)


@bp.post("/cases/<reference>/documents/<int(max=2147483647):document_id>/publication")
def case_document_publication(reference: str, document_id: int) -> Any:
    found = cases.get_case(db(), actor(), reference)
    if not speaks_for_state(actor(), found):
        raise Forbidden("only the requesting State's focal points may publish its documents")
    form = PublicationForm()
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    if form.public.data not in ("yes", "no"):
        return bad_form_page()
    public = form.public.data == "yes"
    names: list[str] = []

    def work() -> str:
        document = documents.set_publication(db(), actor(), clock_fn(), reference, document_id, public)
        names.append(document.filename)
        return url_for("web.case", reference=reference, _anchor="documents")

    response = once.run_once(token, "web.case_document_publication", work)
    if names:  # done now, not a form sent twice
        flash(_("“%(name)s” is published with the request. It is shown on the public record while you "
                "agree to publish the request.", name=names[0]) if public else
              _("“%(name)s” is no longer published.", name=names[0]))
    return response
