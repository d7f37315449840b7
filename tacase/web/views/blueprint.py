"""The pages' blueprint and what every page shares: the sign-in requirement, no caching, the
signed-in user in every template, and role checks that answer with an HTML page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tacase.engine.roles import ADMIN, APPROVER, BOARD, REVIEWER, STATE_FOCAL_POINT
from tacase.services.errors import Forbidden
from tacase.web.auth import _is_public
from tacase.web.context import actor, principal
from tacase.web.views import resume
from tacase.web.views.forms import SignOutForm
from tacase.web.views.once import AlreadySent
from tacase.web.views.paths import safe_next  # noqa: F401 - re-exported for the pages

bp = Blueprint("web", __name__, template_folder="../../templates")

OFFICE = frozenset({REVIEWER, APPROVER})
READERS_OF_ALL_CASES = frozenset({REVIEWER, APPROVER, BOARD, ADMIN})
AUDITORS = frozenset({BOARD, ADMIN})


def here() -> str:
    return request.full_path if request.query_string else request.path


def require_role(roles: Iterable[str]) -> None:
    """Refuse (403, an HTML page) anyone holding none of the roles."""
    if not actor().roles & frozenset(roles):
        raise Forbidden("this page is not open to your account")


def error_page(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("web/error.html", title=title, message=message), status


def bad_form_page() -> tuple[str, int]:
    """A form without its CSRF or one-time token: expired, or sent from another site."""
    return error_page(_("The form could not be used"), _(
        "The form had expired or did not come from this site. Go back, reload the page and try again."), 400)


@bp.errorhandler(AlreadySent)
def _being_sent(_exc: AlreadySent) -> tuple[str, int]:
    return error_page(_("This form is being sent"), _(
        "The same form is being sent already, from a double click perhaps. Wait a moment and "
        "reload the page to see what was done."), 409)


@bp.before_request
def _require_sign_in() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or _is_public(view):
        return None
    p = principal()
    if p is None:
        if resume.is_form_post():
            return resume.sign_in_to_resume()  # what was typed is kept through the sign-in
        return redirect(url_for("web.sign_in", next=here()))
    if not p.mfa_satisfied and request.endpoint not in MFA_SETUP_PAGES:
        return redirect(url_for("web.mfa_setup"))
    return None


# What an account that still has to set up two-factor authentication may open.
MFA_SETUP_PAGES = frozenset({"web.sign_out", "web.mfa_setup"})


@bp.after_request
def _no_store(response: Response) -> Response:
    # Pages show cases and who is signed in: never kept by a browser or a proxy. A public answer
    # that is the same for everyone (a published document) says itself how long it may be kept.
    if not response.cache_control.public:
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Vary", "Cookie, Accept-Language")
    return response


def _navigation(roles: frozenset[str]) -> list[tuple[str, str]]:
    """(endpoint, label) of the pages this person may open, in the order of the menu."""
    items = []
    if STATE_FOCAL_POINT in roles:  # the office's home is the work queue itself
        items += [("web.home", _("Home")), ("web.new_request_types", _("New request"))]
    if not roles:  # a colleague invited to answer a call: nothing else is open to it
        limited = [("web.my_calls", _("Calls for input")), ("web.account", _("Account"))]
        return [(e, label) for e, label in limited if e in current_app.view_functions]
    items.append(("web.queue", _("Cases") if roles & READERS_OF_ALL_CASES else _("All requests")))
    if roles & READERS_OF_ALL_CASES:
        items.append(("web.staff_statistics", _("Processing times")))
    if roles & AUDITORS:
        items += [("web.audit_log", _("Audit log")), ("web.annual_report", _("Annual report")),
                  ("web.hra_report", _("Adviser programme"))]
    if ADMIN in roles:
        items += [("web.admin_users", _("Users")), ("web.admin_closures", _("Closures"))]
    items.append(("web.account", _("Account")))
    return [(e, label) for e, label in items if e in current_app.view_functions]


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    p = principal()
    roles = p.actor.roles if p is not None else frozenset()
    ready = p is not None and p.mfa_satisfied
    return {"signed_in": p.user if p is not None else None,
            "navigation": _navigation(roles) if ready else [],
            "signed_in_roles": roles,
            "can_read_all": bool(roles & READERS_OF_ALL_CASES),
            "can_audit": bool(roles & AUDITORS),
            "is_admin": ADMIN in roles,
            "sign_out_form": SignOutForm}
