"""The IATI activity file (`/public/data/iati-activities.xml`): every published request from its
approval onwards, as tacase.exports.iati maps it, with the requests it had to leave out and why.

Like the open-data files (tacase.services.open_data), the scheduler builds it into `public_files`,
under the lock a change of consent takes first, and a change of consent deletes it; until the next
build a request for it gets it made from the record as it is. Each build also keeps the list of the
requests left out (a rule of the IATI validator they would break) in a snapshot for the admins'
page, and logs each one. Everything it holds comes from public_record.all_published.

Which cases are in it, and with which IATI status, says the workflow file in force for their type
(`iati_status:` on a state): a case started under an earlier version of the file is in it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import PublicFile
from tacase.engine.roles import ADMIN
from tacase.exports import iati
from tacase.reference import requesting_state
from tacase.services import public_record, snapshots
from tacase.services.actors import Actor
from tacase.services.errors import Forbidden
from tacase.services.runtime import runtime_of

log = logging.getLogger(__name__)

NAME = "iati-activities.xml"
MEDIA_TYPE = "application/xml; charset=utf-8"
LEFT_OUT = "iati_left_out"  # the snapshot of the last build's left-out requests


@dataclass(frozen=True)
class LeftOut:
    reference: str
    reasons: tuple[str, ...]  # each an exports.iati.Reason when made by this build


def _statuses(session: Session) -> dict[str, tuple[dict[str, str], frozenset[str]]]:
    """By request type: its states' IATI statuses and the steps into the file, from the files in force."""
    return {wtype: (d.iati_statuses(), d.iati_entries())
            for wtype, d in runtime_of(session).workflows.current.items()}


def last_updated(view: dict[str, Any]) -> dt.datetime:
    """When what the activity shows last changed: the latest day the public record tells of (a
    stage reached, a step's record). After the approval only steps change a case; the record gives
    their days, not their hours, and neither does this."""
    days = [view["submitted_on"], *(s["entered_on"] for s in view["stages"]),
            *(r["on"] for r in view["records"])]
    latest = max(d for d in days if d is not None)
    return dt.datetime.combine(latest, dt.time(), tzinfo=dt.UTC)


def activities(session: Session, publisher: iati.Publisher, now: dt.datetime, left_out: list[LeftOut], *,
               pause: Callable[[], None] | None = None) -> Iterator[iati.Activity]:
    """The activities of the published cases in the file's states, read in batches as consumed; a
    case that breaks a rule is appended to `left_out` instead (with its reasons) and logged."""
    statuses = _statuses(session)
    in_file = tuple(sorted({state for states, _ in statuses.values() for state in states}))
    if not in_file:
        return
    seen: set[str] = set()
    views = public_record.all_published(session, public_record.PublicFilter(status=in_file), pause=pause)
    for view in views:
        states, entries = statuses.get(view["type"], ({}, frozenset()))
        status = states.get(view["status"])
        if status is None:
            continue  # a type whose file in force does not put this state in the IATI file
        state = requesting_state(view["state"]["code"])
        activity = iati.activity_of(view, publisher, status=status, last_updated=last_updated(view),
                                    country_iso2=state.iso2 if state and state.iso2 else None,
                                    approval_steps=entries)
        reasons = iati.problems(activity, now.date())
        if activity.identifier in seen:
            reasons.append(iati.Reason(
                iati.N_("another activity of the file has the identifier %(identifier)s"),
                identifier=activity.identifier))
        if reasons:
            log.warning("IATI file: %s left out: %s", view["reference"], "; ".join(reasons))
            left_out.append(LeftOut(view["reference"], tuple(reasons)))
            continue
        seen.add(activity.identifier)
        yield activity


def chunks(session: Session, publisher: iati.Publisher, now: dt.datetime, *,
           left_out: list[LeftOut] | None = None, pause: Callable[[], None] | None = None) -> Iterator[bytes]:
    """The file in pieces of UTF-8 as the cases are read; `left_out`, when given, fills as it goes."""
    found = [] if left_out is None else left_out
    return iati.document_chunks(activities(session, publisher, now, found, pause=pause), publisher, now)


def check(session: Session, publisher: iati.Publisher, now: dt.datetime) -> tuple[int, list[LeftOut]]:
    """How many activities the file would hold, and the cases it would leave out."""
    left_out: list[LeftOut] = []
    count = sum(1 for _ in activities(session, publisher, now, left_out))
    return count, left_out


def build(session: Session, now: dt.datetime, publisher: iati.Publisher) -> PublicFile:
    """Make the file from the record as it is and keep it, with the list of what it left out. The
    caller commits. Memory: the file itself."""
    snapshots.lock(session, public_record.COUNTS, now)  # the lock a change of consent takes first
    left_out: list[LeftOut] = []
    data = b"".join(chunks(session, publisher, now, left_out=left_out))
    row = session.get(PublicFile, NAME) or PublicFile(name=NAME)
    row.built_at, row.media_type, row.etag = now, MEDIA_TYPE, hashlib.sha256(data).hexdigest()
    row.content = data
    session.add(row)
    snapshots.store(session, LEFT_OUT, {"left_out": [
        {"reference": item.reference, "reasons": [iati.Reason.from_stored(r).stored() for r in item.reasons]}
        for item in left_out]}, now)
    session.flush()
    return row


def build_if_due(session: Session, now: dt.datetime, publisher: iati.Publisher, *,
                 every: dt.timedelta) -> bool:
    """Build the file when it is missing (a change of consent deleted it) or older than `every`."""
    built_at = session.scalar(select(PublicFile.built_at).where(PublicFile.name == NAME))
    if built_at is not None and now - built_at < every:
        return False
    build(session, now, publisher)
    return True


def stored(session: Session) -> PublicFile | None:
    """The kept file's row without its content (read with `content`), or None."""
    return session.scalar(select(PublicFile).where(PublicFile.name == NAME))


def content(session: Session) -> bytes | None:
    return session.scalar(select(PublicFile.content).where(PublicFile.name == NAME))


def left_out_report(session: Session, actor: Actor) -> tuple[list[LeftOut], dt.datetime | None]:
    """The requests the last build left out, and when it ran (None: never). Administrators only."""
    if ADMIN not in actor.roles:
        raise Forbidden("only an administrator may see the requests left out of the IATI file")
    row = snapshots.load(session, LEFT_OUT)
    if row is None or "left_out" not in (row.body or {}):
        return [], None
    return [LeftOut(item["reference"], tuple(iati.Reason.from_stored(r) for r in item["reasons"]))
            for item in row.body["left_out"]], row.built_at


def publisher_of(config: Any) -> iati.Publisher:
    """The reporting organisation the settings name."""
    return iati.Publisher(config.IATI_ORG_REF, config.IATI_ORG_NAME, config.IATI_ORG_TYPE)
