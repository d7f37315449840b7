"""The web pages' forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import CombinedMultiDict
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tacase.services.passwords import MAX_LENGTH, MIN_LENGTH

SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def showing_form() -> bool:
    """True when the request asks for a form page rather than sends one: GET, and HEAD, which must
    answer like GET (Werkzeug sends the same status and headers without the body)."""
    return request.method not in SUBMIT_METHODS


def password_rule(text: str) -> str | None:
    """A password rule the services named, said in the page's language; None for another message."""
    return {
        f"must be at least {MIN_LENGTH} characters": _("Use at least %(min)s characters.", min=MIN_LENGTH),
        f"must be at most {MAX_LENGTH} characters": _("Use at most %(max)s characters.", max=MAX_LENGTH),
        "is too common; choose a longer phrase of unrelated words": _(
            "This password is too common. Choose a longer phrase of unrelated words."),
        "must not contain your e-mail name": _(
            "The password must not contain the name of the e-mail address."),
    }.get(text)


def whole_number(raw: str | None, max_digits: int = 11) -> int | None:
    """A form's or address's whole number in ASCII digits ("²" and 5,000 digits are none)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= max_digits else None


class PageForm(FlaskForm):
    """A form of the pages, read from a form body only. Flask-WTF would also take a JSON body as the
    form's data, which no page sends and which need not even be an object."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):  # given by the caller
                return formdata
            if request.method not in SUBMIT_METHODS:
                return None
            if request.files:
                return CombinedMultiDict((request.files, request.form))
            return request.form or None


class SignInForm(PageForm):
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
    ])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")),
        Length(max=1024, message=_l("The password is too long.")),
    ])
    totp = StringField(_l("Authenticator code"), validators=[
        Optional(),
        Regexp(r"^\d{6}$", message=_l("Enter the 6 digits shown by your authenticator app.")),
    ], description=_l("OHCHR and Board accounts: the 6-digit code from your authenticator app. "
                      "State focal points leave it empty."))
    next = HiddenField()


class SignOutForm(PageForm):
    """No fields: the CSRF token alone, so that no other site can sign anyone out."""


class OnceForm(PageForm):
    """A form that changes something: its one-time token makes a second post a no-op (see once.py)."""

    form_token = HiddenField()


class CommentForm(OnceForm):
    body = TextAreaField(_l("Comment"), validators=[
        DataRequired(_l("Write the comment.")),
        Length(max=8000, message=_l("A comment has at most 8000 characters.")),
    ], render_kw={"rows": 4, "maxlength": 8000})
    visibility = SelectField(_l("Who sees it"), choices=[
        SelectChoice("internal", _l("OHCHR only (internal)")),
        SelectChoice("state", _l("OHCHR and the State"))],
        default="internal")


class FeedbackForm(OnceForm):
    body = TextAreaField(_l("Your feedback on the assistance"), validators=[
        DataRequired(_l("Write your feedback.")),
        Length(max=8000, message=_l("Feedback has at most 8000 characters.")),
    ], render_kw={"rows": 5, "maxlength": 8000}, description=_l(
        "How the assistance met your State's needs; OHCHR reads it with its evaluation."))


class AssignForm(OnceForm):
    assignee = SelectField(_l("Assigned officer"), validate_choice=False)
    version = HiddenField()


class ConsentForm(OnceForm):
    """The State's consent to publish: the page sets `consent` to the opposite of what is so."""

    consent = HiddenField()
    version = HiddenField()


class PublicationForm(OnceForm):
    """The State's choice to publish a document with the request: `public` is "yes" or "no", the
    opposite of what is so when the page was read."""

    public = HiddenField()


class UploadForm(OnceForm):
    file = FileField(_l("Document"), validators=[FileRequired(_l("Choose a file to upload."))])
