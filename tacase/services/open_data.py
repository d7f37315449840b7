"""The public record's open-data files (every published request, one row each, in CSV and JSON)
and the downloads of the public pages.

The scheduler builds the files into `public_files` (every hour, and soon after they went missing);
a change of consent deletes them in its own transaction (public_record.set_consent), and until the
next build a request for one gets it made from the record as it is, streamed and not kept. A build
takes the lock a change of consent takes first, so that no build can store a file that holds a case
withdrawn while it was reading. Everything a file holds comes from public_record.all_published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import PublicFile
from tacase.exports import open_data as files
from tacase.services import public_record, snapshots
from tacase.services.runtime import runtime_of

CSV, JSON = "cases.csv", "cases.json"
NAMES = (CSV, JSON)
MEDIA_TYPES = {CSV: "text/csv; charset=utf-8; header=present", JSON: "application/json"}
# Where the files and their dictionary are, under the configured public address.
DATA_PATH = "/public/data"


@dataclass(frozen=True)
class Licence:
    name: str
    url: str


def columns(session: Session) -> tuple[files.Column, ...]:
    """The files' columns for the workflows in force."""
    return files.columns(runtime_of(session).workflows.current.values())


def metadata(session: Session, licence: Licence, built_at: dt.datetime, *, title: str,
             cols: tuple[files.Column, ...]) -> dict[str, Any]:
    """What the JSON file says of itself before its rows."""
    base = runtime_of(session).public_url.rstrip("/")
    return {
        "title": title,
        "publisher": "OHCHR",
        "licence": {"name": licence.name, "url": licence.url},
        "built_at": built_at,
        "source": f"{base}/public/record",
        "dictionary": f"{base}{DATA_PATH}",
        "columns": [c.name for c in cols],
    }


RECORD_TITLE = "Record of International Cooperation: requests States agreed to publish"


def chunks(session: Session, fmt: str, flt: public_record.PublicFilter, licence: Licence,
           now: dt.datetime, *, title: str = RECORD_TITLE, pause: Callable[[], None] | None = None
           ) -> Iterator[str]:
    """A file of the published cases the filter takes, as text in pieces ("csv" or "json"). The
    filter is checked before the first piece (ValidationFailed); `pause` as in all_published."""
    cols = columns(session)
    views = public_record.all_published(session, flt, pause=pause)
    rows = (files.row(view, cols) for view in views)
    if fmt == "csv":
        return files.csv_chunks(rows, cols)
    return files.json_chunks(rows, metadata(session, licence, now, title=title, cols=cols))


def one_case(session: Session, fmt: str, reference: str, licence: Licence,
             now: dt.datetime) -> Iterator[str]:
    """One published case as a file of one row (NotFound when it is not published)."""
    cols = columns(session)
    rows = [files.row(public_record.published_case(session, reference), cols)]
    if fmt == "csv":
        return files.csv_chunks(rows, cols)
    return files.json_chunks(rows, metadata(session, licence, now, title=reference, cols=cols))


def build(session: Session, now: dt.datetime, licence: Licence) -> list[PublicFile]:
    """Make both files from the record as it is and keep them, replacing what was kept. The caller
    commits. Memory: the files themselves (a column of bytes holds each)."""
    snapshots.lock(session, public_record.COUNTS, now)  # the lock a change of consent takes first
    built = []
    for name in NAMES:
        digest, parts = hashlib.sha256(), []
        for piece in chunks(session, name.rsplit(".", 1)[1], public_record.PublicFilter(), licence, now):
            data = piece.encode("utf-8")
            digest.update(data)
            parts.append(data)
        row = session.get(PublicFile, name) or PublicFile(name=name)
        row.built_at, row.media_type, row.etag = now, MEDIA_TYPES[name], digest.hexdigest()
        row.content = b"".join(parts)
        session.add(row)
        built.append(row)
    session.flush()
    return built


def build_if_due(session: Session, now: dt.datetime, licence: Licence, *, every: dt.timedelta) -> bool:
    """Build the files when one is missing (a change of consent deleted them) or older than `every`."""
    kept = {f.name: f.built_at for f in session.scalars(select(PublicFile))}
    if all(name in kept and now - kept[name] < every for name in NAMES):
        return False
    build(session, now, licence)
    return True


def stored(session: Session, name: str) -> PublicFile | None:
    """The kept file's row without its content (read with `content`), or None."""
    if name not in NAMES:
        return None
    return session.scalar(select(PublicFile).where(PublicFile.name == name))


def content(session: Session, name: str) -> bytes | None:
    return session.scalar(select(PublicFile.content).where(PublicFile.name == name))


def last_built(session: Session) -> dt.datetime | None:
    """When the files were last built together; None while one is missing."""
    kept = list(session.scalars(select(PublicFile).where(PublicFile.name.in_(NAMES))))  # content deferred
    if {f.name for f in kept} != set(NAMES):
        return None
    return min(f.built_at for f in kept)
