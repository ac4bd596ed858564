"""The demo's master opened and printed by LibreOffice: every item readable, nothing clipped."""

from __future__ import annotations

import re

import pytest
from office import needs_office, pdf_pages, pdf_text, to_pdf

from workbook.master.write import write_master
from workbook.plan.model import Plan

pytestmark = needs_office


@pytest.fixture(scope="module")
def printed(seed: Plan, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    d = tmp_path_factory.mktemp("print")
    master = d / "master.xlsx"
    write_master(seed, master)
    pdf = to_pdf(master, d)
    return _squash(pdf_text(pdf)), pdf_pages(pdf)


def _squash(text: str) -> str:
    # a line may break after a hyphen ("decision-" / "making"): join it back
    return re.sub(r"(?<=\w)-\s+", "-", re.sub(r"\s+", " ", text))


def _tail(text: str, words: int = 4) -> str:
    return _squash(" ".join(text.split()[-words:]))


def test_title_key_and_header_print(printed: tuple[str, int]) -> None:
    text, pages = printed
    for expected in (
        "OFSTED ACTION PLAN",
        "March 2023",
        "RAG status Key",
        "On Target for delivery",
        "Major Issues preventing delivery",
        "Time-scale",
    ):
        assert expected in text
    assert 3 <= pages <= 20
    assert f"Page 1 of {pages}" in text


def test_every_item_prints_whole(printed: tuple[str, int], seed: Plan) -> None:
    """The last words of each finding, action and update are on paper: no row cut short."""
    text, _ = printed
    for it in seed.items:
        assert it.ref in text
        for part in (it.finding_text, it.actions[-1], *(u.text for u in it.updates)):
            assert _tail(part) in text, (it.ref, _tail(part))
