"""The IATI activity file made from the demo data, on both databases: it validates against the IATI
2.03 schema and holds one activity per published request from its approval onwards; a request that
breaks a rule is left out with its reason, an unpublished one never appears; `tacase export iati`."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from tacase.cli import main
from tacase.db.models import Case
from tacase.db.session import make_engine, make_session_factory
from tacase.exports.iati import Publisher
from tacase.services import iati, public_record
from tacase.services.clock import FixedClock
from tacase.services.demo import load_demo
from tests.iati_schema import assert_valid

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PUBLISHER = Publisher("XM-DAC-41313", "Office of the United Nations High Commissioner for Human Rights")
IN_FILE = ("approved", "delivered", "evaluated")


@pytest.fixture(scope="module")
def demo(module_db, runtime):
    engine = make_engine(module_db)
    sessions = make_session_factory(engine, runtime)
    with sessions() as s:
        load_demo(s, FixedClock(NOW))
        s.commit()
    yield sessions
    engine.dispose()


@pytest.fixture
def session(demo):
    """A session on the demo data whose changes are never committed."""
    with demo() as s:
        yield s
        s.rollback()


def published_in_file(session) -> set[str]:
    return set(session.scalars(select(Case.reference).where(public_record.published(),
                                                            Case.status.in_(IN_FILE))))


def export(session) -> tuple[bytes, list[iati.LeftOut]]:
    left_out: list[iati.LeftOut] = []
    data = b"".join(iati.chunks(session, PUBLISHER, NOW, left_out=left_out))
    return data, left_out


def identifiers(document) -> set[str]:
    return {e.text.removeprefix("XM-DAC-41313-") for e in document.iter("iati-identifier")}


def test_the_demo_data_makes_a_valid_file_with_every_published_approved_request(session):
    data, left_out = export(session)
    document = assert_valid(data)
    expected = published_in_file(session)
    assert len(expected) >= 40  # a good number of activities
    assert left_out == []
    assert identifiers(document) == expected and len(document) == len(expected)
    statuses = {a.find("activity-status").get("code") for a in document}
    assert statuses == {"2", "3", "4"}
    assert document.find("iati-activity/transaction") is not None


def test_a_request_that_breaks_a_rule_is_left_out_with_its_reason(session):
    reference = sorted(published_in_file(session))[0]
    case = session.scalar(select(Case).where(Case.reference == reference))
    case.title = " "
    session.flush()
    data, left_out = export(session)
    document = assert_valid(data)
    assert reference not in identifiers(document)
    assert [(item.reference, item.reasons) for item in left_out] == [
        (reference, ("it has no public title",))]
    assert iati.check(session, PUBLISHER, NOW) == (len(document), left_out)


def test_an_unpublished_request_never_appears(session):
    reference = sorted(published_in_file(session))[0]
    session.execute(update(Case).where(Case.reference == reference).values(consent_to_publish=False))
    data, left_out = export(session)
    assert reference.encode() not in data and left_out == []
    never = session.scalars(select(Case.reference).where(Case.consent_to_publish.is_(False))).all()
    assert never and not any(ref.encode() in data for ref in never)


def test_the_build_keeps_the_file_and_what_it_left_out(session):
    from tacase.services.actors import Actor

    row = iati.build(session, NOW, PUBLISHER)
    assert row.media_type == "application/xml; charset=utf-8" and iati.content(session) == row.content
    admin = Actor(id=1, name="admin@example.org", roles=frozenset({"admin"}))
    assert iati.left_out_report(session, admin) == ([], NOW)
    assert not iati.build_if_due(session, NOW + dt.timedelta(minutes=59), PUBLISHER,
                                 every=dt.timedelta(hours=1))
    assert iati.build_if_due(session, NOW + dt.timedelta(hours=1), PUBLISHER, every=dt.timedelta(hours=1))


# --- the command --------------------------------------------------------------------------------

@pytest.fixture
def cli(demo, module_db, monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", module_db)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_export_iati_out_writes_the_file(cli, demo, tmp_path):
    path = tmp_path / "nested" / "iati-activities.xml"
    result = cli("export", "iati", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}: " in result.output
    document = assert_valid(path.read_bytes())
    with demo() as s:
        assert identifiers(document) == published_in_file(s)
    assert not list(path.parent.glob(".*.part"))


def test_export_iati_check_names_each_request_left_out(cli, demo):
    result = cli("export", "iati", "--check")
    assert result.exit_code == 0 and "requests left out: 0" in result.output
    with demo() as s:
        reference = s.scalars(select(Case.reference).where(
            public_record.published(), Case.status == "approved").order_by(Case.reference)).first()
        case = s.scalar(select(Case).where(Case.reference == reference))
        planned_start = case.planned_start
        case.planned_start = None
        s.commit()
    try:
        result = cli("export", "iati", "--check")
        assert result.exit_code == 1
        assert f"{reference}: left out:" in result.output and "requests left out: 1" in result.output
    finally:
        with demo() as s:
            s.execute(update(Case).where(Case.reference == reference).values(planned_start=planned_start))
            s.commit()
