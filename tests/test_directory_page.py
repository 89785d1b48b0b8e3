"""The «Rete» page driven as its users would, through Streamlit's AppTest: the search, a
partner's card, the editor (a save, a refused value, a refused concurrent save, a new partner),
«Chi può aiutare?», the coverage and the exports; direzione reads and never edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import auth, bootstrap, db
from rete.db import session_scope
from rete.directory import edit
from rete.models import AuditEntry, Contact, Partner, User

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("directory") / "demo.db"
    url = f"sqlite:///{path}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=60, seed=7)
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


def user(url: str, username: str) -> auth.CurrentUser:
    with Session(db.get_engine(url)) as session:
        row = session.scalar(select(User).where(User.username == username))
    return auth.CurrentUser(row.id, row.username, row.display_name, row.role)


def open_page(url: str, username: str, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, username)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("pages/rete_enti.py").run()
    assert not app.exception, app.exception
    return app


def a_partner(url: str) -> Partner:
    """An active demo partner with at least two contact persons."""
    with Session(db.get_engine(url)) as session:
        two = (
            select(Contact.partner_id)
            .group_by(Contact.partner_id)
            .having(func.count() >= 2)
            .scalar_subquery()
        )
        return session.scalars(
            select(Partner).where(Partner.active, Partner.id.in_(two)).order_by(Partner.id)
        ).first()


def texts(app: AppTest) -> str:
    return "\n".join(
        [m.value for m in app.markdown]
        + [c.value for c in app.caption]
        + [t.value for t in app.text]
    )


def errors(app: AppTest) -> str:
    """The error messages as the user reads them (the page escapes Markdown)."""
    return "\n".join(e.value.replace("\\", "") for e in app.error)


def buttons(app: AppTest) -> set[str]:
    return {b.label for b in app.button}


# --- The search


def test_the_search_ignores_accents_and_case_and_finds_a_partner_by_its_contact(url):
    partner = a_partner(url)
    with Session(db.get_engine(url)) as session:
        contact = session.scalars(select(Contact).where(Contact.partner_id == partner.id)).first()
    app = open_page(url, "operatore")
    shown = texts(app)
    assert "enti trovati" in shown
    surname = contact.name.split()[-1]
    shouted = surname.upper().replace("A", "À")  # «ROSSÌ»: accents and case do not count
    app.text_input(key="dir_text").input(shouted).run()
    found = texts(app)
    assert partner.name.replace(".", "\\.") in found or partner.name in found
    assert contact.name in found
    assert "tel:" in found  # the contact's direct channels are links


def test_a_search_that_matches_nothing_says_so_and_how_to_widen_it(url):
    app = open_page(url, "direzione")
    app.text_input(key="dir_text").input("nessun ente si chiama così zzzz").run()
    assert any("Nessun ente corrisponde" in info.value for info in app.info)


# --- Who edits, who reads


def test_direzione_reads_the_directory_but_has_no_way_to_change_it(url):
    partner = a_partner(url)
    app = open_page(url, "direzione")
    assert "Nuovo ente" not in buttons(app)
    assert not [link for link in app.get("page_link") if "Segnala" in str(link.proto.label)]
    app = open_page(url, "direzione", ente=str(partner.id))
    assert {"Modifica", "Elimina", "Disattiva", "Verificato oggi"}.isdisjoint(buttons(app))
    app = open_page(url, "direzione", ente=str(partner.id), modifica="1")
    assert not [t for t in app.text_input if t.key and t.key.startswith("pf")]


def test_operatore_opens_a_partner_and_finds_its_actions(url):
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id))
    assert {"Modifica", "Verificato oggi", "Disattiva", "Sì, elimina"} <= buttons(app)
    links = [link for link in app.get("page_link") if "Segnala" in str(link.proto.label)]
    assert len(links) == 1
    assert f"ente={partner.id}" in str(links[0].proto)


# --- The editor


def test_an_edit_is_saved_audited_and_shown_on_the_card(url):
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id), modifica="1")
    form = f"pf{partner.id}_"
    app.text_input(key=f"{form}c0_phone").input("0332 987654").run()
    app.button(key=f"{form}save").click().run()
    assert not app.exception, app.exception
    with Session(db.get_engine(url)) as session:
        phones = session.scalars(select(Contact.phone).where(Contact.partner_id == partner.id))
        assert "0332 987654" in set(phones)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "partner").order_by(AuditEntry.id.desc())
        ).first()
        assert entry.entity_id == partner.id and entry.user_id == user(url, "operatore").id
    assert any("salvato" in s.value for s in app.success)


def test_a_wrong_phone_is_refused_next_to_its_field_and_everything_typed_is_kept(url):
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id), modifica="1")
    form = f"pf{partner.id}_"
    app.text_input(key=f"{form}name").input("Nome nuovo dell'ente").run()
    app.text_input(key=f"{form}c0_phone").input("12345").run()
    app.button(key=f"{form}save").click().run()
    assert "non sembra un numero italiano" in errors(app)
    assert app.text_input(key=f"{form}name").value == "Nome nuovo dell'ente"
    assert app.text_input(key=f"{form}c0_phone").value == "12345"
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, partner.id).name == partner.name


def test_a_second_editor_s_save_is_refused_and_keeps_what_was_typed(url):
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id), modifica="1")
    form = f"pf{partner.id}_"
    app.text_input(key=f"{form}address").input("Via del primo editore 1").run()
    with session_scope(db.get_engine(url)) as session:  # someone else saves meanwhile
        data, version = edit.partner_input(session, partner.id)
        changed = edit.PartnerInput(**{**data.__dict__, "address": "Via dell'altro 2"})
        edit.update_partner(session, user(url, "admin"), partner.id, changed, version=version)
    app.button(key=f"{form}save").click().run()
    assert "Qualcun altro ha salvato" in errors(app)
    assert app.text_input(key=f"{form}address").value == "Via del primo editore 1"
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, partner.id).address == "Via dell'altro 2"


def test_a_new_partner_needs_a_contact_reachable_directly_then_is_created(url):
    with Session(db.get_engine(url)) as session:
        before = session.scalar(select(func.count()).select_from(Partner))
    app = open_page(url, "operatore", ente="nuovo")
    form = "pfnuovo_"
    app.text_input(key=f"{form}name").input("Associazione Prova Nuova").run()
    first_need = app.multiselect(key=f"{form}category_ids").options[1]
    app.multiselect(key=f"{form}category_ids").select(first_need).run()
    place = app.multiselect(key=f"{form}neighbourhood_ids").options[0]
    app.multiselect(key=f"{form}neighbourhood_ids").select(place).run()
    app.text_input(key=f"{form}c0_name").input("Giulia Verdi").run()
    app.button(key=f"{form}save").click().run()
    assert "né telefono né e-mail" in errors(app)
    app.text_input(key=f"{form}c0_email").input("giulia.verdi@prova.it").run()
    app.button(key=f"{form}save").click().run()
    assert not app.exception, app.exception
    with Session(db.get_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == before + 1
        created = session.scalar(select(Partner).where(Partner.name == "Associazione Prova Nuova"))
        assert created is not None and created.active


def test_deleting_is_refused_for_a_partner_with_referrals_and_done_for_an_unused_one(url):
    partner = a_partner(url)  # the demo's partners all received referrals
    app = open_page(url, "operatore", ente=str(partner.id))
    app.button(key=f"pa{partner.id}_delete").click().run()
    assert "Disattivarlo invece" in errors(app) or "disattivarlo invece" in errors(app)
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, partner.id) is not None
        data, _ = edit.partner_input(session, partner.id)
    with session_scope(db.get_engine(url)) as session:
        unused = edit.create_partner(
            session,
            user(url, "admin"),
            edit.PartnerInput(
                **{
                    **data.__dict__,
                    "name": "Ente mai usato",
                    "uuid": None,
                    "contacts": tuple(
                        edit.ContactInput(**{**c.__dict__, "id": None}) for c in data.contacts
                    ),
                }
            ),
        ).id
    app = open_page(url, "operatore", ente=str(unused))
    app.button(key=f"pa{unused}_delete").click().run()
    assert not app.exception, app.exception
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, unused) is None


def test_deactivating_a_partner_keeps_it_and_says_so(url):
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id))
    app.button(key=f"pa{partner.id}_toggle").click().run()
    assert not app.exception, app.exception
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, partner.id).active is False
    assert any("disattivato" in s.value for s in app.success)


# --- Chi può aiutare?, coverage, exports


def test_who_can_help_ranks_partners_with_the_reason_in_words(url):
    app = open_page(url, "direzione")
    app.segmented_control(key="dir_view").set_value("aiuto").run()
    need = app.selectbox(key="help_need")
    place = app.selectbox(key="help_place")
    found = False
    for need_option in need.options[:40]:
        app.selectbox(key="help_need").set_value(need_option)
        app.selectbox(key="help_place").set_value(place.options[0]).run()
        if any("copre" in c.value for c in app.caption):
            found = True
            break
    assert found, "no demo need with a partner in the first neighbourhood"
    assert any("serve" in c.value for c in app.caption)


def test_the_coverage_view_shows_its_four_sections(url):
    app = open_page(url, "direzione")
    app.segmented_control(key="dir_view").set_value("copertura").run()
    assert not app.exception, app.exception
    headers = {h.value for h in app.header}
    assert {"Bisogni ed enti che li coprono", "Buchi della rete", "Da ricontrollare"} <= headers
    assert "Enti mai usati nel periodo" in headers


def test_exports_are_for_everyone_and_the_import_only_for_those_who_edit(url):
    app = open_page(url, "direzione")
    app.segmented_control(key="dir_view").set_value("scambio").run()
    labels = {b.proto.label for b in app.get("download_button")}
    assert {"Open Referral (zip di CSV)", "Open Referral (JSON)", "Referenti (Excel)"} <= labels
    assert not app.get("file_uploader")
    app = open_page(url, "operatore")
    app.segmented_control(key="dir_view").set_value("scambio").run()
    assert app.get("file_uploader")


def test_a_partner_chosen_in_the_directory_stays_chosen_in_the_referral_form(url):
    """«Segnala un bisogno a questo ente» → the household's need → the referral form opens with
    that partner chosen, under «Un altro ente della rete» when it is not proposed for the need."""
    from rete import directory
    from rete.models import Household, Interview, Need

    engine = db.get_engine(url)
    with Session(engine) as session:
        need, place = session.execute(
            select(Need, Household.neighbourhood_id)
            .join(Interview, Interview.id == Need.interview_id)
            .join(Household, Household.id == Interview.household_id)
            .where(Need.status == "open")
            .order_by(Need.id)
        ).first()
        active = session.scalars(select(Partner.id).where(Partner.active)).all()
    proposed = {p.partner_id for p in directory.propose_partners(engine, need.category_id, place)}
    outsider = next(id_ for id_ in active if id_ not in proposed)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, "operatore")
    app.run()
    app.query_params["bisogno"] = str(need.id)
    app.query_params["ente"] = str(outsider)
    app.switch_page("pages/segnala.py").run()
    assert not app.exception, app.exception
    prefix = f"ref{need.id}_"
    assert app.radio(key=f"{prefix}partner").value == -1  # «Un altro ente della rete»
    assert app.selectbox(key=f"{prefix}other").value == outsider
    if proposed:
        app.query_params["ente"] = str(min(proposed))
        fresh = AppTest.from_file(APP, default_timeout=TIMEOUT)
        fresh.session_state["rete_user"] = user(url, "operatore")
        fresh.run()
        fresh.query_params["bisogno"] = str(need.id)
        fresh.query_params["ente"] = str(min(proposed))
        fresh.switch_page("pages/segnala.py").run()
        assert fresh.radio(key=f"{prefix}partner").value == min(proposed)


def test_segnala_from_a_partner_lists_the_household_s_open_needs(url):
    from rete.models import Household, Interview, Need

    partner = a_partner(url)
    with Session(db.get_engine(url)) as session:
        code = session.scalar(
            select(Household.code)
            .join(Interview, Interview.household_id == Household.id)
            .join(Need, Need.interview_id == Interview.id)
            .where(Need.status == "open", Interview.deleted_at.is_(None))
            .order_by(Household.code)
        )
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, "operatore")
    app.run()
    app.query_params["ente"] = str(partner.id)
    app.switch_page("pages/segnala.py").run()
    app.text_input(key=f"forpartner{partner.id}_code").input(code).run()
    needs = [link for link in app.get("page_link") if "bisogno=" in str(link.proto)]
    assert needs and all(f"ente={partner.id}" in str(link.proto) for link in needs)


def test_a_click_on_a_card_drawn_before_someone_else_s_change_is_refused_not_reversed(url):
    """«Disattiva» drawn while the partner was active; someone deactivates it meanwhile: the
    click must not reactivate it (the button carries the version and the state it showed)."""
    partner = a_partner(url)
    app = open_page(url, "operatore", ente=str(partner.id))
    with session_scope(db.get_engine(url)) as session:
        edit.set_active(session, user(url, "admin"), partner.id, False, version=partner.version)
    app.button(key=f"pa{partner.id}_toggle").click().run()
    assert "Qualcun altro ha salvato" in errors(app)
    with Session(db.get_engine(url)) as session:
        assert session.get(Partner, partner.id).active is False


def test_saving_a_partner_keeps_a_need_it_covers_that_was_retired_since(url):
    from rete import taxonomy
    from rete.models import PartnerCategory

    partner = a_partner(url)
    engine = db.get_engine(url)
    with Session(engine) as session:
        covered = session.scalars(
            select(PartnerCategory.category_id).where(PartnerCategory.partner_id == partner.id)
        ).all()
        from rete.models import Category

        retired = next(c for c in covered if session.get(Category, c).parent_id is not None)
    with session_scope(engine) as session:
        taxonomy.set_category_active(session, user(url, "admin"), retired, False)
    app = open_page(url, "operatore", ente=str(partner.id), modifica="1")
    form = f"pf{partner.id}_"
    assert retired in app.multiselect(key=f"{form}category_ids").value
    app.text_input(key=f"{form}c0_phone").input("0332 765432").run()
    app.button(key=f"{form}save").click().run()
    assert not app.exception, app.exception
    with Session(engine) as session:
        still = session.scalars(
            select(PartnerCategory.category_id).where(PartnerCategory.partner_id == partner.id)
        ).all()
    assert retired in still


def test_a_page_of_results_left_past_the_end_shows_the_last_one(url):
    app = open_page(url, "direzione")
    for _ in range(3):  # to the fourth and last page of the demo's 40 partners
        app.button(key="dir_page_next").click().run()
    assert "Pagina 4 di 4" in texts(app)
    with session_scope(db.get_engine(url)) as session:  # 11 partners leave the list
        for partner in session.scalars(select(Partner).order_by(Partner.id).limit(11)).all():
            edit.set_active(session, user(url, "admin"), partner.id, False, version=partner.version)
    app.run()
    assert not app.info or all("Nessun ente" not in i.value for i in app.info)
    assert "Pagina 3 di 3" in texts(app)
