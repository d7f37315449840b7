"""The web pages' forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tacase.services.passwords import MAX_LENGTH, MIN_LENGTH


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


class SignInForm(FlaskForm):
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


class SignOutForm(FlaskForm):
    """No fields: the CSRF token alone, so that no other site can sign anyone out."""


class OnceForm(FlaskForm):
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


class UploadForm(OnceForm):
    file = FileField(_l("Document"), validators=[FileRequired(_l("Choose a file to upload."))])
