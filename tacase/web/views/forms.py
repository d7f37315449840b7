"""The web pages' forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp


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
