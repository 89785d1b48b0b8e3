"""The community manager's pages driven as a user would, through Streamlit's AppTest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import auth, bootstrap, db, referrals
from rete.db import session_scope
from rete.models import (
    AuditEntry,
    Household,
    Interview,
    Need,
    Referral,
    User,
)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
HOSTILE_NOTE = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) :material/home: $x$"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workspace") / "demo.db"
    url = f"sqlite:///{path}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=80, seed=5)
    db.dispose_engine(url)
    return path


@pytest.fixture
def url(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the demo database for each test: these tests write."""
    copy = tmp_path / "rete.db"
    shutil.copyfile(demo_file, copy)
    address = f"sqlite:///{copy}"
    monkeypatch.setenv("RETE_DATABASE_URL", address)
    yield address
    db.dispose_engine(address)


def engine(url: str):
    return db.get_engine(url)


def user(url: str, username: str) -> auth.CurrentUser:
    with Session(engine(url)) as session:
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


def count(url: str, model) -> int:
    with Session(engine(url)) as session:
        return session.scalar(select(func.count()).select_from(model))


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


# --- Nuovo colloquio


def fill_need(app: AppTest, row: int, area: str, need: str) -> None:
    area_box = app.selectbox(key=f"ni_area_{row}")
    area_box.select(next(o for o in area_box.options if o == area)).run()
    need_box = app.selectbox(key=f"ni_need_{row}")
    need_box.select(next(o for o in need_box.options if o == need)).run()


def test_a_new_household_and_its_interview_with_two_needs_are_saved(url):
    app = open_page(url, "operatore", "nuovo_colloquio")
    households, interviews = count(url, Household), count(url, Interview)
    app.text_input(key="ni_code").input("va-999001").run()
    assert app.radio(key="ni_household").value == -1  # "Nuovo nucleo con codice VA-999001"
    places = app.selectbox(key="ni_neighbourhood")
    places.select(places.options[0]).run()
    fill_need(app, 0, "Economica", "Utenze ed energia")
    app.button(key="ni_add").click().run()
    fill_need(app, 1, "Salute", "Salute mentale")
    app.button(key="ni_save").click().run()
    assert not app.exception and not errors(app)
    assert "Colloquio salvato" in app.success[0].value
    assert (count(url, Household), count(url, Interview)) == (households + 1, interviews + 1)
    with Session(engine(url)) as session:
        household = session.scalar(select(Household).where(Household.code == "VA-999001"))
        interview = session.scalar(select(Interview).where(Interview.household_id == household.id))
        assert interview.operator_id == user(url, "operatore").id
        assert (
            session.scalar(
                select(func.count()).select_from(Need).where(Need.interview_id == interview.id)
            )
            == 2
        )
    # The second run of a double click finds no save button: nothing is saved twice.
    assert not [b for b in app.button if b.key == "ni_save"]


def test_a_code_that_exists_is_offered_never_duplicated(url):
    with Session(engine(url)) as session:
        code = session.scalar(select(Household.code).order_by(Household.id))
    app = open_page(url, "operatore", "nuovo_colloquio")
    app.text_input(key="ni_code").input(code.lower()).run()
    picked = app.radio(key="ni_household")
    assert picked.value != -1 and -1 not in picked.options
    assert not [s for s in app.selectbox if s.key == "ni_neighbourhood"]


def test_an_invalid_interview_shows_the_error_by_the_field_and_keeps_what_was_typed(url):
    app = open_page(url, "operatore", "nuovo_colloquio")
    before = count(url, Interview), count(url, Household)
    app.text_input(key="ni_code").input("VA-777").run()
    app.text_area(key="ni_notes").input("Parlato con la figlia.").run()
    app.button(key="ni_save").click().run()
    assert len(errors(app)) == 1 and "Quartiere non valido" in errors(app)[0]
    assert app.text_input(key="ni_code").value == "VA-777"
    assert app.text_area(key="ni_notes").value == "Parlato con la figlia."
    assert (count(url, Interview), count(url, Household)) == before
    places = app.selectbox(key="ni_neighbourhood")
    places.select(places.options[1]).run()
    app.button(key="ni_save").click().run()
    assert any("almeno un bisogno" in e for e in errors(app))
    # One transaction: the household is not created without its interview.
    assert (count(url, Interview), count(url, Household)) == before


# --- Scheda nucleo


