"""Personal API tokens for programmatic clients."""

from __future__ import annotations

from typing import Any

from tacase.services import auth as auth_service
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.schemas import MAX_ID, NewTokenSchema, TokenCreateSchema, TokenSchema
from tacase.web.context import actor, clock_fn, commit, db, ext

blp = Blueprint("tokens", __name__, url_prefix=f"{API_PREFIX}/tokens", description="Personal API tokens")


def token_json(token: Any) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "expires_at": token.expires_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at}


@blp.get("")
@blp.response(200, TokenSchema(many=True))
@errors(blp, 401, 403)
@blp.doc(operationId="listTokens")
@blp.doc(summary="Your tokens (without their secrets)")
def list_tokens():
    return [token_json(t) for t in auth_service.list_tokens(db(), actor())]


@blp.post("")
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
@errors(blp, 400, 401, 403, 413)
@blp.doc(operationId="createToken")
@blp.doc(summary="Create a token", description=(
    "The secret is in `token` of this answer only; tacase keeps a hash. Send it as "
    "`Authorization: Bearer <token>`."))
def create_token(args: dict[str, Any]):
    config = ext()["config"]
    days = args.get("expires_in_days") or config.TOKEN_DEFAULT_DAYS
    token, plain = auth_service.create_token(db(), actor(), clock_fn(), name=args["name"],
                                             days=min(days, config.TOKEN_MAX_DAYS))
    commit()
    return {**token_json(token), "token": plain}


@blp.delete(f"/<int(max={MAX_ID}):token_id>")
@blp.response(204)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="revokeToken")
@blp.doc(summary="Revoke a token")
def revoke_token(token_id: int):
    auth_service.revoke_token(db(), actor(), clock_fn(), token_id)
    commit()
    return ""
