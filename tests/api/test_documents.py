"""Case documents over the API: types judged by content, size limits, storage, downloads, audit."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tacase.audit.store import verify_chain
from tacase.db.models import AuditEvent, Document
from tacase.services import documents as service
from tests.api.conftest import complete_fields, make_app

API = "/api/v1"
FOCAL = "state_focal_point"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CONTENT_TYPES = b"<?xml version='1.0'?><Types/>"
DOCX = _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": service.ODT.encode(), "content.xml": b"<office:document-content/>"})

ALLOWED = [
    ("report.pdf", PDF, service.PDF),
    ("photo.png", PNG, service.PNG),
    ("photo.jpg", JPEG, service.JPEG),
    ("letter.docx", DOCX, service.DOCX),
    ("budget.xlsx", XLSX, service.XLSX),
    ("note.odt", ODT, service.ODT),
]


@pytest.fixture
def own(world):
    return world.account(FOCAL, state="FJI")


@pytest.fixture
def reference(client, own) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=own.auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def upload(client, account, reference: str, content: bytes, filename: str = "file.pdf"):
    body, content_type = multipart(content, filename)
    return client.post(f"{API}/cases/{reference}/documents", data=body, headers=account.auth,
                       content_type=content_type)


def multipart(content: bytes, filename: str) -> tuple[bytes, str]:
    # Encoded here, not by the test client: it spools a large body to a file it never closes, and it
    # writes a name's quotes unescaped.
    boundary = "tacase-test-boundary"
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def stored_files(app) -> list[Path]:
    directory = Path(app.config["DOCUMENTS_DIR"])
    return sorted(directory.iterdir()) if directory.exists() else []


def audit_events(world, action: str) -> list[dict]:
    with world.sessions() as s:
        return [json.loads(body) for body in s.scalars(
            select(AuditEvent.body).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


@pytest.mark.parametrize(("filename", "content", "content_type"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_each_accepted_type_round_trips(client, own, reference, filename, content, content_type):
    r = upload(client, own, reference, content, filename)
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    sha256 = hashlib.sha256(content).hexdigest()
    assert doc["content_type"] == content_type
    assert (doc["filename"], doc["size"], doc["sha256"], doc["case"]) == (
        filename, len(content), sha256, reference)

    r = client.get(f"{API}/cases/{reference}/documents/{doc['id']}", headers=own.auth)
    assert r.status_code == 200
    assert r.data == content and hashlib.sha256(r.data).hexdigest() == sha256
    assert r.mimetype == content_type
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    r.close()

    listed = client.get(f"{API}/cases/{reference}/documents", headers=own.auth).get_json()
    assert [d["id"] for d in listed] == [doc["id"]]


@pytest.mark.parametrize(("filename", "content"), [
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),  # a Windows program
    ("notes.pdf", b"Just some plain text pretending to be a PDF.\n"),
    ("archive.docx", _zip({"readme.txt": b"not a document"})),  # a ZIP, but no office document
    ("fake.docx", b"PK\x03\x04 but not really an archive"),
    ("page.pdf", b"<html><script>alert(1)</script></html>"),
])
def test_type_is_judged_by_content_not_name(app, client, own, reference, filename, content):
    r = upload(client, own, reference, content, filename)
    assert r.status_code == 415, r.get_json()
    assert r.get_json()["code"] == "unsupported_media_type"
    assert stored_files(app) == []  # not even a temporary file is left


def test_a_pdf_named_otherwise_is_a_pdf(client, own, reference):
    r = upload(client, own, reference, PDF, "spreadsheet.xlsx")
    assert r.status_code == 201
    assert r.get_json()["content_type"] == service.PDF
    assert r.get_json()["filename"] == "spreadsheet.xlsx.pdf"


@pytest.mark.parametrize(("given", "content", "stored"), [
    ("plan.html", PDF, "plan.html.pdf"),
    ("logo.svg", PNG, "logo.svg.png"),
    ("page.HTM", JPEG, "page.HTM.jpg"),
    ("script", DOCX, "script.docx"),
    ("Photo.JPEG", JPEG, "Photo.JPEG"),
    ("Report.PDF", PDF, "Report.PDF"),
    ("a" * 300 + ".html", PDF, "a" * 250 + ".pdf"),
])
def test_stored_and_downloaded_names_end_in_the_type_of_the_content(client, own, reference, given, content,
                                                                     stored):
    doc = upload(client, own, reference, content, given).get_json()
    assert doc["filename"] == stored
    r = client.get(f"{API}/cases/{reference}/documents/{doc['id']}", headers=own.auth)
    header = r.headers["Content-Disposition"]
    r.close()
    assert header.endswith(quote(stored, safe=""))
    assert stored.rsplit(".", 1)[1].lower() in service.EXTENSIONS[doc["content_type"]]


# --- office documents are archives: what they hold is checked ----------------------------------

def _docx_with(**extra: bytes) -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>", **extra})


def _bomb(expanded: int, path: Path) -> bytes:
    """A DOCX with one part of `expanded` zero bytes, compressed about a thousand times."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("word/document.xml", b"<w:document/>")
        with z.open("word/media/filler.xml", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(expanded // len(block)):
                member.write(block)
    return path.read_bytes()


@pytest.fixture(scope="module")
def gigabyte_bomb(tmp_path_factory) -> bytes:
    return _bomb(1024 * 1024 * 1024, tmp_path_factory.mktemp("bomb") / "bomb.docx")


def _refused(app, response, *words: str) -> None:
    assert response.status_code == 422, response.get_json()
    message = " ".join(response.get_json()["errors"]["file"])
    assert all(word in message for word in words), message
    assert stored_files(app) == []


def test_an_archive_that_expands_a_thousand_times_is_refused(app, client, own, reference, gigabyte_bomb):
    assert len(gigabyte_bomb) < 2 * 1024 * 1024  # about a megabyte ...
    _refused(app, upload(client, own, reference, gigabyte_bomb, "bomb.docx"), "expands")


def test_an_archive_past_the_ratio_is_refused_below_the_total(app, client, own, reference, tmp_path):
    _refused(app, upload(client, own, reference, _bomb(32 * 1024 * 1024, tmp_path / "b.docx"), "b.docx"),
             "expands")


def test_an_archive_of_too_many_members_is_refused(app, client, own, reference):
    crowd = _docx_with(**{f"word/part{i}.xml": b"<x/>" for i in range(2001)})
    _refused(app, upload(client, own, reference, crowd, "crowd.docx"), "parts")


@pytest.mark.parametrize(("member", "content"), [
    ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", XLSX),
    ("word/embeddings/sheet.bin", XLSX),  # an archive by its bytes, whatever its name
    ("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)),
    ("word/media/photos.zip", b"not even a zip"),
])
def test_an_archive_inside_the_archive_is_refused(app, client, own, reference, member, content):
    _refused(app, upload(client, own, reference, _docx_with(**{member: content}), "nested.docx"), member)


@pytest.mark.parametrize("member", ["word/vbaProject.bin", "xl/vbaProject.bin", "Basic/Standard/Module1.xml"])
def test_macros_are_refused(app, client, own, reference, member):
    _refused(app, upload(client, own, reference, _docx_with(**{member: b"Attribute VB_Name"}), "m.docx"),
             "macros")


def test_an_encrypted_member_is_refused(app, client, own, reference):
    locked = bytearray(_docx_with())
    # Every part marked "encrypted", in its local header and in the central directory.
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = locked.find(signature)
        while at != -1:
            locked[at + flags_at] |= 0x1
            at = locked.find(signature, at + 4)
    _refused(app, upload(client, own, reference, bytes(locked), "locked.docx"), "encrypted")


def test_an_ordinary_office_document_with_pictures_and_printer_settings_is_accepted(client, own, reference):
    document = _docx_with(**{"word/media/image1.png": PNG, "docProps/core.xml": b"<cp:coreProperties/>",
                             "xl/printerSettings/printerSettings1.bin": bytes(200)})
    assert upload(client, own, reference, document, "letter.docx").status_code == 201


def test_empty_or_missing_file_is_422(app, client, own, reference):
    r = upload(client, own, reference, b"", "empty.pdf")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    r = client.post(f"{API}/cases/{reference}/documents", data={"other": "x"}, headers=own.auth)
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    assert stored_files(app) == []


def test_uploads_may_exceed_the_json_limit(client, own, reference):
    content = PDF + b"0" * (2 * 1024 * 1024)  # twice the 1 MiB allowed for JSON bodies
    r = upload(client, own, reference, content, "large.pdf")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["sha256"] == hashlib.sha256(content).hexdigest()


def test_size_limit_is_configurable(fresh_db, api_clock, world, tmp_path):
    app = make_app(fresh_db, api_clock, TACASE_MAX_UPLOAD_BYTES="1000",
                   TACASE_DOCUMENTS_DIR=str(tmp_path / "docs"))
    try:
        client = app.test_client()
        own = world.account(FOCAL, state="FJI")
        r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=own.auth)
        reference = r.get_json()["reference"]
        exactly = PDF + b"0" * (1000 - len(PDF))
        assert upload(client, own, reference, exactly).status_code == 201
        # Over the limit, but within the multipart allowance: the file's own size decides.
        r = upload(client, own, reference, exactly + b"0")
        assert r.status_code == 413
        assert r.get_json()["code"] == "payload_too_large"
        # Far over: refused before the body is read, in the same error shape.
        r = upload(client, own, reference, PDF + b"0" * (200 * 1024))
        assert r.status_code == 413
        assert r.get_json()["code"] == "payload_too_large"
        assert len(list((tmp_path / "docs").iterdir())) == 1
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_stored_under_a_generated_name_with_its_sha256(app, world, client, own, reference):
    r = upload(client, own, reference, PDF, "Strategy 2026.pdf")
    doc = r.get_json()
    [path] = stored_files(app)
    assert path.name != "Strategy 2026.pdf" and "Strategy" not in path.name
    assert path.read_bytes() == PDF
    with world.sessions() as s:
        row = s.get(Document, doc["id"])
        assert row.storage_name == path.name
        assert row.sha256 == hashlib.sha256(PDF).hexdigest() == doc["sha256"]
    # Outside everything the app serves.
    project = Path(__file__).resolve().parents[2]
    assert not path.resolve().is_relative_to(project / "tacase")


@pytest.mark.parametrize(("given", "stored", "ascii_name"), [
    ('../../evil "name".pdf', 'evil "name".pdf', "evil _name_.pdf"),
    ("..\\..\\windows\\evil.pdf", "evil.pdf", "evil.pdf"),
    ("Rapport d'activité \u2013 Genève.pdf", "Rapport d'activité \u2013 Genève.pdf",
     "Rapport d_activite  Geneve.pdf"),
    ("報告書.pdf", "報告書.pdf", "document.pdf"),
    ("bad\tname;x=1.pdf", "badname;x=1.pdf", "badname_x_1.pdf"),
    ("...", "document.pdf", "document.pdf"),
])
def test_content_disposition_is_safe(client, own, reference, given, stored, ascii_name):
    doc = upload(client, own, reference, PDF, given).get_json()
    assert doc["filename"] == stored
    r = client.get(f"{API}/cases/{reference}/documents/{doc['id']}", headers=own.auth)
    header = r.headers["Content-Disposition"]
    r.close()
    assert header == f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored, safe='')}"
    assert header.isascii() and "\r" not in header and "\n" not in header and "/" not in header


