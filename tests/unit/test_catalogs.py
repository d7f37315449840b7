"""The French and Spanish catalogs translate every text, and their compiled files are up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "tacase" / "translations"


def ids(catalog) -> set:
    """Message ids; a plural's (singular, plural) pair as a tuple, however the file type holds it."""
    return {tuple(m.id) if isinstance(m.id, list | tuple) else m.id for m in catalog if m.id}


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_message_is_translated_and_compiled(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        catalog = read_po(f)
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not missing, f"untranslated or fuzzy in {language}: {missing[:5]}"
    assert ids(template) <= ids(catalog), "run `make translations`"
    with (folder / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    assert ids(compiled) == ids(catalog), "run `make translations`"
