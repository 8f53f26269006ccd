"""Reading records: every record and field keeps its file and line; bad YAML names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineral_diplomacy.graph.problems import BuildFailed
from mineral_diplomacy.graph.records import Node, read_records, read_records_file


def test_records_keep_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("# comment\n- id: a/b\n  label: A\n\n- id: c/d\n  amount: {value: 1}\n")
    first, second = read_records_file(path, "r.yaml")
    assert (first.file, first.line) == ("r.yaml", 2)
    assert first.node.fields["label"].line == 3
    assert second.line == 5
    amount = second.node.fields["amount"].value
    assert isinstance(amount, Node) and amount.text("value") == "1"


def test_values_are_read_as_text_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("- id: a/b\n  signed_on: 2022-03-01\n  count: 5\n  flag: yes\n")
    (record,) = read_records_file(path, "r.yaml")
    assert [record.node.text(k) for k in ("signed_on", "count", "flag")] == ["2022-03-01", "5", "yes"]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("- id: a/b\n  label: A\n  quote: \"unclosed\n")
    with pytest.raises(BuildFailed) as failed:
        read_records_file(path, "r.yaml")
    (problem,) = failed.value.problems
    assert problem.file == "r.yaml" and problem.line >= 3 and problem.rule == "yaml-syntax"


def test_duplicate_field_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("- id: a/b\n  label: A\n  label: B\n")
    with pytest.raises(BuildFailed) as failed:
        read_records_file(path, "r.yaml")
    assert [(p.line, p.rule) for p in failed.value.problems] == [(3, "record-format")]


def test_a_file_that_is_not_a_list_is_reported(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("id: a/b\n")
    with pytest.raises(BuildFailed, match="problem"):
        read_records(tmp_path, tmp_path)


def test_an_unterminated_quote_is_reported_at_the_line_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text('- id: a\n  quote: "no closing quote\n- id: b\n  label: x\n- id: c\n  label: y\n')
    with pytest.raises(BuildFailed) as failed:
        read_records_file(path, "r.yaml")
    (problem,) = failed.value.problems
    assert problem.line == 2 and "quoted scalar" in problem.message and "line 7" in problem.message