def test_another_states_case_is_not_found(world, client, own, reference):
    doc = upload(client, own, reference, PDF).get_json()
    other = world.account(FOCAL, state="WSM")
    base = f"{API}/cases/{reference}/documents"
    assert client.get(base, headers=other.auth).status_code == 404
    assert client.get(f"{base}/{doc['id']}", headers=other.auth).status_code == 404
    assert upload(client, other, reference, PDF).status_code == 404
    assert len(audit_events(world, "document.downloaded")) == 0


def test_a_document_belongs_to_its_case(client, own, reference):
    doc = upload(client, own, reference, PDF).get_json()
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=own.auth)
    other_case = r.get_json()["reference"]
    assert client.get(f"{API}/cases/{other_case}/documents/{doc['id']}", headers=own.auth).status_code == 404


def test_board_reads_but_does_not_upload(world, client, own, reference):
    doc = upload(client, own, reference, PDF).get_json()
    board = world.account("board")
    r = client.get(f"{API}/cases/{reference}/documents/{doc['id']}", headers=board.auth)
    assert r.status_code == 200 and r.data == PDF
    r.close()
    assert upload(client, board, reference, PNG, "x.png").status_code == 403


def test_office_uploads_and_states_do_not_see_who(world, client, own, reference):
    reviewer = world.account("reviewer")
    doc = upload(client, reviewer, reference, PNG, "chart.png").get_json()
    assert doc["uploaded_by_id"] == reviewer.id
    [seen] = client.get(f"{API}/cases/{reference}/documents", headers=own.auth).get_json()
    assert seen["id"] == doc["id"] and seen["uploaded_by_id"] is None


