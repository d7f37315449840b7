"""A form sent after the session ended is not lost: the sign-in page carries what was typed, and
once signed in again the person sends it with one click (no script: a form of hidden fields).

Nothing is stored on the server on the way: the typed values go back to the browser that sent them,
escaped, and are sent again with a new CSRF token and one-time token, through the same checks as
any form. A file cannot travel that way; the page says to choose it again.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from tacase.web.views import once
from tacase.web.views.forms import OnceForm, SignInForm
from tacase.web.views.paths import safe_next

PREFIX = "resume:"
PATH_FIELD = "resume_path"
NOT_CARRIED = frozenset({"csrf_token", "form_token"})
MAX_FIELDS = 200
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form_post() -> bool:
    return request.method == "POST" and request.mimetype in FORM_TYPES


def _typed(data: MultiDict) -> list[tuple[str, str]]:
    return [(name, value) for name, value in data.items(multi=True) if name not in NOT_CARRIED][:MAX_FIELDS]


def sign_in_to_resume() -> tuple[str, int]:
    """The sign-in page in answer to a form posted without a session, holding what it carried."""
    form = SignInForm(formdata=None)
    form.next.data = ""
    problem = _("Your session had ended, so nothing was sent. Sign in again: what you typed is kept, "
                "and you can send it right after.")
    if request.files:
        problem += " " + _("A file cannot be kept this way: choose it again after signing in.")
    return render_template("web/sign_in.html", form=form, problem=problem, resume_path=request.path,
                           resume_fields=_typed(request.form)), 401


def carried(data: MultiDict) -> tuple[str | None, list[tuple[str, str]]]:
    """The path and the fields a sign-in form carries back, if it does."""
    path = safe_next(data.get(PATH_FIELD))
    fields = [(name[len(PREFIX):], value) for name, value in data.items(multi=True)
              if name.startswith(PREFIX)][:MAX_FIELDS]
    return path, fields


def resume_page(path: str, fields: list[tuple[str, Any]]) -> str:
    """After signing in again: the form as it was, one button away from being sent."""
    form = OnceForm(formdata=None)
    form.form_token.data = once.new_token()
    return render_template("web/resume.html", form=form, path=path, fields=fields)
