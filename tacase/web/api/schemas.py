"""The API's request and response shapes. Inputs list exactly what a client may write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, validate
from marshmallow import fields as ma

from tacase.engine.casefields import FUNDING_SOURCES
from tacase.engine.roles import ROLES
from tacase.services.case_queries import COUNT_LIMIT, MAX_PAGE, MAX_PER_PAGE, MIN_QUERY, SORTS
from tacase.services.public_record import FIRST_YEAR as PUBLIC_FIRST_YEAR
from tacase.services.public_record import LAST_YEAR as PUBLIC_LAST_YEAR
from tacase.services.public_record import MAX_PAGE as PUBLIC_MAX_PAGE
from tacase.services.public_record import MAX_PER_PAGE as PUBLIC_MAX_PER_PAGE
from tacase.web.api.fields import QueryBoolean, RequestType, StateCode, StatusName, StrictBoolean, Trigger

# Ids are 32-bit integer columns (audit sequence numbers 64-bit): larger numbers name nothing, and
# SQLite cannot even compare with them.
MAX_ID = 2**31 - 1
MAX_SEQ = 2**63 - 1
# Values one filter of a list may repeat (status=a&status=b...): more than a workflow has states.
MAX_FILTER_VALUES = 20


class UtcDateTime(ma.AwareDateTime):
    """A date-time with an offset, as UTC. An offset can carry an instant before year 1 or after 9999,
    which has no UTC datetime: such an instant is taken as the first or the last one."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            return (dt.datetime.min if moment.year == 1 else dt.datetime.max).replace(tzinfo=dt.UTC)


class ErrorSchema(Schema):
    code = ma.String(required=True, metadata={"description": "machine-readable error code"})
    message = ma.String(required=True)
    errors = ma.Dict(keys=ma.String(), values=ma.List(ma.String()),
                         metadata={"description": "messages per field, when fields were at fault"})
    allowed = ma.List(ma.String(), metadata={"description": "triggers allowed now (409)"})
    status = ma.String(metadata={"description": "the case's status (409)"})
    guards = ma.List(ma.Dict(), metadata={"description": "guards that refused (409)"})
    current_version = ma.Integer(allow_none=True)
    current_status = ma.String(allow_none=True)

    class Meta:
        unknown = INCLUDE


# --- auth ------------------------------------------------------------------------------------

class LoginSchema(Schema):
    email = ma.String(required=True, validate=validate.Length(min=1, max=254))
    password = ma.String(required=True, validate=validate.Length(min=1, max=1024))
    totp = ma.String(load_default=None, allow_none=True, validate=validate.Length(max=10))


class UserSchema(Schema):
    id = ma.Integer()
    email = ma.String()
    display_name = ma.String()
    roles = ma.List(ma.String())
    state = ma.String(allow_none=True)
    is_active = ma.Boolean()
    mfa_enabled = ma.Boolean()
    mfa_required = ma.Boolean()
    locale = ma.String()
    created_at = ma.DateTime()
    last_login_at = ma.DateTime(allow_none=True)


class MeSchema(UserSchema):
    mfa_enrolment_required = ma.Boolean(
        metadata={"description": "true until this session passed two-factor authentication"})
    auth_method = ma.String(metadata={"description": "session or token"})


class LoginResultSchema(Schema):
    user = ma.Nested(MeSchema)
    csrf_token = ma.String(metadata={"description": "send it in X-CSRFToken on cookie-authenticated writes"})


class CsrfSchema(Schema):
    csrf_token = ma.String()


class MfaEnrolmentSchema(Schema):
    secret = ma.String()
    provisioning_uri = ma.String(metadata={"description": "otpauth:// URI for an authenticator app"})


class TotpSchema(Schema):
    totp = ma.String(required=True, validate=validate.Length(min=6, max=10))


# --- tokens ----------------------------------------------------------------------------------

class TokenCreateSchema(Schema):
    name = ma.String(required=True, validate=validate.Length(min=1, max=100))
    # strict: a JSON number, as the document says; "9" is refused rather than read as 9.
    expires_in_days = ma.Integer(strict=True, load_default=None, allow_none=True,
                                 validate=validate.Range(min=1, max=365))


