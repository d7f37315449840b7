"""The IATI activity file at its fixed address, `/public/data/iati-activities.xml`: served from the
blueprint of the public files (any cache may keep it), as the scheduler last built it, or made now
from the record as it is while it is missing (a State's consent changed since). What it holds comes
from tacase.services.iati, which reads through tacase.services.public_record alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request

from tacase.services import iati
from tacase.web.auth import public
from tacase.web.context import clock, db, ext
from tacase.web.views.public_data import _file_headers, downloads


def _publisher() -> iati.Publisher:
    return iati.publisher_of(ext()["config"])


def _stream() -> Response:
    """The file made as it is sent, from a session of its own that the stream closes when it ends or
    the client goes; between batches its read transaction ends, so that it holds no lock."""
    session = ext()["sessions"]()
    try:
        pieces = iati.chunks(session, _publisher(), clock(), pause=session.rollback)
    except BaseException:
        session.close()
        raise

    def closing() -> Iterator[bytes]:
        try:
            yield from pieces
        finally:
            session.close()

    response = Response(closing(), content_type=iati.MEDIA_TYPE)
    response.last_modified = clock()
    return response


@downloads.get("/public/data/iati-activities.xml")
@public
def iati_activities() -> Any:
    session = db()
    kept = iati.stored(session)
    if kept is None:
        return _file_headers(_stream(), iati.NAME)
    response = Response(status=304) if request.if_none_match.contains(kept.etag) else Response(
        iati.content(session), content_type=iati.MEDIA_TYPE)
    response.set_etag(kept.etag)
    response.last_modified = kept.built_at
    return _file_headers(response, iati.NAME)
