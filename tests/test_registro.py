"""The audit trail as the administrator reads it: who (never a name typed at a failed login),
what, on which record, and every detail readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import accesslog, audit, auth
from rete.db import session_scope
from rete.errors import InvalidCredentials
from rete.models import AuditEntry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TYPED = "mario.rossi.inquilino"  # what someone typed as a user name no account has


def newest(engine, count: int = 50) -> list[accesslog.LogRow]:
    return list(accesslog.page(engine, accesslog.LogFilters(), size=count).rows)


def failed_login(engine, username: str) -> None:
    with pytest.raises(InvalidCredentials):
        auth.authenticate(engine, username, "sbagliata")


def test_a_failed_login_under_an_unknown_name_is_shown_as_sconosciuto(engine, cast):
    failed_login(engine, TYPED)
    entry = newest(engine)[0]
    assert entry.username == "sconosciuto"
    assert entry.action == "accesso non riuscito"


def test_the_name_typed_at_a_failed_login_is_neither_stored_nor_shown(engine, cast):
    failed_login(engine, TYPED)
    with Session(engine) as session:
        stored = [
            value
            for entry in session.scalars(select(AuditEntry))
            for value in (entry.action, entry.entity, entry.summary)
        ]
    assert not [value for value in stored if value and "mario" in value.lower()]
    shown = [str(value) for entry in newest(engine) for value in vars(entry).values()]
    assert not [value for value in shown if "mario" in value.lower()]


def test_a_failed_login_of_an_existing_account_names_the_account(engine, cast):
    failed_login(engine, "Dora")
    entry = newest(engine)[0]
    assert (entry.username, entry.record) == ("dora", f"utente n. {cast['dora']}")


def test_what_the_system_did_is_the_system_s(engine, cast):
    created = [entry for entry in newest(engine) if entry.action == "utente creato"]
    assert created and {entry.username for entry in created} == {"sistema"}


def test_the_record_is_named_with_its_number_in_one_column(engine, cast):
    with session_scope(engine) as session:
        audit.record(
            session, "household_viewed", user_id=cast["olga"], entity="household", entity_id=12
        )
        audit.record(session, "data_cleared", entity="database")
    cleared, viewed = newest(engine)[:2]
    assert viewed.record == "nucleo n. 12"
    assert cleared.record == "database"
    assert viewed.id < cleared.id


# --- The page


@pytest.fixture
def page(engine, cast, monkeypatch) -> AppTest:
    """Registro accessi opened by the administrator, over the cast's database."""
    failed_login(engine, TYPED)
    with session_scope(engine) as session:
        audit.record(
            session,
            "demo_loaded",
            entity="database",
            summary="**200 nuclei**, 339 colloqui, 478 bisogni, 240 segnalazioni, 40 enti "
            + "e un dettaglio lungo " * 10,
        )
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["rete_user"] = auth.CurrentUser(cast["ada"], "ada", "Ada", "admin")
    app.run()
    app.switch_page("pages/registro.py").run()
    assert not app.exception
    return app


def shown_columns(app: AppTest) -> list[str]:
    """The labels of the table's columns, in the order shown."""
    table = app.dataframe[0].proto
    config = json.loads(table.columns)
    return [config[name]["label"] for name in table.column_order]


def test_the_table_shows_six_italian_columns_and_no_internal_number(page):
    assert shown_columns(page) == ["Quando", "Utente", "Ruolo", "Azione", "Oggetto", "Dettagli"]


def test_the_details_get_the_widest_column(page):
    config = json.loads(page.dataframe[0].proto.columns)
    assert config["summary"]["width"] == "large"
    fixed = [config[name]["width"] for name in ("at", "username", "role", "action", "record")]
    assert all(isinstance(width, int) for width in fixed), fixed


def test_the_unknown_user_s_failed_login_reads_sconosciuto_on_the_page(page):
    frame = page.dataframe[0].value
    failed = frame[frame["action"] == "accesso non riuscito"]
    assert list(failed["username"]) == ["sconosciuto"]
    assert not frame.map(lambda value: "mario" in str(value).lower()).any().any()


def choose_row(app: AppTest, row: int) -> None:
    """Select a row of the table, as a click on it does."""
    app.session_state[app.dataframe[0].key] = {"selection": {"rows": [row], "columns": []}}
    app.run()
    assert not app.exception


def test_a_selected_entry_is_shown_whole_as_plain_text(page):
    frame = page.dataframe[0].value
    row = int(frame.index[frame["action"] == "dati dimostrativi caricati"][0])
    choose_row(page, row)
    assert [h.value for h in page.header] == ["Voce selezionata"]
    lines = page.text[0].value.split("\n")
    details = next(line for line in lines if line.startswith("Dettagli: "))
    assert details.endswith("e un dettaglio lungo " * 9 + "e un dettaglio lungo")
    assert details.startswith("Dettagli: **200 nuclei**")  # as text: never read as Markdown
    assert "Utente: sistema" in lines
    assert "Oggetto: database" in lines


def test_without_a_selection_no_entry_is_shown(page):
    assert not page.header
    assert any("Selezionare una riga" in caption.value for caption in page.main.caption)


def test_a_selection_is_dropped_when_the_trail_grows_rather_than_moving_to_another_entry(
    page, engine, cast
):
    frame = page.dataframe[0].value
    choose_row(page, int(frame.index[frame["action"] == "accesso non riuscito"][0]))
    assert "Azione: accesso non riuscito" in page.text[0].value.split("\n")
    failed_login(engine, "dora")  # a new entry on top: every row moves down by one
    page.run()
    assert not page.exception
    assert not page.text and not page.header
