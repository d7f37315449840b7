"""Calls for input (questionnaires and calls for submissions): loaded from YAML, validated, frozen.

One file per call in questionnaires/, named after its key. As for the workflows, every problem is
reported with the file and the place in it, so that `tacase calls validate` tells an administrator
exactly what to fix. `to_raw` gives back the normalised mapping: a call created in the pages is stored
as that JSON, and parsing it again gives the same definition and the same sha256.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# What callers know from this module: the definition and its parts, the mapping back, the parser.
from tacase.engine.call_mapping import content_hash as content_hash
from tacase.engine.call_mapping import to_raw as to_raw
from tacase.engine.call_model import QUESTION_TYPES as QUESTION_TYPES
from tacase.engine.call_model import CallDefinition as CallDefinition
from tacase.engine.call_model import CallDefinitionError as CallDefinitionError
from tacase.engine.call_model import Column as Column
from tacase.engine.call_model import Condition as Condition
from tacase.engine.call_model import Localised as Localised
from tacase.engine.call_model import Option as Option
from tacase.engine.call_model import Question as Question
from tacase.engine.call_parsing import parse as parse

# --- loading ------------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_file(path: str | Path) -> CallDefinition:
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise CallDefinitionError([f"{path.name}: cannot be read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise CallDefinitionError([f"{path.name}: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        raise CallDefinitionError([f"{path.name}: not valid YAML: {exc}"]) from None
    return parse(raw, source=path.name, expected_key=path.stem)


# A call written in the office's pages or sent to the API: at most this much text, and no YAML
# aliases (a few lines of them expand to gigabytes).
MAX_CALL_TEXT = 200_000


def parse_text(text: str, source: str) -> CallDefinition:
    """A call from YAML (or JSON) text, with the same checks as a file's."""
    if not isinstance(text, str) or not text.strip():
        raise CallDefinitionError([f"{source}: the text of the call is empty"])
    if len(text) > MAX_CALL_TEXT:
        raise CallDefinitionError([f"{source}: the text of the call is over {MAX_CALL_TEXT} characters"])
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise CallDefinitionError([f"{source}: YAML aliases (*name) are not accepted; write it out"])
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise CallDefinitionError([f"{source}: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise CallDefinitionError([f"{source}: the text is nested too deeply"]) from None
    return parse(raw, source=source)


def load_dir(directory: str | Path) -> dict[str, CallDefinition]:
    """Every call in the directory by key; all problems of all files in one CallDefinitionError.

    A directory without call files is valid: the office need not have any call."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CallDefinitionError([f"{directory}: not a directory"])
    problems: list[str] = []
    definitions: dict[str, CallDefinition] = {}
    for path in sorted(directory.glob("*.yml")):
        problems.append(f"{path.name}: call files end in .yaml")
    for path in sorted(directory.glob("*.yaml")):
        try:
            definition = load_file(path)
        except CallDefinitionError as exc:
            problems.extend(exc.problems)
            continue
        definitions[definition.key] = definition
    if problems:
        raise CallDefinitionError(problems)
    return definitions