class TokenSchema(Schema):
    id = ma.Integer()
    name = ma.String()
    prefix = ma.String()
    created_at = ma.DateTime()
    expires_at = ma.DateTime()
    last_used_at = ma.DateTime(allow_none=True)
    revoked_at = ma.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = ma.String(metadata={"description": "the secret, shown this once only"})


# --- cases -----------------------------------------------------------------------------------

class CaseListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    status = ma.List(StatusName(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    type = ma.List(RequestType(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    state = ma.List(StateCode(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    assignee = ma.String(validate=validate.Regexp(r"^(me|none|[0-9]{1,9})$",
                                                     error="a user id, 'me' or 'none'"))
    overdue = QueryBoolean()
    q = ma.String(validate=validate.Length(min=MIN_QUERY, max=200), metadata={
        "description": f"in the reference or the title, ignoring case; at least {MIN_QUERY} characters"})
    created_from = UtcDateTime()
    created_to = UtcDateTime()
    updated_from = UtcDateTime()
    updated_to = UtcDateTime()
    sort = ma.String(load_default="-updated_at", validate=validate.OneOf(
        [*SORTS, *(f"-{k}" for k in SORTS)]))
    page = ma.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    cursor = ma.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "`next_cursor` of the previous page: the next page, however deep (with the "
                       "same filters and sort; `page` is then not used)"})


class CaseSummarySchema(Schema):
    reference = ma.String()
    type = ma.String()
    state = ma.String()
    status = ma.String()
    status_label = ma.String()
    public_status_label = ma.String()
    title = ma.String()
    assignee_id = ma.Integer(allow_none=True)
    created_at = ma.DateTime()
    updated_at = ma.DateTime()
    submitted_at = ma.DateTime(allow_none=True)
    closed_at = ma.DateTime(allow_none=True)
    due_at = ma.DateTime(allow_none=True)
    due_party = ma.String(allow_none=True)
    overdue = ma.Boolean()
    paused = ma.Boolean(
        metadata={"description": "the office's clock is stopped while the State is waited on"})
    reminded_at = ma.DateTime(allow_none=True, metadata={"description": "reminder sent for this step"})
    overdue_at = ma.DateTime(allow_none=True, metadata={"description": "flagged overdue for this step"})
    escalated_at = ma.DateTime(allow_none=True, metadata={"description": "escalated to the approvers"})
    version = ma.Integer()


class CaseSchema(CaseSummarySchema):
    fields = ma.Dict(metadata={"description": "every field of the request, common and type-specific"})
    workflow = ma.Dict()


class CasePageSchema(Schema):
    items = ma.List(ma.Nested(CaseSummarySchema))
    total = ma.Integer(metadata={"description": f"how many cases match, counted up to {COUNT_LIMIT}"})
    total_exact = ma.Boolean(metadata={
        "description": f"false when more than {COUNT_LIMIT} cases match: `total` is then a lower bound"})
    page = ma.Integer()
    per_page = ma.Integer()
    pages = ma.Integer(metadata={"description": "pages of `total` cases"})
    next_cursor = ma.String(allow_none=True, metadata={
        "description": "pass as `cursor` for the next page; null on the last page"})


class CaseCreateSchema(Schema):
    """`type` plus the request's fields, either flat or under `fields`."""

    class Meta:
        unknown = INCLUDE

    type = RequestType(required=True)
    fields = ma.Dict(keys=ma.String())


class CaseUpdateSchema(Schema):
    """The fields to change, either flat or under `fields`."""

    class Meta:
        unknown = INCLUDE

    fields = ma.Dict(keys=ma.String())


class FieldSpecSchema(Schema):
    name = ma.String()
    type = ma.String()
    label = ma.String()
    required = ma.Boolean()
    choices = ma.List(ma.String())
    max_length = ma.Integer(allow_none=True)
    min = ma.String(allow_none=True)
    max = ma.String(allow_none=True)
    not_before = ma.String(allow_none=True)
    help = ma.String()


class AvailableTransitionSchema(Schema):
    trigger = ma.String()
    label = ma.String()
    to = ma.String()
    to_label = ma.String()
    fields = ma.List(ma.Nested(FieldSpecSchema))
    ready = ma.Boolean(metadata={"description": "false while a guard would refuse"})
    blocked_by = ma.List(ma.Dict())


class TransitionRequestSchema(Schema):
    trigger = Trigger(required=True)
    comment = ma.String(load_default=None, allow_none=True, validate=validate.Length(max=8000))
    data = ma.Dict(keys=ma.String(), load_default=dict)


class EventSchema(Schema):
    seq = ma.Integer()
    at = ma.DateTime()
    action = ma.String()
    actor = ma.Dict()
    data = ma.Dict()


class CommentCreateSchema(Schema):
    body = ma.String(required=True, validate=validate.Length(min=1, max=8000))
    visibility = ma.String(load_default=None, validate=validate.OneOf(["internal", "state"]), metadata={
        "description": "default: internal for OHCHR staff (nothing reaches the State by mistake), "
                       "state for a State's users"})


class CommentSchema(Schema):
    id = ma.Integer()
    body = ma.String()
    visibility = ma.String()
    author = ma.Dict()
    created_at = ma.DateTime()


class AssignSchema(Schema):
    assignee_id = ma.Integer(strict=True, required=True, allow_none=True,
                             validate=validate.Range(min=1, max=MAX_ID))


# --- audit -----------------------------------------------------------------------------------

class AuditArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    case = ma.String(validate=validate.Length(min=1, max=32))
    actor = ma.Integer(validate=validate.Range(min=1, max=MAX_ID))
    action = ma.String(validate=validate.Length(min=1, max=64))
    since = UtcDateTime()
    until = UtcDateTime()
    cursor = ma.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SEQ))
    limit = ma.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditEventSchema(Schema):
    seq = ma.Integer()
    at = ma.DateTime()
    action = ma.String()
    actor = ma.Dict()
    case = ma.Dict(allow_none=True)
    data = ma.Dict()
    prev_hash = ma.String()
    hash = ma.String()


class AuditPageSchema(Schema):
    items = ma.List(ma.Nested(AuditEventSchema))
    next_cursor = ma.Integer(allow_none=True, metadata={"description": "pass as cursor for the next page"})


class FullVerificationSchema(Schema):
    at = ma.DateTime()
    ok = ma.Boolean()
    events = ma.Integer(metadata={"description": "the chain was whole up to this event"})
    first_bad_seq = ma.Integer(allow_none=True)
    reason = ma.String(allow_none=True)


class VerificationSchema(Schema):
    ok = ma.Boolean(metadata={"description": "this run found no break, nor did the last full one"})
    events = ma.Integer(metadata={"description": "the chain is whole up to this event"})
    head = ma.String(allow_none=True)
    first_bad_seq = ma.Integer(allow_none=True)
    reason = ma.String(allow_none=True)
    verified_from = ma.Integer(metadata={
        "description": "this run checked the events after this one (0: every event)"})
    last_full_verification = ma.Nested(FullVerificationSchema, allow_none=True)


# --- reference data --------------------------------------------------------------------------

class WorkflowSummarySchema(Schema):
    type = ma.String()
    title = ma.String()
    description = ma.String()
    version = ma.Integer()
    sha256 = ma.String()
    reference_prefix = ma.String()


class WorkflowSchema(WorkflowSummarySchema):
    initial = ma.String()
    reminder_share = ma.Float()
    fields = ma.List(ma.Nested(FieldSpecSchema))
    states = ma.List(ma.Dict())
    transitions = ma.List(ma.Dict())
    mermaid = ma.String()
    public_mermaid = ma.String()


class StateSchema(Schema):
    code = ma.String(metadata={"description": "ISO 3166-1 alpha-3"})
    iso2 = ma.String()
    un_status = ma.String()
    names = ma.Dict(keys=ma.String(), values=ma.String(),
                        metadata={"description": "names in the six UN languages"})
    region = ma.String()


# --- users -----------------------------------------------------------------------------------

class UserListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    role = ma.String(validate=validate.OneOf(ROLES))
    state = StateCode()
    q = ma.String(validate=validate.Length(min=1, max=200))
    active = QueryBoolean()
    after = ma.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))
    limit = ma.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class UserCreateSchema(Schema):
    email = ma.String(required=True, validate=validate.Length(min=3, max=254))
    roles = ma.List(ma.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(ROLES)))
    state = StateCode(load_default=None, allow_none=True)
    display_name = ma.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    password = ma.String(required=True, validate=validate.Length(min=1, max=1024))


