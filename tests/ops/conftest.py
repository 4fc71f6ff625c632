"""Fixtures for the operations' tests: a scrape of /metrics, Django's test client as a given address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.signer.conftest import redis_cache as redis_cache  # the machine's Redis, a prefix per test

Scrape = Callable[..., float]


def scrape_value(client: Client, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when absent: a labelled counter appears with its first event)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture
def scrape() -> Scrape:
    client = Client()

    def value(name: str, **labels: str) -> float:
        return scrape_value(client, name, **labels)

    return value


@pytest.fixture
def token_client() -> Callable[[str], Client]:
    def make(token: str, **extra: Any) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Token {token}", **extra)

    return make
