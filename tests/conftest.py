"""Shared fixtures: the real seed plan, parsed once per test session."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from workbook.model import Plan
from workbook.seed import seed_plan, seed_text

# "ci" keeps property tests quick; "nightly" runs the same properties at scale.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("nightly", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def seed() -> Plan:
    return seed_plan()


@pytest.fixture(scope="session")
def seed_source() -> str:
    return seed_text()