def test_uploads_and_downloads_are_audited(world, client, own, reference):
    doc = upload(client, own, reference, PDF, "report.pdf").get_json()
    reviewer = world.account("reviewer")
    client.get(f"{API}/cases/{reference}/documents/{doc['id']}", headers=reviewer.auth).close()

    [uploaded] = audit_events(world, "document.uploaded")
    assert uploaded["actor"]["id"] == own.id and uploaded["case"]["reference"] == reference
    assert uploaded["data"] == {"document_id": doc["id"], "filename": "report.pdf",
                                "content_type": service.PDF, "size": len(PDF), "sha256": doc["sha256"]}
    [downloaded] = audit_events(world, "document.downloaded")
    assert downloaded["actor"]["id"] == reviewer.id
    assert downloaded["data"]["document_id"] == doc["id"]
    with world.sessions() as s:
        assert verify_chain(s).ok


def test_a_failed_transaction_leaves_no_file(app, world, client, own, reference, monkeypatch):
    def fail() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("tacase.web.api.documents.commit_request", fail)
    r = upload(client, own, reference, PDF)
    assert r.status_code == 500
    assert stored_files(app) == []
    with world.sessions() as s:
        assert s.scalars(select(Document)).all() == []


@pytest.mark.parametrize(("given", "cleaned"), [
    ("bad\r\nSet-Cookie: x=1.pdf", "badSet-Cookie: x=1.pdf"),
    ("nul\x00.pdf", "nul.pdf"),
    ("lone\ud800surrogate.pdf", "lonesurrogate.pdf"),
    ("C:\\Users\\me\\.hidden.pdf", "hidden.pdf"),
    (None, "document"),
    ("a" * 300 + ".docx", "a" * 250 + ".docx"),
])
def test_filenames_are_cleaned(given, cleaned):
    assert service.clean_filename(given) == cleaned


def test_a_signed_in_browser_uploads_with_its_csrf_token(world, app, own, reference):
    browser = app.test_client()
    csrf = world.login(browser, own)["csrf_token"]
    content = PDF + b"0" * (1024 * 1024)  # larger than JSON bodies may be: the form is read in the gate
    body, content_type = multipart(content, "a.pdf")
    r = browser.post(f"{API}/cases/{reference}/documents", data=body, content_type=content_type,
                     headers={"X-CSRFToken": csrf})
    assert r.status_code == 201, r.get_json()
    r = browser.post(f"{API}/cases/{reference}/documents", data={"file": (io.BytesIO(PDF), "a.pdf")})
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"