def a_household_with_a_note(url: str, note: str) -> int:
    from rete import records

    with session_scope(engine(url)) as session:
        household = session.scalar(select(Household).order_by(Household.id))
        need = session.scalar(select(Need.category_id))
        records.record_interview(
            session,
            user(url, "operatore"),
            household_id=household.id,
            held_on=household.created_at.date(),
            channel_code="telefono",
            needs=[records.NeedInput(need, notes=note)],
            notes=note,
        )
        return household.id


def test_free_text_on_the_card_is_shown_as_text_and_runs_nothing(url):
    household = a_household_with_a_note(url, HOSTILE_NOTE)
    app = open_page(url, "operatore", "nucleo", nucleo=str(household))
    shown = [t.value for t in app.text]
    assert HOSTILE_NOTE in shown  # st.text: the characters, as typed
    for element in [*app.markdown, *app.caption]:
        assert "<img" not in element.value and "](javascript" not in element.value


def test_opening_a_card_is_written_in_the_audit_trail_once(url):
    household = a_household_with_a_note(url, "nota")
    app = open_page(url, "operatore", "nucleo", nucleo=str(household))
    app.run()  # the page redraws itself: still one entry
    with Session(engine(url)) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "household_viewed", AuditEntry.entity_id == household
            )
        ).all()
    assert [(e.user_id, e.entity) for e in entries] == [(user(url, "operatore").id, "household")]


def test_a_card_link_with_a_bad_id_is_a_search_not_an_error(url):
    app = open_page(url, "operatore", "nucleo", nucleo="1 OR 1=1")
    assert app.title[0].value == "Scheda nucleo" and not errors(app)
    app = open_page(url, "operatore", "nucleo", nucleo="999999")
    assert any("Nucleo non trovato" in e for e in errors(app))


# --- Segnala a un ente


def an_open_need(url: str) -> int:
    with Session(engine(url)) as session:
        return session.scalar(
            select(Need.id)
            .join(Interview, Interview.id == Need.interview_id)
            .where(Need.status == "open", Interview.deleted_at.is_(None))
            .order_by(Need.id)
        )


def test_a_referral_needs_the_consent_answer_then_is_sent_to_the_first_proposal(url):
    need = an_open_need(url)
    app = open_page(url, "operatore", "segnala", bisogno=str(need))
    before = count(url, Referral)
    app.button(key=f"ref{need}_save").click().run()
    assert any("consenso" in e for e in errors(app))
    assert count(url, Referral) == before
    app.radio(key=f"ref{need}_consent").set_value("yes").run()
    app.button(key=f"ref{need}_save").click().run()
    assert not errors(app), errors(app)
    assert "Segnalazione inviata" in app.success[0].value
    with Session(engine(url)) as session:
        referral = session.scalar(select(Referral).where(Referral.need_id == need))
        assert referral.consent_given and referral.status == "sent"
        assert session.get(Need, need).status == "in_progress"


def test_a_referral_without_consent_keeps_the_override_note_on_the_card(url):
    need = an_open_need(url)
    app = open_page(url, "operatore", "segnala", bisogno=str(need))
    app.radio(key=f"ref{need}_consent").set_value("no").run()
    app.text_area(key=f"ref{need}_override").input("Sfratto imminente, inquilino ricoverato").run()
    app.button(key=f"ref{need}_save").click().run()
    assert not errors(app), errors(app)
    with Session(engine(url)) as session:
        household = session.scalar(select(Interview.household_id).join(Need).where(Need.id == need))
    card = open_page(url, "operatore", "nucleo", nucleo=str(household))
    assert any("Sfratto imminente" in w.value for w in card.warning)


# --- Da seguire


def test_the_operators_home_takes_the_usual_answer_in_one_click(url):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, "operatore")
    app.run()
    assert app.title[0].value == "Da seguire"
    first = next(b for b in app.button if str(b.key).startswith("fu_quick_"))
    referral_id = int(str(first.key).split("_")[2])
    with Session(engine(url)) as session:
        before = session.get(Referral, referral_id).status
    first.click().run()
    assert not app.exception
    with Session(engine(url)) as session:
        after = session.get(Referral, referral_id)
    assert (before, after.status) in {("sent", "accepted"), ("accepted", "closed")}
    assert app.success and "Registrato" in app.success[0].value


