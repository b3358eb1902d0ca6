"""Hostile JSON is refused with one sentence before it can hurt (calculator/jsontext.py):
nesting 100,000 deep, integers of thousands of digits, NaN and infinities, lone
surrogates.  Each is refused the same way by the command line (exit 2, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calculator.errors import InvalidInput
from calculator.jsontext import MAX_DEPTH, nesting_depth, parse_json
from froi.cli import main

VALID = {"settings": {"base_year": "2024-25"}, "projects": [{"project_id": "P", "costs": []}]}
HOSTILE = {
    "deep": (
        "[" * 100_000 + "]" * 100_000,
        "nests lists and objects 100,000 deep; an input is at most 20 deep "
        "(settings, projects, each project's lists and their rows)",
    ),
    "long integer": (
        '{"projects": [{"project_id": "P", "participants": ' + "9" * 5000 + "}]}",
        "is not an input this service can read: it holds a number written with 5,000 "
        "characters (999999999999...); numbers have at most 40",
    ),
    "lone surrogate": (
        '{"projects": [{"project_id": "P", "name": "\\ud800"}]}',
        "holds \\ud800 at line 1, half of a character pair that cannot be shown or saved; "
        "remove it or write the whole character",
    ),
    "NaN": (
        '{"projects": [{"project_id": "P", "participants": NaN}]}',
        "is not an input this service can read: it holds NaN, which is not a number a "
        "calculation can use",
    ),
    "Infinity": (
        '{"projects": [{"project_id": "P", "participants": -Infinity}]}',
        "is not an input this service can read: it holds -Infinity, which is not a number a "
        "calculation can use",
    ),
    "1e309": (
        '{"projects": [{"project_id": "P", "participants": 1e309}]}',
        "is not an input this service can read: it holds the number 1e309, too large to "
        "calculate with",
    ),
    "not UTF-8": (b'{"name": "\xff"}', "is not UTF-8 text; save it as UTF-8"),
    "not JSON": ('{"projects": [', "is not valid JSON: Expecting value at line 1, column 15"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_json_is_refused_with_its_sentence(case: str) -> None:
    text, message = HOSTILE[case]
    with pytest.raises(InvalidInput) as caught:
        parse_json(text, "in.json")
    (problem,) = caught.value.problems
    assert str(problem) == f"file 'in.json': {message}"


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_the_command_line_exits_2_without_a_traceback(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = HOSTILE[case]
    path = tmp_path / "in.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    assert main(["compute", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_valid_input_and_pairs_of_surrogates_are_read() -> None:
    assert parse_json(json.dumps(VALID)) == VALID
    # an escaped pair is one character (U+1F600), and brackets inside strings are text
    doc = parse_json('{"name": "\\ud83d\\ude00 [[[{{{", "n": [1, 2.5, -3e2]}')
    assert doc == {"name": "\U0001f600 [[[{{{", "n": [1, 2.5, -300.0]}
    assert isinstance(doc["n"][0], int)


def test_depth_is_measured_without_recursion() -> None:
    assert nesting_depth(b'{"a": [[{"b": "]]]]"}]]}') == 4
    assert nesting_depth(b"1") == 0
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(deep) == json.loads(deep)  # exactly at the limit is fine
