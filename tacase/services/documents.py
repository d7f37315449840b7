"""Documents attached to cases: stored on disk under generated names, typed by their content."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Case, Document
from tacase.services import archives, audit_log
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.actors import Actor
from tacase.services.cases import get_case
from tacase.services.clock import Clock
from tacase.services.errors import (
    Forbidden,
    NotFound,
    TooLarge,
    UnsafeDocument,
    UnsupportedType,
    ValidationFailed,
)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ACCEPTED = "PDF, DOCX, XLSX, ODT, PNG or JPEG"

MAX_FILENAME = 255
CHUNK = 64 * 1024
# ZIP containers are judged by their directory; a member is read only for ODT's short mimetype.
_ZIP_MAGIC = b"PK\x03\x04"
_TEMP_PREFIX = ".upload-"


# The extension each accepted type is stored and downloaded with (the first), and those it may keep.
EXTENSIONS = {PDF: ("pdf",), PNG: ("png",), JPEG: ("jpg", "jpeg"), DOCX: ("docx",), XLSX: ("xlsx",),
              ODT: ("odt",)}


def sniff(path: Path) -> str | None:
    """The content type the bytes themselves show, or None when they are no accepted type.
    An office document whose archive is unsafe raises ValidationFailed saying why."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(path)
    return None


def _sniff_zip(path: Path) -> str | None:
    try:
        names = archives.inspect(path).names
        if "mimetype" in names:
            with zipfile.ZipFile(path) as z, z.open("mimetype") as member:
                if member.read(100).strip() == ODT.encode():
                    return ODT
    except archives.UnsafeArchive as exc:
        raise UnsafeDocument(exc.reason, str(exc)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError,
            EOFError, ValueError, zlib.error):
        return None  # a damaged archive, or one packed in a way no office program writes
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None


def clean_filename(name: str | None) -> str:
    """The name as given, without any folder, control characters or text no database can hold."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        keep_ext = dot and len(ext) <= 16  # cut the stem, so that the name still ends as it did
        name = stem[:MAX_FILENAME - len(ext) - 1] + dot + ext if keep_ext else name[:MAX_FILENAME]
    return name or "document"


def named_for_type(name: str, content_type: str) -> str:
    """The name ending in the extension of the type the content showed: a PDF sent as `plan.html`
    is kept and downloaded as `plan.html.pdf`, so that no program opens it as a web page."""
    allowed = EXTENSIONS.get(content_type)
    if not allowed or (name.rpartition(".")[2].lower() in allowed and "." in name):
        return name
    suffix = "." + allowed[0]
    return name[:MAX_FILENAME - len(suffix)].rstrip(".") + suffix


def ascii_filename(name: str) -> str:
    """A fallback name for Content-Disposition that every client reads the same way."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = re.sub(r"[^A-Za-z0-9._ -]+", "_", folded)
    stem, dot, ext = folded.rpartition(".")
    if dot and ext and not stem.strip(" ._"):
        return f"document.{ext}"  # a name of letters ASCII lacks still keeps its extension
    return folded.strip(" ._") or "document"


def _require_uploader(actor: Actor, case: Case) -> None:
    if not (actor.roles & CASE_WORKERS or speaks_for_state(actor, case)):
        raise Forbidden("only OHCHR staff and the requesting State may add documents")


def _receive(stream: BinaryIO, directory: Path, max_bytes: int) -> tuple[Path, int, str]:
    """The upload in a temporary file of the documents folder: its path, size and SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    temp = directory / f"{_TEMP_PREFIX}{secrets.token_hex(16)}"
    try:
        with temp.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"documents may be at most {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, size, digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the folder is; some systems cannot open folders at all.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def upload(session: Session, actor: Actor, clock: Clock, reference: str, *, filename: str | None,
           stream: BinaryIO, directory: Path, max_bytes: int) -> Document:
    """Store the file and its row. The file is in place once this returns: if the transaction then
    fails, the caller removes it with `discard`."""
    case = get_case(session, actor, reference)
    _require_uploader(actor, case)
    temp, size, sha256 = _receive(stream, directory, max_bytes)
    final: Path | None = None
    try:
        if size == 0:
            raise ValidationFailed({"file": ["is empty"]})
        content_type = sniff(temp)
        if content_type is None:
            raise UnsupportedType(f"the file's content is not {ACCEPTED}, whatever its name says")
        storage_name = secrets.token_hex(24)
        final = directory / storage_name
        os.replace(temp, final)
        _fsync_dir(directory)
        now = clock()
        document = Document(case_id=case.id, content_type=content_type,
                            filename=named_for_type(clean_filename(filename), content_type),
                            size=size, sha256=sha256, storage_name=storage_name,
                            uploaded_by_id=actor.id, created_at=now)
        session.add(document)
        session.flush()
        audit_log.record(session, actor, now, "document.uploaded", case, {
            "document_id": document.id, "filename": document.filename, "content_type": content_type,
            "size": size, "sha256": sha256,
        })
        return document
    except BaseException:
        temp.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise


def discard(directory: Path, document: Document) -> None:
    """Remove a stored file whose row was never committed."""
    (directory / document.storage_name).unlink(missing_ok=True)


def list_documents(session: Session, actor: Actor, reference: str) -> list[Document]:
    case = get_case(session, actor, reference)
    return list(session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.id)))


def _document_of(session: Session, case: Case, document_id: int) -> Document:
    document = session.scalar(select(Document).where(Document.case_id == case.id,
                                                      Document.id == document_id))
    if document is None:
        raise NotFound(f"document {document_id} not found in case {case.reference}")
    return document


def open_stored(directory: Path, document: Document) -> BinaryIO:
    """An open handle on a document's bytes; a missing file is a server fault (500)."""
    return (directory / document.storage_name).open("rb")


def open_document(session: Session, actor: Actor, clock: Clock, reference: str, document_id: int,
                  directory: Path) -> tuple[Document, BinaryIO]:
    """The document and an open handle on its bytes, the download recorded in the audit log."""
    case = get_case(session, actor, reference)
    document = _document_of(session, case, document_id)
    handle = open_stored(directory, document)
    try:
        audit_log.record(session, actor, clock(), "document.downloaded", case, {
            "document_id": document.id, "filename": document.filename, "sha256": document.sha256,
        })
    except BaseException:
        handle.close()
        raise
    return document, handle


def set_publication(session: Session, actor: Actor, clock: Clock, reference: str, document_id: int,
                    public: Any) -> Document:
    """Publish one of the case's documents with the request, or stop publishing it; only the
    requesting State's focal points may (never the office). A published document is on the public
    record only while the case is (see public_record). Setting what is already so records nothing."""
    if not isinstance(public, bool):
        raise ValidationFailed({"public": ["must be true or false"]})
    case = get_case(session, actor, reference)
    if not speaks_for_state(actor, case):
        raise Forbidden("only the requesting State's focal points may publish its documents")
    document = _document_of(session, case, document_id)
    if document.public == public:
        return document
    document.public = public
    session.flush()
    audit_log.record(session, actor, clock(), "document.published" if public else "document.unpublished",
                     case, {"document_id": document.id, "filename": document.filename})
    return document
