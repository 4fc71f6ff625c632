"""The account's STS quota: GetFederationToken and AssumeRole share 600 calls per second (configurable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.config import Config, ConfigError
from localcloud.server import RunningServer, start_in_thread
from tests.localcloud.test_sts import Clock, error_code, federation_request, sts
from tests.localcloud.test_sts_assume_role import ROLES, UPLOADER_ARN, assume


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(tmp_path: Path, clock: Clock) -> Iterator[RunningServer]:
    server = start_in_thread(Config(data_dir=tmp_path / "limited", clock=clock, sts_rate=2, roles=ROLES))
    yield server
    server.stop()


def test_it_counts_both_actions_against_one_quota(limited: RunningServer, clock: Clock) -> None:
    sts(limited).GetFederationToken(federation_request())
    assume(limited, role_arn=UPLOADER_ARN)

    refused = error_code(lambda: sts(limited).GetFederationToken(federation_request()))
    assert refused.get_code() == "RequestLimitExceeded"
    assert error_code(lambda: assume(limited, role_arn=UPLOADER_ARN)).get_code() == "RequestLimitExceeded"

    clock.now += 0.5  # still within the second of the first two calls
    assert error_code(lambda: assume(limited, role_arn=UPLOADER_ARN)).get_code() == "RequestLimitExceeded"
    clock.now += 0.5
    assert assume(limited, role_arn=UPLOADER_ARN).Credentials.TmpSecretId


def test_it_allows_600_calls_a_second_by_default(tmp_path: Path) -> None:
    assert Config(data_dir=tmp_path).sts_rate == 600


def test_it_reads_the_quota_and_the_duration_cap_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALCLOUD_STS_RATE", "5")
    monkeypatch.setenv("LOCALCLOUD_STS_DURATION_CAP", "30")
    config = Config.from_env(data_dir=tmp_path)
    assert (config.sts_rate, config.sts_duration_cap) == (5, 30)

    monkeypatch.setenv("LOCALCLOUD_STS_RATE", "0")
    with pytest.raises(ConfigError, match="LOCALCLOUD_STS_RATE"):
        Config.from_env(data_dir=tmp_path)