class UserUpdateSchema(Schema):
    roles = ma.List(ma.String(validate=validate.OneOf(ROLES)),
                        validate=validate.Length(min=1, max=len(ROLES)))
    state = StateCode(allow_none=True)
    display_name = ma.String(validate=validate.Length(min=1, max=200))
    is_active = StrictBoolean()


# --- consent and the public record --------------------------------------------------------------

class ConsentSchema(Schema):
    consent = StrictBoolean(required=True, metadata={
        "description": "true: the request is on the public record (its public fields only); "
                       "false: it is not"})


class ConsentAnswerSchema(Schema):
    reference = ma.String()
    consent_to_publish = ma.Boolean()
    version = ma.Integer()
    public_fields = ma.List(ma.String(), metadata={
        "description": "the labels of what the public record shows while the State consents"})


class PublicListArgs(Schema):
    """Filters of the public record; any other parameter is refused."""

    state = ma.List(StateCode(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    type = ma.List(RequestType(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    fund = ma.List(ma.String(validate=validate.OneOf(FUNDING_SOURCES)), load_default=list,
                   validate=validate.Length(max=MAX_FILTER_VALUES))
    status = ma.List(StatusName(), load_default=list, validate=validate.Length(max=MAX_FILTER_VALUES))
    year = ma.Integer(validate=validate.Range(min=PUBLIC_FIRST_YEAR, max=PUBLIC_LAST_YEAR), metadata={
        "description": "the year the request was submitted"})
    page = ma.Integer(load_default=1, validate=validate.Range(min=1, max=PUBLIC_MAX_PAGE))
    per_page = ma.Integer(load_default=25, validate=validate.Range(min=1, max=PUBLIC_MAX_PER_PAGE))
    cursor = ma.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "`next_cursor` of the previous page: the next page, however deep (with the same "
                       "filters and `per_page`; `page` is then not used)"})


class PublicStageSchema(Schema):
    status = ma.String()
    label = ma.String()
    entered_on = ma.String(metadata={"description": "YYYY-MM-DD"})


class PublicRecordSchema(Schema):
    step = ma.String()
    label = ma.String(metadata={"description": "the stage the step led to, as the public record names it"})
    on = ma.String(metadata={"description": "YYYY-MM-DD"})
    values = ma.Dict(keys=ma.String())
    value_labels = ma.Dict(keys=ma.String(), values=ma.String())


class PublicDocumentSchema(Schema):
    id = ma.Integer()
    name = ma.String()
    content_type = ma.String(metadata={"description": "the type its content shows"})
    size = ma.Integer(metadata={"description": "bytes"})
    url = ma.String(metadata={"description": "where anyone downloads it: a path on this site"})


class PublicCaseSchema(Schema):
    reference = ma.String()
    type = ma.String()
    type_title = ma.String()
    state = ma.Dict(keys=ma.String(), values=ma.String(), metadata={"description": "code and name"})
    status = ma.String()
    status_label = ma.String()
    submitted_on = ma.String(metadata={"description": "YYYY-MM-DD"})
    closed_on = ma.String(allow_none=True)
    stages = ma.List(ma.Nested(PublicStageSchema), metadata={
        "description": "when the request entered each stage, in order"})
    fields = ma.Dict(keys=ma.String(), metadata={
        "description": "the fields its workflow makes public, by name; empty ones are left out"})
    records = ma.List(ma.Nested(PublicRecordSchema), metadata={
        "description": "what the steps recorded that is public: the amount approved, the dates of "
                       "delivery, the evaluation's summary"})
    documents = ma.List(ma.Nested(PublicDocumentSchema), metadata={
        "description": "the documents the State published with the request, oldest first"})


class PublicPageSchema(Schema):
    items = ma.List(ma.Nested(PublicCaseSchema))
    page = ma.Integer(allow_none=True, metadata={"description": "null when the page was found by `cursor`"})
    per_page = ma.Integer()
    next_page = ma.Integer(allow_none=True, metadata={
        "description": f"null on the last page, on page {PUBLIC_MAX_PAGE} and after a `cursor`"})
    next_cursor = ma.String(allow_none=True, metadata={
        "description": "pass as `cursor` for the next page, however deep; null on the last page"})
