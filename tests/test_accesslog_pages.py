"""The access log through the pages (AppTest on a small demo database): «Registro accessi»
for the administrator (filters, the URL, pages, the CSV recorded when made), «Chi ha visto
questo nucleo?» on the card, and every list of personal data and every export recording its
reading once, with the role and the filters."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from rete import access, auth, bootstrap, cli, db
from rete.models import AuditEntry, Household, Interview, Need, Referral, User

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accesslog") / "demo.db"
    url = f"sqlite:///{path}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=40, seed=3)
    db.dispose_engine(url)
    return path


@pytest.fixture
def url(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    copy = tmp_path / "rete.db"
    shutil.copyfile(demo_file, copy)
    address = f"sqlite:///{copy}"
    monkeypatch.setenv("RETE_DATABASE_URL", address)
    yield address
    db.dispose_engine(address)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """The deferred downloads the page drew, by file name: calling one is what a click on its
    button makes the server do (AppTest has no browser to click it)."""
    found: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return found


def user(url: str, username: str) -> auth.CurrentUser:
    with Session(db.get_engine(url)) as session:
        row = session.scalar(select(User).where(User.username == username))
    return auth.CurrentUser(row.id, row.username, row.display_name, row.role)


def open_page(url: str, username: str, page: str, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, username)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def entries(url: str, action: str) -> list[tuple[str | None, str | None, str | None, int | None]]:
    """(username, role, summary, entity_id) of each entry of `action`, oldest first."""
    with Session(db.get_engine(url)) as session:
        rows = session.execute(
            select(User.username, AuditEntry.role, AuditEntry.summary, AuditEntry.entity_id)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        ).all()
    return [tuple(row) for row in rows]


def a_household(url: str) -> tuple[int, str]:
    """A household with live interviews and a need: (id, code)."""
    with Session(db.get_engine(url)) as session:
        return session.execute(
            select(Household.id, Household.code)
            .join(Interview, Interview.household_id == Household.id)
            .where(Interview.deleted_at.is_(None))
            .order_by(Household.id)
            .limit(1)
        ).one()


def table(app: AppTest):
    return app.dataframe[0].value


# --- Registro accessi


def test_the_registro_accessi_is_the_administrator_s_alone():
    assert access.page("registro").title == "Registro accessi"
    assert access.page("registro").roles == frozenset({"admin"})


def test_the_registro_filters_narrow_the_table_and_go_into_the_url(url):
    household, _ = a_household(url)
    open_page(url, "operatore", "nucleo", nucleo=str(household))  # household_viewed
    app = open_page(url, "admin", "registro")
    assert [t.value for t in app.title] == ["Registro accessi"]
    assert len(set(table(app)["action"])) > 1
    app.selectbox(key="al_action").set_value("household_viewed").run()
    assert not app.exception, app.exception
    frame = table(app)
    assert list(frame["action"]) == ["scheda nucleo consultata"]
    assert list(frame["username"]) == ["operatore"] and list(frame["role"]) == ["Community manager"]
    assert list(frame["record"]) == [f"nucleo n. {household}"]
    assert app.query_params["azione"] == "household_viewed"
    app.selectbox(key="al_user").set_value(user(url, "admin").id).run()
    assert any("Nessuna voce" in info.value for info in app.info)
    assert not app.dataframe


def test_an_address_with_filters_opens_the_registro_filtered_and_ignores_what_is_not_a_choice(url):
    household, _ = a_household(url)
    open_page(url, "operatore", "nucleo", nucleo=str(household))
    app = open_page(
        url, "admin", "registro", oggetto="household", numero=str(household), azione="drop_table"
    )
    assert app.selectbox(key="al_entity").value == "household"
    assert app.number_input(key="al_number").value == household
    assert app.selectbox(key="al_action").value is None  # not an action of the trail
    assert set(table(app)["record"]) == {f"nucleo n. {household}"}


def test_the_registro_pages_through_the_trail_newest_first(url):
    with Session(db.get_engine(url)) as session, session.begin():
        for _ in range(60):  # more than a page of 50
            session.add(AuditEntry(action="household_viewed", entity="household", entity_id=1))
    app = open_page(url, "admin", "registro")
    first = table(app)
    assert len(first) == 50 and app.button(key="al_prev").disabled
    app.button(key="al_next").click().run()
    second = table(app)
    assert not set(first["id"]) & set(second["id"])
    assert second["id"].max() < first["id"].min()
    assert any("Pagina 2" in c.value for c in app.caption)
    app.button(key="al_prev").click().run()
    assert list(table(app)["id"]) == list(first["id"])


def test_scarica_csv_makes_the_filtered_file_on_the_click_and_records_it(url, made):
    app = open_page(url, "admin", "registro")
    app.selectbox(key="al_action").set_value("demo_loaded").run()
    assert entries(url, "audit_exported") == []  # drawing the button makes no file
    [name] = [n for n in made if n.startswith("registro_accessi_")]
    content = made[name]()  # the click
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["N. voce", "Data e ora (Roma)", "Data e ora (UTC)"]
    assert {line[5] for line in lines[1:]} == {"dati dimostrativi caricati"}
    assert entries(url, "audit_exported") == [
        ("admin", "admin", "azione: dati dimostrativi caricati", None)
    ]


# --- Chi ha visto questo nucleo?


def test_the_card_says_who_saw_the_household_to_operatore_and_admin(url):
    household, _ = a_household(url)
    open_page(url, "operatore", "nucleo", nucleo=str(household))
    app = open_page(url, "admin", "nucleo", nucleo=str(household))
    [box] = [e for e in app.expander if e.label == "Chi ha visto questo nucleo?"]
    lines = box.text[0].value.split("\n")
    assert lines[0].endswith("· admin (Amministratore) · scheda nucleo consultata")
    assert lines[1].endswith("· operatore (Community manager) · scheda nucleo consultata")
    links = [link for link in app.get("page_link") if "Registro accessi" in link.proto.label]
    assert links and links[0].proto.query_string == f"oggetto=household&numero={household}"
    app = open_page(url, "operatore", "nucleo", nucleo=str(household))
    [box] = [e for e in app.expander if e.label == "Chi ha visto questo nucleo?"]
    assert not [link for link in app.get("page_link") if "Registro accessi" in link.proto.label]


# --- Lists of personal data, recorded once per user, list and filters


def test_the_colloqui_list_is_recorded_with_its_filters_once_per_view(url):
    app = open_page(url, "operatore", "colloqui")
    app.run()  # a rerun: still one entry
    assert entries(url, "interviews_listed") == [
        ("operatore", "operatore", "nessun filtro; pagina 1", None)
    ]
    app.toggle(key="iv_open").set_value(True).run()
    app.run()
    assert [summary for _, _, summary, _ in entries(url, "interviews_listed")] == [
        "nessun filtro; pagina 1",
        "solo con bisogni aperti; pagina 1",
    ]


def test_the_colloqui_list_of_one_household_names_it_and_an_opened_interview_is_recorded(url):
    household, code = a_household(url)
    app = open_page(url, "operatore", "colloqui")
    app.text_input(key="iv_code").input(code).run()
    assert entries(url, "interviews_listed")[-1] == (
        "operatore",
        "operatore",
        "un nucleo per codice; pagina 1",
        household,
    )
    assert code not in str(entries(url, "interviews_listed"))  # never the code itself
    app.session_state[app.dataframe[0].key] = {"selection": {"rows": [0], "columns": []}}
    app.run()
    app.run()
    viewed = entries(url, "interview_viewed")
    assert len(viewed) == 1 and viewed[0][:2] == ("operatore", "operatore")


def test_the_deleted_interviews_list_is_recorded_for_the_administrator(url):
    with Session(db.get_engine(url)) as session:
        interview = session.scalar(select(Interview.id).order_by(Interview.id).limit(1))
    from rete import records
    from rete.db import session_scope

    with session_scope(db.get_engine(url)) as session:
        records.soft_delete_interview(session, user(url, "admin"), interview)
    app = open_page(url, "admin", "colloqui")
    app.toggle(key="iv_deleted").set_value(True).run()
    assert entries(url, "deleted_interviews_listed") == [("admin", "admin", "pagina 1", None)]


def test_da_seguire_is_recorded_with_its_filters_once_per_view(url):
    app = open_page(url, "operatore", "da_seguire")
    app.run()
    assert entries(url, "followup_listed") == [
        ("operatore", "operatore", "nessun filtro; pagina 1", None)
    ]
    areas = app.multiselect(key="fu_area")
    areas.select(areas.options[0]).run()
    newest = entries(url, "followup_listed")[-1]
    assert newest[2].startswith("aree: ") and newest[2].endswith("; pagina 1")


def test_the_card_search_records_the_households_it_shows_never_what_was_typed(url):
    household, code = a_household(url)
    app = open_page(url, "operatore", "nucleo")
    app.text_input(key="card_search").input(code[:3]).run()
    app.text_input(key="card_search").input(code[:4]).run()  # typing on: the same list kind
    assert entries(url, "households_searched") == [
        ("operatore", "operatore", "risultati della ricerca per codice (scheda nucleo)", None)
    ]
    app.text_input(key="card_search").input(code).run()
    assert entries(url, "households_searched")[-1][3] == household  # one household: named


def test_the_new_interview_s_household_picker_records_the_households_it_offers(url):
    _, code = a_household(url)
    app = open_page(url, "operatore", "nuovo_colloquio")
    app.text_input(key="ni_code").input(code[:3]).run()
    assert entries(url, "households_searched") == [
        ("operatore", "operatore", "risultati della ricerca per codice (nuovo colloquio)", None)
    ]


def test_the_referral_form_records_the_need_it_shows(url):
    with Session(db.get_engine(url)) as session:
        need = session.scalar(
            select(Need.id)
            .join(Interview, Interview.id == Need.interview_id)
            .where(Interview.deleted_at.is_(None), Need.status == "open")
            .order_by(Need.id)
            .limit(1)
        )
    app = open_page(url, "operatore", "segnala", bisogno=str(need))
    app.run()
    assert entries(url, "need_viewed") == [("operatore", "operatore", None, need)]


# --- Exports, recorded when the file is made


def test_a_cruscotto_csv_is_recorded_with_its_filters_when_made(url, made):
    app = open_page(url, "direzione", "cruscotto")
    assert entries(url, "dashboard_exported") == []
    content = made["bisogni_per_area.csv"]()
    assert content.startswith(b"\xef\xbb\xbfArea;Bisogni")
    [(who, role, summary, _)] = entries(url, "dashboard_exported")
    assert (who, role) == ("direzione", "direzione")
    assert summary.startswith("bisogni_per_area.csv; periodo: ")
    areas = app.multiselect(key="f_areas")
    areas.select(areas.options[0]).run()
    made["esiti_segnalazioni_per_ente.csv"]()
    assert "aree n. " in entries(url, "dashboard_exported")[-1][2]


def test_the_directory_s_files_are_recorded_when_made(url, made):
    app = open_page(url, "direzione", "rete_enti")
    app.segmented_control(key="dir_view").set_value("scambio").run()
    assert entries(url, "directory_exported") == []
    for name in sorted(made):
        assert made[name]()
    assert sorted(summary for _, _, summary, _ in entries(url, "directory_exported")) == [
        "Open Referral (JSON)",
        "Open Referral (zip di CSV)",
        "Referenti (Excel)",
    ]
    assert {(who, role) for who, role, _, _ in entries(url, "directory_exported")} == {
        ("direzione", "direzione")
    }


def test_the_command_line_s_hsds_export_is_recorded_as_the_system_s(url, tmp_path):
    assert cli.main(["export-hsds", str(tmp_path / "enti.zip")]) == 0
    [(who, role, summary, _)] = entries(url, "directory_exported")
    assert (who, role) == (None, None)
    assert summary.startswith("Open Referral (zip di CSV), da riga di comando: ")
    assert str(tmp_path) not in summary


def test_the_demo_has_open_referrals_for_da_seguire_to_list(url):
    """Guard for the fixtures: the demo has referrals, so «Da seguire» lists something."""
    with Session(db.get_engine(url)) as session:
        assert session.scalar(select(Referral.id).where(Referral.status == "sent").limit(1))
