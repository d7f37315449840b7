"""Reference data shipped with tacase: the States that may request assistance.

`data/states.csv` is derived from the "Countries & Territories Taxonomy" table of the MIT-licensed
hdx-python-country 4.2.5 package (its "Appears in DGACM list" column marks Member States).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")
REQUESTING_STATUSES = ("member", "observer")


@dataclass(frozen=True)
class State:
    iso3: str
    iso2: str
    m49: int
    un_status: str  # member, observer or other (territories, which do not request)
    names: dict[str, str]
    region: str
    subregion: str

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]

    @property
    def may_request(self) -> bool:
        return self.un_status in REQUESTING_STATUSES


@functools.cache
def all_states() -> dict[str, State]:
    text = resources.files("tacase.data").joinpath("states.csv").read_text(encoding="utf-8")
    states = {}
    for row in csv.DictReader(text.splitlines()):
        states[row["iso3"]] = State(
            iso3=row["iso3"], iso2=row["iso2"], m49=int(row["m49"]), un_status=row["un_status"],
            names={lang: row[f"name_{lang}"] for lang in LANGUAGES if row[f"name_{lang}"]},
            region=row["region"], subregion=row["subregion"],
        )
    return states


@functools.cache
def requesting_states() -> dict[str, State]:
    """Member States and observer States, by ISO alpha-3 code."""
    return {code: s for code, s in all_states().items() if s.may_request}


def requesting_state(code: str) -> State | None:
    return requesting_states().get(code) if isinstance(code, str) else None
