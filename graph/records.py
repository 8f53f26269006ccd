"""Reading the hand-edited YAML records, keeping the file and line of every record and field.

A records file is a YAML list; each item is one record: a mapping with ``id``, ``source``,
``quote`` and fields named by the ontology's record keys (see ``ontology/vocabulary.py``). Every
scalar is read as text (no YAML guessing of dates or numbers); the build converts values by the
ontology's ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import yaml

from .problems import BuildFailed, Problem

Value = Union[str, "Node", list[Union[str, "Node"]]]


@dataclass(frozen=True)
class Field:
    """One ``key: value`` of a record, with the line it is on."""

    key: str
    value: Value
    line: int


@dataclass(frozen=True)
class Node:
    """A YAML mapping: a record, or a nested value such as an amount."""

    fields: dict[str, Field]
    line: int

    def text(self, key: str) -> str | None:
        """The value of a single-text field, or None when it is absent."""
        field = self.fields.get(key)
        return field.value if field and isinstance(field.value, str) else None

    def plain(self) -> dict[str, object]:
        """The mapping as plain values (texts, lists and mappings), without lines."""
        return {key: _plain(field.value) for key, field in self.fields.items()}


def _plain(value: Value) -> object:
    if isinstance(value, Node):
        return value.plain()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Record:
    """One record: a mapping read from a records file."""

    file: str
    node: Node

    @property
    def line(self) -> int:
        return self.node.line


def _convert(node: yaml.Node, file: str, problems: list[Problem]) -> Value:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return str(node.value).strip()
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(item, file, problems) for item in node.value]
        flat: list[str | Node] = []
        for item in items:
            if isinstance(item, list):
                problems.append(
                    Problem(file, line, "record-format", "A list inside a list is not allowed.",
                            "Write the values as one flat list.")
                )
            else:
                flat.append(item)
        return flat
    assert isinstance(node, yaml.MappingNode)
    fields: dict[str, Field] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        key_line = key_node.start_mark.line + 1
        if key in fields:
            problems.append(
                Problem(file, key_line, "record-format", f"The field '{key}' appears twice.",
                        "Keep one; put several values in a list: [a, b].")
            )
            continue
        fields[key] = Field(key, _convert(value_node, file, problems), key_line)
    return Node(fields, line)


def read_records_file(path: Path, display_name: str) -> list[Record]:
    """The records of one YAML file; raises BuildFailed naming the file and line of any error."""
    problems: list[Problem] = []
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        # where the construct began (an unterminated quote: its opening line), else the problem
        mark = error.context_mark or error.problem_mark
        line = mark.line + 1 if mark else 0
        where = (f" {error.context} (the problem shows at line {error.problem_mark.line + 1})"
                 if error.context_mark and error.problem_mark else "")
        raise BuildFailed("read", [
            Problem(display_name, line, "yaml-syntax", f"This is not valid YAML: {error.problem}{where}.",
                    "Check indentation and quoting on this line; quote text containing ': '.")
        ]) from error
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise BuildFailed("read", [
            Problem(display_name, root.start_mark.line + 1, "record-format",
                    "A records file must be a list of records.",
                    "Start each record with '- id: ...'.")
        ])
    records = []
    for item in root.value:
        value = _convert(item, display_name, problems)
        if isinstance(value, Node):
            records.append(Record(display_name, value))
        else:
            problems.append(
                Problem(display_name, item.start_mark.line + 1, "record-format",
                        "Each item of a records file must be a record (a set of 'key: value').",
                        "Write the record as '- id: ...' followed by its fields.")
            )
    if problems:
        raise BuildFailed("read", problems)
    return records


def read_records(records_dir: Path, project_dir: Path) -> list[Record]:
    """Every record of every ``*.yaml`` file under ``records_dir``, in file order."""
    records: list[Record] = []
    problems: list[Problem] = []
    for path in sorted(records_dir.glob("*.yaml")):
        try:
            display = str(path.relative_to(project_dir))
        except ValueError:
            display = str(path)
        try:
            records.extend(read_records_file(path, display))
        except BuildFailed as failed:
            problems.extend(failed.problems)
    if problems:
        raise BuildFailed("read", problems)
    return records
