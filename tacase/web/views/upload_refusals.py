"""Why a file was refused, in the reader's language, for every form that takes one."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from tacase.services.errors import TooLarge, UnsafeDocument, UnsupportedType, ValidationFailed


def upload_limit() -> str:
    """The configured upload limit as people read it: "20 MB"."""
    return f"{current_app.config['MAX_UPLOAD_BYTES'] / (1024 * 1024):g} MB"


def unsafe_document_message(reason: str) -> str:
    """Why an office document was refused, in the reader's language."""
    messages = {
        "macros": _("This file contains macros, which could run on the office's computers. Save it "
                    "without macros (as .docx, .xlsx or .odt) and upload it again. Nothing was added."),
        "nested": _("This file has other files packed inside it. Remove the embedded files, or upload "
                    "them one by one. Nothing was added."),
        "encrypted": _("This file is protected by a password. Upload it without the password. "
                       "Nothing was added."),
    }
    return messages.get(reason) or _(
        "This file is packed in a way that would expand far beyond its size, or holds too many parts. "
        "Save it again from your office program and upload it again. Nothing was added.")


def refusal(exc: Exception) -> tuple[int, str] | None:
    """The status and message for a refused upload; None for an exception that is not a refusal."""
    if isinstance(exc, UnsupportedType):
        return 415, _("This file is not a PDF, DOCX, XLSX, ODT, PNG or JPEG document (its content was "
                      "checked, not its name). Nothing was added.")
    if isinstance(exc, TooLarge):
        return 413, _("This file is larger than the limit of %(limit)s. Nothing was added.",
                      limit=upload_limit())
    if isinstance(exc, UnsafeDocument):
        return 422, unsafe_document_message(exc.reason)
    if isinstance(exc, ValidationFailed):
        return 422, _("The file is empty. Nothing was added.")
    return None
