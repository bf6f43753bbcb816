"""A shipped board file with one block replaced, written to a scratch file and loaded: the BoardError must name
the file, the field and the fix."""

import json
import os

import pytest

import boards
from tests.conftest import ROOT


def assert_board_refused(tmp_path, name, block, field, base="desktop-sim"):
    with open(os.path.join(ROOT, "boards", base + ".json")) as f:
        board = json.load(f)
    board[name] = block
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(board))
    with pytest.raises(boards.BoardError) as e:
        boards.load(str(path))
    text = str(e.value)
    assert str(path) in text and "'" + field + "'" in text and "Fix:" in text, text
