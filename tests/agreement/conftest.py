"""Shared fixtures: the shipped profiles (loaded once) and the minimal test file."""

from __future__ import annotations

from pathlib import Path

import pytest

from acuerdo.agreement import Agreement, load_profile

MINIMAL = Path(__file__).with_name("minimal.yaml")


@pytest.fixture(scope="session")
def usa_pry() -> Agreement:
    return load_profile("usa-pry-2025")


@pytest.fixture(scope="session")
def nato() -> Agreement:
    return load_profile("nato-sofa-1951")


@pytest.fixture
def minimal_text() -> str:
    return MINIMAL.read_text(encoding="utf-8")