def test_a_stale_answer_is_refused_and_says_why(url):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, "operatore")
    app.run()
    first = next(b for b in app.button if str(b.key).startswith("fu_quick_"))
    referral_id = int(str(first.key).split("_")[2])
    with session_scope(engine(url)) as session:  # another user answers meanwhile
        referral = session.get(Referral, referral_id)
        key = "accept" if referral.status == "sent" else "close_positive"
        referrals.move_referral(
            session,
            user(url, "admin"),
            referral_id,
            key,
            version=referral.version,
            on=referral.accepted_on or referral.sent_on,
        )
    first.click().run()
    assert not app.exception
    assert any("già" in e or "Qualcun altro" in e for e in errors(app)), errors(app)


# --- Colloqui


def test_a_concurrent_correction_is_refused_and_the_typed_notes_stay(url):
    with Session(engine(url)) as session:
        interview = session.scalar(
            select(Interview).where(Interview.deleted_at.is_(None)).order_by(Interview.id.desc())
        )
    app = open_page(url, "operatore", "colloqui", colloquio=str(interview.id))
    prefix = f"ed{interview.id}_"
    app.text_area(key=f"{prefix}notes").input("Nota corretta da me").run()
    with session_scope(engine(url)) as session:  # someone else saves first
        session.get(Interview, interview.id).version += 1
    app.button(key=f"{prefix}save").click().run()
    assert any("Qualcun altro" in e for e in errors(app)), errors(app)
    assert app.text_area(key=f"{prefix}notes").value == "Nota corretta da me"


def test_an_interview_is_deleted_after_confirmation_and_the_admin_restores_it(url):
    with Session(engine(url)) as session:
        interview = session.scalar(
            select(Interview).where(Interview.deleted_at.is_(None)).order_by(Interview.id.desc())
        )
    app = open_page(url, "operatore", "colloqui", colloquio=str(interview.id))
    prefix = f"ed{interview.id}_"
    app.button(key=f"{prefix}delete").click().run()
    with Session(engine(url)) as session:
        assert session.get(Interview, interview.id).deleted_at is not None
    assert not [t for t in app.toggle if t.key == "iv_deleted"]  # the operatore sees no deleted
    admin = open_page(url, "admin", "colloqui", colloquio=str(interview.id))
    admin.button(key=f"rs{interview.id}").click().run()
    with Session(engine(url)) as session:
        assert session.get(Interview, interview.id).deleted_at is None
    # The restored interview stays open, now correctable, whatever row it moved to.
    assert admin.query_params["colloquio"] == str(interview.id)
    assert [b for b in admin.button if b.key == f"{prefix}save"]
    assert not [b for b in admin.button if b.key == f"rs{interview.id}"]


def test_the_interviews_list_filters_by_household_code(url):
    with Session(engine(url)) as session:
        household = session.scalar(
            select(Household).join(Interview).where(Interview.deleted_at.is_(None))
        )
    app = open_page(url, "operatore", "colloqui")
    app.text_input(key="iv_code").input(household.code.lower()).run()
    frame = app.dataframe[0].value
    assert set(frame["household_code"]) == {household.code}


def test_a_household_moved_to_another_neighbourhood_and_a_concurrent_save_refused(url):
    with Session(engine(url)) as session:
        household = session.scalar(select(Household).order_by(Household.id))
    app = open_page(url, "operatore", "nucleo", nucleo=str(household.id))
    form = f"hh{household.id}_"
    places = app.selectbox(key=f"{form}neighbourhood")
    other = next(o for o in places.options if o != places.value)
    places.select(other).run()
    app.number_input(key=f"{form}members").set_value(6).run()
    app.button(key=f"{form}save").click().run()
    assert not errors(app), errors(app)
    with Session(engine(url)) as session:
        saved = session.get(Household, household.id)
        assert (saved.members, saved.neighbourhood_id != household.neighbourhood_id) == (6, True)
    # Someone else saves between this user's opening and saving: refused, input kept.
    app.number_input(key=f"{form}members").set_value(2).run()
    with session_scope(engine(url)) as session:
        session.get(Household, household.id).version += 1
    app.button(key=f"{form}save").click().run()
    assert any("Qualcun altro" in e for e in errors(app)), errors(app)
    assert app.number_input(key=f"{form}members").value == 2


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("0331 000 136 int. 31", "tel:0331000136"),
        ("+39 333 123 4567", "tel:+393331234567"),
        ("0332/255111 interno 4", "tel:0332255111"),
        ("0332 123456 est 23", "tel:0332123456"),  # «est», as the form accepts it
    ],
)
def test_a_phone_link_dials_the_number_without_its_extension(phone, href):
    from rete.ui.links import channel_links

    (link,) = channel_links(phone, None)
    assert link.endswith(f"]({href})")
