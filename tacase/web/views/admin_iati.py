"""/admin/iati: the published requests the IATI activity file leaves out, and why, so that an
administrator can have them put right (as of the scheduler's last build of the file)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext

from tacase.engine.roles import ADMIN
from tacase.exports.iati import Reason
from tacase.services import iati
from tacase.web.context import actor, db
from tacase.web.views.blueprint import bp, require_role


@bp.get("/admin/iati")
def admin_iati() -> Any:
    require_role({ADMIN})
    left_out, built_at = iati.left_out_report(db(), actor())
    rows = [{"reference": item.reference, "reasons": [_said(r) for r in item.reasons]} for item in left_out]
    return render_template("web/admin_iati.html", left_out=rows, built_at=built_at)


def _said(reason: str) -> str:
    """The reason in the reader's language (its template translated, its values put back)."""
    if isinstance(reason, Reason):
        return gettext(reason.template, **reason.params)
    return reason
