from __future__ import annotations

import pytest

from qcloud.buckets import BucketNameError, full_bucket_name, is_valid_appid, split_bucket, validate_bucket_name


@pytest.mark.parametrize("name", ["a", "photos", "my-photos-2024", "0", "a-b", "x" * 50, "1-2-3"])
def test_it_accepts_valid_names(name: str) -> None:
    validate_bucket_name(name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "bucket name must not be empty"),
        ("x" * 51, "bucket name must be at most 50 characters, got 51"),
        ("Photos", "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got 'P' at position 1"),
        ("my_photos", "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got '_' at position 3"),
        ("my.photos", "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got '.' at position 3"),
        ("photos ", "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got ' ' at position 7"),
        ("phötos", "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got 'ö' at position 3"),
        ("-photos", "bucket name must not start with '-'"),
        ("photos-", "bucket name must not end with '-'"),
        ("-", "bucket name must not start with '-'"),
    ],
)
def test_it_names_the_rule_a_bad_name_breaks(name: str, message: str) -> None:
    with pytest.raises(BucketNameError) as caught:
        validate_bucket_name(name)
    assert str(caught.value) == message


def test_it_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        validate_bucket_name("")


def test_it_builds_full_names() -> None:
    assert full_bucket_name("photos", "1250000000") == "photos-1250000000"


def test_it_refuses_to_build_from_a_bad_name_or_appid() -> None:
    with pytest.raises(BucketNameError, match=r"^bucket name must not end with '-'$"):
        full_bucket_name("photos-", "1250000000")
    with pytest.raises(BucketNameError, match=r"^appid must be digits only, got '12a'$"):
        full_bucket_name("photos", "12a")
    with pytest.raises(BucketNameError, match=r"^appid must be digits only, got ''$"):
        full_bucket_name("photos", "")


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("photos-1250000000", ("photos", "1250000000")),
        ("my-photos-1250000000", ("my-photos", "1250000000")),
        ("2024-1250000000", ("2024", "1250000000")),
    ],
)
def test_it_splits_full_names(full: str, parts: tuple[str, str]) -> None:
    assert split_bucket(full) == parts
    assert full_bucket_name(*parts) == full


@pytest.mark.parametrize(
    ("full", "message"),
    [
        ("photos", "bucket 'photos' must be written as <name>-<appid>, e.g. 'photos-1250000000'"),
        ("-1250000000", "bucket '-1250000000' must be written as <name>-<appid>, e.g. 'photos-1250000000'"),
        ("", "bucket '' must be written as <name>-<appid>, e.g. 'photos-1250000000'"),
        ("photos-abc", "appid must be digits only, got 'abc'"),
        ("photos-", "appid must be digits only, got ''"),
        (
            "Photos-1250000000",
            "bucket name may contain only lowercase letters a-z, digits 0-9 and '-', got 'P' at position 1",
        ),
        ("photos--1250000000", "bucket name must not end with '-'"),
        ("x" * 51 + "-1250000000", "bucket name must be at most 50 characters, got 51"),
    ],
)
def test_it_refuses_to_split_what_is_not_a_bucket(full: str, message: str) -> None:
    with pytest.raises(BucketNameError) as caught:
        split_bucket(full)
    assert str(caught.value) == message


def test_it_recognises_appids() -> None:
    assert is_valid_appid("1250000000")
    assert is_valid_appid("7")
    assert not is_valid_appid("")
    assert not is_valid_appid("125000000a")
    assert not is_valid_appid("-125")
    assert not is_valid_appid("١٢٣")  # Arabic-Indic digits are digits to str.isdigit, not to COS
    assert not is_valid_appid(" 125")
