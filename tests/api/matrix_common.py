"""What an authorization matrix entry is: how to call a route, and what each principal must get."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRINCIPALS = ("anonymous", "own", "other", "reviewer", "approver", "board", "admin")


@dataclass(frozen=True)
class Check:
    expect: tuple[int, ...]  # one status per principal, in PRINCIPALS order
    params: dict[str, Any] = field(default_factory=dict)  # the rule's <variables>
    body: Any = None  # sent as JSON
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str] | str] | None = None  # multipart/form-data instead of JSON


def req(expect: tuple[int, ...], *, body: Any = None, headers: dict[str, str] | None = None,
        files: dict[str, tuple[bytes, str] | str] | None = None, **params: Any) -> Check:
    assert len(expect) == len(PRINCIPALS)
    return Check(expect, params, body, headers or {}, files)


# Pages, in PRINCIPALS order. Anonymous callers are sent to the sign-in page (302). A signed-in
# caller whose role may not use a page gets 403; one who may, but posts without the form's CSRF
# token (all matrix calls do), gets 400: roles are checked before the form is read.
PAGE = (302, 200, 200, 200, 200, 200, 200)
