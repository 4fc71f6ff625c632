"""Property tests for glob_match, against a plain dynamic-programming reference."""

from __future__ import annotations

import time
from functools import cache

from hypothesis import example, given, settings
from hypothesis import strategies as st

from qcloud.policy import glob_match

# A small alphabet makes matches (and near misses) common; "?" and "[" prove nothing but `*` is special.
ALPHABET = "ab/*?[.é"
patterns = st.text(alphabet=ALPHABET, max_size=12)
values = st.text(alphabet=ALPHABET, max_size=16)  # a "*" in a value is just a character


def reference(pattern: str, value: str) -> bool:
    """Textbook recursion: `*` matches "" or eats one more character; everything else matches itself."""

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return match(i + 1, j) or (j < len(value) and match(i, j + 1))
        return j < len(value) and pattern[i] == value[j] and match(i + 1, j + 1)

    return match(0, 0)


@given(patterns, values)
@example("a*b*c", "aXbXc")
@example("*/*", "/")
@example("a*", "a")
@example("*a", "a")
@example("**", "")
@example("a*a", "a")
@example("ab*ab", "ab")
@example("*ab*ab*", "abab")
@settings(max_examples=2000, deadline=None)
def test_it_agrees_with_the_reference(pattern: str, value: str) -> None:
    assert glob_match(pattern, value) is reference(pattern, value)


@given(st.text(alphabet=ALPHABET.replace("*", ""), max_size=20), st.text(max_size=20))
@settings(max_examples=500)
def test_it_matches_a_literal_pattern_only_with_itself(literal: str, other: str) -> None:
    assert glob_match(literal, literal)
    assert glob_match(literal, other) is (literal == other)


@given(st.text(max_size=50))
def test_it_matches_everything_with_a_star(value: str) -> None:
    assert glob_match("*", value)
    assert glob_match("**", value)


@given(st.text(max_size=20), st.text(max_size=20))
def test_it_matches_prefixes_and_suffixes(prefix: str, rest: str) -> None:
    literal = prefix.replace("*", "")
    assert glob_match(literal + "*", literal + rest)
    assert glob_match("*" + literal, rest + literal)


@given(patterns, values)
@settings(max_examples=500)
def test_it_treats_question_marks_as_plain_characters(pattern: str, value: str) -> None:
    assert glob_match(pattern.replace("?", "q"), value.replace("?", "q")) is (
        reference(pattern.replace("?", "q"), value.replace("?", "q"))
    )
    if "?" not in value and "?" in pattern:
        assert not glob_match(pattern, value)


def test_it_stays_fast_on_patterns_with_many_stars() -> None:
    # A backtracking matcher (or a regex of `.*` pieces) takes exponential time on these.
    value = "a" * 20_000
    pattern = "a*" * 200 + "b"
    started = time.perf_counter()
    assert not glob_match(pattern, value)
    assert glob_match("*a" * 200 + "*", value)
    assert not glob_match("*a" * 200 + "*b*", value)
    assert time.perf_counter() - started < 1.0
