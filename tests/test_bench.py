"""`bench/run.py --quick` keeps working: Rete, the naive baseline and the floor agree.

Only the numbers and the shape of the table are checked here, never a time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import browser, report, run

POSTGRES_URL = os.environ.get("RETE_TEST_POSTGRES_URL")
BENCH_DIR = Path(report.README).parent


def _what_a_run_could_touch() -> tuple[set[Path], str, dict[Path, float]]:
    """The files under bench/, the README's text, and when each dataset last changed."""
    files = {p for p in BENCH_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    datasets = {p: p.stat().st_mtime for p in files if p.parent.name == "data"}
    return files, report.README.read_text(encoding="utf-8"), datasets


@pytest.fixture(scope="module")
def quick() -> tuple[report.Report, tuple[object, ...], tuple[object, ...]]:
    """One quick run for the whole module (PostgreSQL too when its URL is set)."""
    before = _what_a_run_could_touch()
    result = run.run_quick(postgres_url=POSTGRES_URL)
    return result, before, _what_a_run_could_touch()


def test_rete_the_naive_baseline_and_the_floor_give_the_same_numbers(quick):
    result, _, _ = quick
    for size in result.results:
        assert size.disagreements, "nothing was compared"
        assert size.agree, size.disagreements


def test_both_filter_cases_are_compared_for_every_implementation(quick):
    result, _, _ = quick
    for size in result.results:
        assert set(size.disagreements) == {
            "floor, default",
            "floor, area",
            "naive, default",
            "naive, area",
        }


def test_the_quick_run_measures_10k_needs_only(quick):
    result, _, _ = quick
    assert {size.dataset.label for size in result.results} == {"10k"}
    assert all(9_000 < size.dataset.needs < 11_000 for size in result.results)


def test_the_table_has_a_row_per_measured_item(quick):
    result, _, _ = quick
    table = result.markdown()
    for label in report.row_labels():
        assert table.count(f"| {label} |") == len(result.backends())
    assert "| PowerPoint export | n/d (non ancora disponibile) |" in table
    assert "| numbers: Rete = naive = floor (default view, one area) | equal |" in table


def test_the_quick_run_writes_nothing_into_the_repository(quick):
    _, before, after = quick
    assert after == before


@pytest.mark.skipif(
    not POSTGRES_URL, reason="RETE_TEST_POSTGRES_URL is not set: PostgreSQL skipped"
)
def test_postgresql_is_measured_when_its_url_is_set(quick):
    result, _, _ = quick
    assert result.backends() == ["SQLite", "PostgreSQL"]


def test_the_workspace_items_open_the_records_chosen_for_them(quick):
    result, _, _ = quick
    for size in result.results:
        chosen = size.subjects
        calls = {name: measured.counts for name, measured in size.workspace_calls.items()}
        assert chosen.household_interviews >= 2
        assert calls["household_card"]["interviews"] == chosen.household_interviews
        assert calls["interview_page_code"]["rows"] == chosen.household_interviews
        assert calls["interview_page"] == {"rows": 25, "has_next": 1}
        assert 0 < calls["open_referrals"]["overdue"] < calls["open_referrals"]["open"]
        assert calls["propose_partners"]["partners"] > 0
        assert set(size.workspace_pages) == set(report.WORKSPACE_PAGES)
        assert len(size.referral_moves.seconds) == len(size.referral_sends.seconds) > 0


def test_the_directory_items_find_partners_gaps_and_entries_to_check(quick):
    """The demo directory: the search's word and area find partners whose records hold
    referrals; the coverage counts every need of the period and finds the demo's gaps."""
    result, _, _ = quick
    for size in result.results:
        found = size.workspace_calls["directory_search"].counts
        section = size.workspace_calls["coverage_section"].counts
        assert 0 < found["cards"] <= found["partners"]
        assert found["received"] > 0
        assert 9_000 < section["needs"] <= size.dataset.needs
        assert 0 < section["uncovered"] < section["needs"]
        assert section["gap_needs"] >= section["gap_cells"] > 0


def test_chromium_draws_and_redraws_the_cruscotto_or_says_why_not(quick):
    """The quick run's one browser session: Rete at 10k logged in, drew its five charts, and
    drew them again after an area was chosen (the bare page and the demo volume are left to
    the full run); without Chromium, the table says why nothing was measured."""
    result, _, _ = quick
    table = result.markdown()
    assert "### In the browser" in table
    sqlite = [size for size in result.results if size.dataset.backend == "SQLite"]
    if browser.missing():
        assert result.browser_skipped == browser.missing()
        assert f"Not measured in this run: {browser.missing()}." in table
        return
    assert result.browser == ()  # the quick run skips the yardsticks
    for size in sqlite:
        measured = size.browser
        assert measured is not None and measured.needs == size.dataset.needs
        assert len(measured.draw) == len(measured.redraw) == 1
        assert measured.draw_median > 0 and measured.redraw_median > 0
        assert measured.parts["draw busy"] > 0
    for label in report.browser_row_labels():
        assert table.count(f"| {label} |") == 1
