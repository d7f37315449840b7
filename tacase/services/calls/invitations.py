"""A focal point passes a call on to colleagues of its State (a line ministry, a local government):
each invitation is a single-use link that opens an account limited to that State and that call."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tacase.db.call_models import STATE_BODY_TYPES
from tacase.db.models import Call, CallInvitation, User
from tacase.services import audit_log
from tacase.services.accounts import normalise_email
from tacase.services.actors import Actor
from tacase.services.calls import access, registry
from tacase.services.calls.invitation_mail import queue_invitation
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tacase.services.passwords import hash_password, password_problems

TOKEN_BYTES = 32
# An invitee may still read (and, when the call accepts it, send) its answer a while after closing.
VALID_AFTER_CLOSING = dt.timedelta(days=30)
MAX_MINISTRY = 200
MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calls/invitations/{token}"


def _require_focal_point(session: Session, actor: Actor, call: Call) -> str:
    if not access.is_focal_point(actor):
        if access.invitation_of(session, actor, call) is not None:
            raise Forbidden("only your State's focal point may invite colleagues to answer this call")
        if access.can_read_results(actor):
            raise Forbidden("only a State's focal point invites colleagues to answer a call")
        raise NotFound("there is no such call")
    return access.require_state_side(session, actor, call)


def _check(session: Session, call: Call, state: str, email: Any, ministry: Any,
           respondent_type: Any, now: dt.datetime) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    address = normalise_email(email) if isinstance(email, str) else ""
    if not _EMAIL.match(address) or len(address) > 254:
        errors["email"] = ["Enter an e-mail address, such as name@ministry.gov."]
    elif session.scalar(select(func.count()).select_from(CallInvitation).where(
            CallInvitation.call_id == call.id, CallInvitation.email == address,
            CallInvitation.revoked_at.is_(None), CallInvitation.expires_at > now)):
        errors["email"] = ["This address is invited to this call already."]
    else:
        holder = session.scalar(select(User).where(User.email == address))
        if holder is not None and (holder.roles or holder.state_code != state):
            errors["email"] = ["This address belongs to an account that cannot answer for your State. "
                               "Invite another address."]
    name = " ".join(ministry.split()) if isinstance(ministry, str) else ""
    if not name:
        errors["ministry"] = ["Enter the name of the ministry or body you invite."]
    elif len(name) > MAX_MINISTRY:
        errors["ministry"] = [f"Enter at most {MAX_MINISTRY} characters."]
    if respondent_type not in STATE_BODY_TYPES:
        errors["respondent_type"] = [f"Choose one of: {', '.join(STATE_BODY_TYPES)}."]
    if errors:
        raise ValidationFailed(errors)
    return address, name


def invite(session: Session, actor: Actor, clock: Clock, call_key: str, *, email: Any, ministry: Any,
           respondent_type: Any, base_url: str) -> tuple[CallInvitation, str]:
    """Invite a colleague of the focal point's State; the mail goes out through the outbox once the
    transaction commits. Returns the invitation and its link (shown once, never stored)."""
    call = registry.get_call(session, call_key)
    state = _require_focal_point(session, actor, call)
    now = clock()
    definition = registry.definition_of(session, call)
    if now > call.closes_at and definition.late_responses == "refuse":
        raise Conflict("the call has closed and accepts no late responses: nobody more can be invited")
    address, name = _check(session, call, state, email, ministry, respondent_type, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = CallInvitation(
        call_id=call.id, state_code=state, email=address, ministry=name, respondent_type=respondent_type,
        token_hash=token_hash(token), invited_by_id=actor.id, created_at=now,
        expires_at=call.closes_at + VALID_AFTER_CLOSING)
    session.add(invitation)
    session.flush()
    inviter = session.get(User, actor.id) if actor.id is not None else None
    link = invitation_link(base_url, token)
    queue_invitation(session, now, to_address=address, definition=definition, state_code=state, ministry=name,
                     inviter=(inviter.display_name or inviter.email) if inviter else actor.name, link=link,
                     expires_at=invitation.expires_at, locale=inviter.locale if inviter else None)
    audit_log.record(session, actor, now, "call.invitation_sent", data={
        "call": call.key, "state": state, "invitation": invitation.id, "email": address, "ministry": name,
        "respondent_type": respondent_type})
    session.flush()
    return invitation, link


def usable_invitation(session: Session, clock: Clock, token: Any) -> CallInvitation:
    """The invitation the link names, if it can still be accepted; else a clear refusal."""
    invitation = None
    if isinstance(token, str) and 0 < len(token) <= 100:
        invitation = session.scalar(
            select(CallInvitation).where(CallInvitation.token_hash == token_hash(token)))
    if invitation is None:
        raise NotFound("This invitation link is not valid. Check that you copied the whole link "
                       "from the mail.")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was withdrawn by your State's focal point. Ask them for a new one.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation link was used already. Sign in with the account it created.")
    if invitation.expires_at <= clock():
        raise Conflict("This invitation link has expired. Ask your State's focal point for a new one.")
    return invitation


def accept(session: Session, clock: Clock, token: Any, *, display_name: Any,
           password: Any) -> tuple[User, CallInvitation]:
    """Open the invitee's limited account (no roles; the invitation's State) and link it to the call."""
    invitation = usable_invitation(session, clock, token)
    if session.scalar(select(func.count()).select_from(User).where(User.email == invitation.email)):
        raise Conflict("An account with this e-mail address exists already. Sign in with it, then open "
                       "this link again to add the call to your account.")
    errors: dict[str, list[str]] = {}
    name = " ".join(display_name.split()) if isinstance(display_name, str) else ""
    if not name:
        errors["display_name"] = ["Enter your name."]
    elif len(name) > MAX_NAME:
        errors["display_name"] = [f"Enter at most {MAX_NAME} characters."]
    problems = password_problems(password, email=invitation.email)
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationFailed(errors)
    now = clock()
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id is not None else None
    user = User(email=invitation.email, display_name=name, password_hash=hash_password(password),
                state_code=invitation.state_code, is_active=True, locale=inviter.locale if inviter else "en",
                created_at=now, updated_at=now, role_rows=[])
    session.add(user)
    session.flush()
    _link(session, invitation, user, now)
    return user, invitation


def accept_signed_in(session: Session, actor: Actor, clock: Clock, token: Any) -> CallInvitation:
    """A limited account invited to another call adds this one by opening the link while signed in."""
    invitation = usable_invitation(session, clock, token)
    user = session.get(User, actor.id) if actor.id is not None else None
    if (user is None or user.email != invitation.email or user.roles
            or user.state_code != invitation.state_code):
        raise Forbidden("This invitation is for another person. Sign out, then open the link again.")
    _link(session, invitation, user, clock())
    return invitation


def _link(session: Session, invitation: CallInvitation, user: User, now: dt.datetime) -> None:
    invitation.user_id, invitation.accepted_at = user.id, now
    call = session.get(Call, invitation.call_id)
    session.flush()
    audit_log.record(session, Actor.for_user(user), now, "call.invitation_accepted", data={
        "call": call.key if call else None, "state": invitation.state_code, "invitation": invitation.id,
        "user_id": user.id})


def revoke(session: Session, actor: Actor, clock: Clock, call_key: str, invitation_id: int) -> CallInvitation:
    """Withdraw an invitation: its link stops working and its account loses the call. A draft stays."""
    call = registry.get_call(session, call_key)
    state = _require_focal_point(session, actor, call)
    invitation = session.scalar(select(CallInvitation).where(
        CallInvitation.id == invitation_id, CallInvitation.call_id == call.id,
        CallInvitation.state_code == state))
    if invitation is None:
        raise NotFound("there is no such invitation")
    if invitation.revoked_at is None:
        now = clock()
        invitation.revoked_at = now
        session.flush()
        audit_log.record(session, actor, now, "call.invitation_revoked", data={
            "call": call.key, "state": state, "invitation": invitation.id})
    return invitation


def list_invitations(session: Session, actor: Actor, call_key: str) -> list[CallInvitation]:
    """The focal point's State's invitations to the call (the office: every State's)."""
    call = registry.get_call(session, call_key)
    query = select(CallInvitation).where(CallInvitation.call_id == call.id)
    if not access.is_office(actor):
        query = query.where(CallInvitation.state_code == _require_focal_point(session, actor, call))
    return list(session.scalars(query.order_by(CallInvitation.id)))


def invitation_json(invitation: CallInvitation, now: dt.datetime) -> dict[str, Any]:
    if invitation.revoked_at is not None:
        status = "revoked"
    elif invitation.accepted_at is not None:
        status = "accepted"
    elif invitation.expires_at <= now:
        status = "expired"
    else:
        status = "pending"
    return {"id": invitation.id, "state": invitation.state_code, "email": invitation.email,
            "ministry": invitation.ministry, "respondent_type": invitation.respondent_type, "status": status,
            "created_at": invitation.created_at, "expires_at": invitation.expires_at,
            "accepted_at": invitation.accepted_at, "opened_at": invitation.opened_at,
            "revoked_at": invitation.revoked_at}
