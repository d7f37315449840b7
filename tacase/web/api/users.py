"""Administering accounts."""

from __future__ import annotations

from typing import Any

from flask import url_for

from tacase.services import users as user_service
from tacase.services.accounts import create_user
from tacase.web.api.auth import user_json
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.schemas import MAX_ID, UserCreateSchema, UserListArgs, UserSchema, UserUpdateSchema
from tacase.web.context import actor, clock_fn, commit, db

blp = Blueprint("users", __name__, url_prefix=f"{API_PREFIX}/users", description="Accounts (administrators)")


@blp.get("")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserSchema(many=True))
@errors(blp, 401, 403)
@blp.doc(operationId="listUsers")
@blp.doc(summary="List accounts", description="Ordered by id; pass the last id as `after` for the next page.")
def list_users(args: dict[str, Any]):
    rows = user_service.list_users(db(), actor(), role=args.get("role"), state=args.get("state"),
                                   q=args.get("q"), active=args.get("active"), after_id=args["after"],
                                   limit=args["limit"])
    return [user_json(u) for u in rows]


@blp.post("")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@errors(blp, 400, 401, 403, 413)
@blp.doc(operationId="createUser")
@blp.doc(summary="Create an account")
def create(args: dict[str, Any]):
    user = create_user(db(), actor(), clock_fn(), email=args["email"], roles=args["roles"],
                       password=args["password"], display_name=args.get("display_name"),
                       state_code=(args.get("state") or None) and args["state"].upper())
    commit()
    return user_json(user), 201, {"Location": url_for("users.update", user_id=user.id)}


@blp.patch(f"/<int(max={MAX_ID}):user_id>")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@errors(blp, 400, 401, 403, 404, 413)
@blp.doc(operationId="updateUser")
@blp.doc(summary="Change roles, State, name, or disable", description=(
    "Disabling (`is_active: false`) ends the account's sessions and revokes its tokens at once; "
    "a change of roles or State ends its sessions too."))
def update(args: dict[str, Any], user_id: int):
    kwargs: dict[str, Any] = {k: args[k] for k in ("roles", "is_active", "display_name") if k in args}
    if "state" in args:
        kwargs["state_code"] = args["state"]
    user = user_service.update_user(db(), actor(), clock_fn(), user_id, **kwargs)
    commit()
    return user_json(user)


@blp.post(f"/<int(max={MAX_ID}):user_id>/mfa/reset")
@blp.response(200, UserSchema)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="resetUserMfa")
@blp.doc(summary="Reset two-factor authentication", description=(
    "For a lost authenticator: the user enrols again at the next sign-in; their sessions and "
    "tokens end."))
def reset_mfa(user_id: int):
    user = user_service.reset_mfa(db(), actor(), clock_fn(), user_id)
    commit()
    return user_json(user)
