"""The reader of .txt note codes, and the code parser's errors."""

from __future__ import annotations

import pytest
from helpers import NABIYA, SCORES
from hypothesis import given, settings
from hypothesis import strategies as st

from nabi_music.errors import ParseError
from nabi_music.readers import read


def test_nabiya_txt_holds_the_same_codes_as_nabiya_ly():
    [melody] = read(str(SCORES / "nabiya.txt"))
    assert melody.codes == NABIYA
    assert melody.title == "nabiya"
    assert (melody.key, melody.time_signature, melody.tempo) == (None, None, None)


def test_invalid_note_code_raises_parse_error_with_line_and_column(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("g8 e8 e4 |\nf8 dd4 d4\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        read(path)
    # 'dd4' starts at column 4; the second 'd' (column 5) is where it goes wrong
    assert (info.value.source, info.value.line, info.value.col) == (str(path), 2, 5)
    assert str(info.value).startswith(f"{path}:2:5: invalid note code 'dd4'")


@settings(max_examples=300, deadline=None)
@given(
    code=st.one_of(st.text(max_size=20), st.from_regex(r"[a-gr](is|es)*[',]*\d*\.*(\*\d*/?\d*)?~?"))
)
def test_the_code_parser_raises_only_parse_errors(code):
    from nabi_music.music.notes import format_code, parse_code

    try:
        note = parse_code(code)
    except ParseError as err:
        shown = repr(code)  # echoed as written, cut to 40 characters
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        assert shown in str(err) or "outside the MIDI range" in str(err)
        assert len(str(err)) < 200 and str(err).isprintable()
    else:
        assert format_code(note) == code
