"""Every environment variable portal/settings.py reads is in the README's configuration table and in .env.example,
and nothing else is: the documents list exactly what the code reads."""

from __future__ import annotations

from tests.portal.configuration import (
    BOOLEANS,
    SETTINGS_READS,
    env_example_names,
    env_example_values,
    other_environment_reads,
    readme_names,
)


def test_it_finds_the_settings_reads_it_compares() -> None:
    # A parser that found nothing would make the comparisons below vacuous.
    assert {"CLOUD_BACKEND", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "BEHIND_TLS_PROXY"} <= set(SETTINGS_READS)
    assert len(SETTINGS_READS) > 30


def test_it_reads_the_environment_only_through_the_env_helpers() -> None:
    assert other_environment_reads() == []


def test_it_reads_every_boolean_through_envbool() -> None:
    assert [name for name, how in SETTINGS_READS.items() if how == "env.bool"] == []
    assert {"DEBUG", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY"} <= BOOLEANS


def test_it_documents_every_variable_in_the_readme() -> None:
    documented = readme_names()
    assert sorted(set(SETTINGS_READS) - documented) == [], "read by portal/settings.py, missing from README.md"
    assert sorted(documented - set(SETTINGS_READS)) == [], "in README.md, never read by portal/settings.py"


def test_it_lists_every_variable_in_env_example() -> None:
    listed = env_example_names()
    assert len(listed) == len(set(listed)), "a variable listed twice in .env.example"
    assert sorted(set(SETTINGS_READS) - set(listed)) == [], "read by portal/settings.py, missing from .env.example"
    assert sorted(set(listed) - set(SETTINGS_READS)) == [], "in .env.example, never read by portal/settings.py"


def test_it_commits_env_example_with_empty_values() -> None:
    assert {name: value for name, value in env_example_values().items() if value} == {}
