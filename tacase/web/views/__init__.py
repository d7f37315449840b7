"""Server-rendered pages for people in a browser: the same services as the JSON API."""

# Each module adds its routes to the one blueprint.
from tacase.web.views import (  # noqa: F401
    account,
    admin,
    admin_call_builder,
    admin_calls,
    admin_iati,
    audit_pages,
    calls_office,
    calls_public,
    calls_state,
    case_documents,
    case_panels,
    cases,
    pages,
    public_audit,
    public_data,
    public_documents,
    public_iati,
    public_pages,
    public_statistics,
    queue,
    reports,
    request_forms,
)
from tacase.web.views.blueprint import bp, safe_next

__all__ = ["bp", "safe_next"]
