"""`bench/run.py --quick` keeps working: Rete, the naive baseline and the floor agree.

Only the numbers and the shape of the table are checked here, never a time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from bench import browser, datasets, meeting_side, report, run
from rete import db
from rete.db import session_scope
from rete.meeting import build
from rete.models import Setting

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
    export = r"\| PowerPoint export \(.+?\) \| [\d.]+ m?s \(deck [\d.]+ m?s, PowerPoint [\d.]+ m?s\) · \d+ MB \|"
    assert len(re.findall(export, table)) == len(result.backends())
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


def test_the_rete_page_runs_showed_what_they_were_set_up_for(quick):
    """Each directory page run had to show its text to count (a search's card with its record,
    partners ranked for the need, the coverage's gaps): measured, and in the table with the
    page target; the HSDS export holds the demo directory."""
    result, _, _ = quick
    table = result.markdown()
    for name in ("Rete, a search", "Rete, chi può aiutare", "Rete, copertura della rete"):
        assert f"| page «{name}», warm |" in table
        for size in result.results:
            assert len(size.workspace_pages[name].seconds) == run.QUICK.workspace_pages
    for size in result.results:
        exported = size.workspace_calls["hsds_export"].counts
        assert exported["partners"] > size.workspace_calls["directory_search"].counts["partners"]
        assert exported["rows"] > exported["partners"] and exported["bytes"] > 0


def test_the_meeting_items_made_every_file_and_presented_the_matrix(quick):
    """Each export process built the whole deck (every slide, its charts) and wrote the four
    files; the page presented the matrix with its chart and prepared the meeting, each run
    checked and counted."""
    result, _, _ = quick
    for size in result.results:
        meeting = size.meeting
        export = meeting.export
        assert len(export.seconds) == run.QUICK.exports > 1  # new processes, merged
        # a chart on every slide but the title, the tiles of the numbers and the contacts
        assert export.counts == {"slides": len(build.SLIDE_TITLES), "charts": 8}
        assert export.parts["deck"] > 0 and export.parts["pptx"] > 0
        assert set(meeting.files.parts) == set(meeting_side.OTHER_FILES)
        assert all(seconds > 0 for seconds in meeting.files.parts.values())
        assert set(meeting.pages) == set(meeting_side.page_visits())
        for page in meeting.pages.values():
            assert len(page.seconds) == run.QUICK.workspace_pages
        assert size.rete_peak_mb >= export.peak_mb


def test_only_meeting_prints_the_meeting_rows_alone_and_rewrites_nothing(quick):
    result, _, _ = quick
    options = run.parse_options(["--only", "meeting"])
    assert options.only == run.MEETING and not options.is_full_run
    with pytest.raises(SystemExit):
        run.parse_options(["--only", "cruscotto"])
    meetings = [size.meeting for size in result.results]
    table = report.meeting_markdown(meetings, ["here"], load=(1.0,))
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    labels = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    expected = ["measured", *(row.label for row in report.meeting_rows())]
    assert labels == expected * len(result.backends())


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


# --- Reusing a dataset


def _mark(url: str, value: str) -> None:
    with session_scope(db.get_engine(url)) as session:
        session.execute(delete(Setting).where(Setting.key == "bench_test_kept"))
        session.add(Setting(key="bench_test_kept", value=value))
    db.dispose_engine(url)


def _kept(url: str) -> str | None:
    with Session(db.get_engine(url)) as session:
        found = session.scalar(select(Setting.value).where(Setting.key == "bench_test_kept"))
    db.dispose_engine(url)
    return found


def _step_back(url: str) -> str:
    """Downgrade the dataset by one migration, as if the code had gained one since it was made."""
    config = db.alembic_config()
    with db.get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    behind = db.schema_state(db.get_engine(url)).current
    db.dispose_engine(url)
    return str(behind)


def test_a_dataset_behind_the_code_s_schema_is_upgraded_in_place_not_made_again(tmp_path):
    made = datasets.sqlite_dataset("10k", tmp_path, regenerate=False)
    assert made.generated_now
    _mark(made.url, "the same file")
    assert _step_back(made.url) != db.head_revision()
    reused = datasets.sqlite_dataset("10k", tmp_path, regenerate=False)
    assert not reused.generated_now
    assert _kept(reused.url) == "the same file"
    assert db.schema_state(db.get_engine(reused.url)).is_current
    assert (reused.needs, reused.referrals) == (made.needs, made.referrals)
    db.dispose_engine(reused.url)


def test_a_dataset_from_newer_code_or_of_another_size_is_made_again(tmp_path):
    made = datasets.sqlite_dataset("10k", tmp_path, regenerate=False)
    _mark(made.url, "newer code")
    with db.get_engine(made.url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    db.dispose_engine(made.url)
    again = datasets.sqlite_dataset("10k", tmp_path, regenerate=False)
    assert again.generated_now and _kept(again.url) is None
    with session_scope(db.get_engine(again.url)) as session:
        marker = session.get(Setting, datasets.MARKER_KEY)
        assert marker is not None
        marker.value = datasets.marker(1)
    db.dispose_engine(again.url)
    assert datasets.sqlite_dataset("10k", tmp_path, regenerate=False).generated_now


def test_the_access_log_items_read_a_trail_of_one_entry_per_need(quick):
    """Each dataset gets its trail (bench.accesslog_side); the Registro's pages drew their
    table and each read function found a page, a day, the busiest household's readers."""
    from bench import accesslog_side

    result, _, _ = quick
    for size in result.results:
        log = size.accesslog
        assert log.trail.entries > size.dataset.needs
        found = {name: measured.counts["rows"] for name, measured in log.calls.items()}
        assert found["first_page"] == found["deep_page"] == found["user_page"] == 50
        assert found["record_page"] == 50 and found["who_saw"] == 20
        assert 0 < found["day_page"] == found["day_csv"] < 50  # a day of a 10k trail
        assert found["options"] > len(accesslog_side.MIX)  # and the dataset's own actions
        assert found["users"] >= 4 and found["login"] == 1  # the demo accounts and the bench's
        assert set(log.pages) == {
            accesslog_side.FIRST_PAGE,
            accesslog_side.HOUSEHOLD_PAGE,
            accesslog_side.USERS_PAGE,
            accesslog_side.PROFILE_PAGE,
        }
