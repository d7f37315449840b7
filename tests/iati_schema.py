"""The IATI 2.03 schema, read from outside the repository (it is never copied into it): from
TACASE_IATI_SCHEMA_DIR, or `../shared/iati-2.03/` beside the repository's root. A test that needs it
is skipped, saying where it looked, when the files are not there."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = ("iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd")


def schema_dir() -> Path:
    given = os.environ.get("TACASE_IATI_SCHEMA_DIR")
    return Path(given) if given else ROOT.parent / "shared" / "iati-2.03"


@functools.cache
def _schema(directory: Path):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(directory / FILES[0])))


def schema():
    """The schema as lxml reads it, or the test is skipped."""
    directory = schema_dir()
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        pytest.skip(f"the IATI 2.03 schema is not in {directory} (missing {', '.join(missing)}); "
                    "set TACASE_IATI_SCHEMA_DIR to the folder that holds it")
    return _schema(directory)


def assert_valid(data: bytes):
    """The file parsed, after checking it against the schema; its errors are the assertion's message."""
    from lxml import etree

    checker = schema()
    document = etree.fromstring(data)
    assert checker.validate(document), "\n".join(str(e) for e in checker.error_log)
    return document
