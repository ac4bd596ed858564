"""Shared fixtures: the real seed plan, parsed once per test session."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

from workbook import clock
from workbook.importers.seed import seed_plan, seed_text
from workbook.plan.model import Plan

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


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], dt.datetime]:
    """Fix the product's clock (workbook.clock) at a moment, so that a test and the code it runs
    agree on the date whatever the real day, hour or time zone: `fixed_clock(MERGED)`."""

    def fix(when: dt.datetime) -> dt.datetime:
        when = when.replace(microsecond=0)
        monkeypatch.setattr(clock, "now", lambda: when)
        return when

    return fix
