"""A household's personal data erased on request: every text gone from every table, the counts
(base tables, read model, Cruscotto) unchanged, the act audited with its reason, the rules
(who, which version), the card afterwards and the page's two-step form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from actors import administrator, category, editor, seed_places
from sqlalchemy import Engine, MetaData, String, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from test_readmodel import actual_read_model, expected_read_model

from rete import auth, config, records, referrals
from rete.db import session_scope
from rete.errors import ConcurrentEdit, IllegalMove, PermissionDenied, ValidationError
from rete.filters import default_filters
from rete.models import (
    AuditEntry,
    Contact,
    Household,
    HouseholdContact,
    Interview,
    Need,
    Partner,
    Referral,
    ReferralEvent,
)
from rete.queries import needs
from rete.queries.kpis import kpis as headline
from rete.workspace import erasure, households

TODAY = dt.date(2026, 11, 25)
APP = str(Path(__file__).resolve().parent.parent / "app.py")

# The erased household's personal data: each string is looked for in every text column.
CODE = "VA-000777"
NAME = "Zebedeo Quattrocchi"
PHONE = "0332 987654"
EMAIL = "zebedeo.q@example.org"
NOTES = {
    "interview": "nota-colloquio-Xj1 il signor Quattrocchi",
    "deleted_interview": "nota-colloquio-eliminato-Xj2",
    "need": "nota-bisogno-Xj3",
    "closed_reason": "motivo-chiusura-Xj4",
    "referral": "nota-segnalazione-Xj5",
    "override": "senza-consenso-Xj6",
    "event": "nota-risposta-ente-Xj7",
}
PERSONAL = (CODE, NAME, "Quattrocchi", PHONE, EMAIL, *NOTES.values())
# Another household's, which must stay as they are.
OTHER = ("VA-000888", "Ottavia Serbelloni", "nota-altro-nucleo-Yk1")


def _interview(session: Session, household_id: int, held_on: dt.date, notes: str, *codes: str):
    return records.record_interview(
        session,
        editor(session),
        household_id=household_id,
        held_on=held_on,
        channel_code="telefono",
        needs=[records.NeedInput(category(session, code), notes=f"{notes}-need") for code in codes],
        notes=notes,
        today=TODAY,
    )


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """VA-000777 with a contact block, an interview whose needs were closed unresolved, sent
    without consent and refused with a note, and a deleted interview; VA-000888 with its own."""
    places = seed_places(engine)
    with session_scope(engine) as session:
        cm = editor(session)
        household = records.create_household(
            session,
            cm,
            records.HouseholdInput(CODE, places["Biumo"], members=2),
            records.ContactInput(NAME, PHONE, EMAIL),
        )
        other = records.create_household(
            session,
            cm,
            records.HouseholdInput(OTHER[0], places["Sangallo"]),
            records.ContactInput(OTHER[1], "", ""),
        )
        _interview(session, other.id, dt.date(2026, 10, 1), OTHER[2], "ECO01")
        interview = _interview(
            session, household.id, dt.date(2026, 9, 1), NOTES["interview"], "ECO01", "SAN01"
        )
        first, second = session.scalars(
            select(Need).where(Need.interview_id == interview.id).order_by(Need.id)
        ).all()
        first.notes = NOTES["need"]  # as typed in the form
        deleted = _interview(
            session, household.id, dt.date(2026, 10, 1), NOTES["deleted_interview"], "ABI01"
        )
        partner = Partner(uuid="p-1", name="Caritas", kind="association")
        session.add(partner)
        session.flush()
        contact = Contact(partner_id=partner.id, name="Anna", is_primary=True)
        session.add(contact)
        session.flush()
        ids = {
            "household": household.id,
            "other": other.id,
            "interview": interview.id,
            "deleted": deleted.id,
            "first": first.id,
            "second": second.id,
            "partner": partner.id,
            "contact": contact.id,
        }
    with session_scope(engine) as session:
        referral = referrals.send_referral(
            session,
            editor(session),
            referrals.ReferralInput(
                ids["first"], ids["partner"], ids["contact"], "telefono", dt.date(2026, 9, 2), False,
                consent_override_note=NOTES["override"], note=NOTES["referral"],
            ),
            today=TODAY,
        )  # fmt: skip
        ids["referral"] = referral.id
    with session_scope(engine) as session:
        referrals.move_referral(
            session, editor(session), ids["referral"], "refuse", version=1,
            on=dt.date(2026, 9, 5), reason="other", note=NOTES["event"], today=TODAY,
        )  # fmt: skip
    with session_scope(engine) as session:
        need = session.get(Need, ids["second"])
        referrals.close_need(
            session, editor(session), ids["second"], version=need.version, resolved=False,
            reason=NOTES["closed_reason"], on=dt.date(2026, 9, 10), today=TODAY,
        )  # fmt: skip
        records.soft_delete_interview(session, editor(session), ids["deleted"])
    return ids


def version(engine: Engine, household_id: int) -> int:
    with Session(engine) as session:
        return session.get(Household, household_id).version


def erase(engine: Engine, world: dict[str, int], *, note: str = "", **who) -> erasure.Erased:
    with session_scope(engine) as session:
        actor = who.get("actor") or administrator(session)
        found = erasure.erase_household(
            session, actor, world["household"], version(engine, world["household"]), "request", note
        )
    erasure.settle(engine)
    return found


def every_text(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) of every non-empty text of every table in the database, read
    from the database's own catalogue (not from Rete's models, which could miss one)."""
    catalogue = MetaData()
    catalogue.reflect(engine)
    found = []
    with engine.connect() as connection:
        for table in catalogue.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                found += [
                    (table.name, column.name, value)
                    for column, value in zip(columns, row, strict=True)
                    if value
                ]
    return found


def holding(texts: list[tuple[str, str, str]], needles: tuple[str, ...]) -> list[tuple]:
    lowered = [needle.casefold() for needle in needles]
    return [t for t in texts if any(needle in str(t[2]).casefold() for needle in lowered)]


def test_every_text_of_the_household_is_gone_from_every_table_and_the_other_s_stays(engine, world):
    assert len(holding(every_text(engine), PERSONAL)) >= len(PERSONAL)  # the scan sees them
    found = erase(engine, world)
    assert holding(every_text(engine), PERSONAL) == []
    assert {text for _, _, text in holding(every_text(engine), OTHER)} >= {
        OTHER[0], OTHER[1], OTHER[2]
    }  # fmt: skip
    assert found == erasure.Erased(
        households=1,
        contacts=1,
        interview_notes=2,  # the deleted interview's too
        need_notes=4,  # three needs' notes, one closing reason
        referral_notes=2,  # the referral's note and the reason it went without consent
        event_notes=2,  # sent with its note, refused with its note
    )


def test_the_household_keeps_a_code_that_says_nothing_and_the_old_one_is_free(engine, world):
    erase(engine, world)
    with Session(engine) as session:
        household = session.get(Household, world["household"])
        assert household.code == f"CANC-{world['household']:06d}"
        assert household.erased_at is not None
        assert session.get(HouseholdContact, world["household"]) is None
    assert households.household_by_code(engine, CODE) is None
    assert [h.code for h in households.find_households(engine, "CANC-")] == [household.code]
    with session_scope(engine) as session:  # the tenant comes back: a new household
        records.create_household(
            session, editor(session), records.HouseholdInput(CODE, household.neighbourhood_id)
        )


def counts(engine: Engine) -> dict[str, object]:
    filters = default_filters(TODAY)
    with Session(engine) as session:
        rows = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Household, Interview, Need, Referral, ReferralEvent)
        }
        read_model = actual_read_model(session)
        assert read_model == expected_read_model(session)
    return {
        **rows,
        "read model": read_model,
        "kpis": headline(engine, filters, TODAY),
        "by area": needs.needs_by_area(engine, filters).to_json(orient="records"),
        "by place": needs.needs_by_neighbourhood_area(engine, filters).to_json(orient="records"),
    }


def test_the_counts_the_read_model_and_the_cruscotto_do_not_move(engine, world):
    before = counts(engine)
    assert before["kpis"].needs == 3 and before["kpis"].referrals_sent == 1
    erase(engine, world)
    assert counts(engine) == before


def test_the_audit_entry_names_the_admin_the_role_and_the_reason_and_nothing_personal(
    engine, world
):
    erase(engine, world, note="Richiesta ricevuta allo sportello")
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        admin = administrator(session)
    assert (entry.action, entry.entity, entry.entity_id) == (
        "household_erased",
        "household",
        world["household"],
    )
    assert (entry.user_id, entry.role) == (admin.id, "admin")
    assert entry.summary == (
        "richiesta dell'interessato (art. 17 GDPR): Richiesta ricevuta allo sportello"
    )


@pytest.mark.parametrize(("name", "role"), [("olga", "operatore"), ("dora", "direzione")])
def test_only_the_administrator_may_erase_and_a_refusal_changes_nothing(
    engine, world, cast, name, role
):
    before = every_text(engine)
    who = auth.CurrentUser(cast[name], name, name.title(), role)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        erasure.erase_household(
            session, who, world["household"], version(engine, world["household"]), "request"
        )
    assert every_text(engine) == before


def test_a_household_saved_meanwhile_is_not_erased(engine, world):
    seen = version(engine, world["household"])
    with session_scope(engine) as session:
        records.update_household(
            session,
            editor(session),
            world["household"],
            records.HouseholdInput(CODE, session.get(Household, world["household"]).neighbourhood_id, members=3),
            version=seen,
        )  # fmt: skip
    with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
        erasure.erase_household(
            session, administrator(session), world["household"], seen, "request"
        )
    assert len(holding(every_text(engine), PERSONAL)) >= len(PERSONAL)


def test_a_form_opened_before_the_erasure_cannot_save_the_notes_back(engine, world):
    with Session(engine) as session:
        opened = session.get(Interview, world["interview"]).version
        need_ids = [world["first"], world["second"]]
    erase(engine, world)
    with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
        records.edit_interview(
            session,
            editor(session),
            world["interview"],
            version=opened,
            held_on=dt.date(2026, 9, 1),
            channel_code="telefono",
            needs=[
                records.NeedInput(category(session, "ECO01"), notes=NOTES["need"], id=need_ids[0]),
                records.NeedInput(category(session, "SAN01"), id=need_ids[1]),
            ],
            notes=NOTES["interview"],
            today=TODAY,
        )
    assert holding(every_text(engine), PERSONAL) == []


def test_an_erased_household_is_not_erased_twice(engine, world):
    erase(engine, world)
    with pytest.raises(IllegalMove, match="Dati personali cancellati il"):
        erase(engine, world)


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("", "", "reason"),
        ("for_fun", "", "reason"),
        ("request", "x" * 201, "note"),
        ("request", "chiamare il 333 1234567", "note"),
        ("request", "scrive da zq@example.org", "note"),
        ("request", "il sig. quattrocchi ha chiesto", "note"),  # the name, any case
        ("request", "pratica va-000777", "note"),  # the code
    ],
)
def test_a_missing_reason_or_a_note_with_personal_data_is_refused(
    engine, world, reason, note, field
):
    with pytest.raises(ValidationError) as refused, session_scope(engine) as session:
        erasure.erase_household(
            session, administrator(session), world["household"], version(engine, world["household"]), reason, note
        )  # fmt: skip
    assert refused.value.field == field
    assert len(holding(every_text(engine), PERSONAL)) >= len(PERSONAL)


def test_a_note_of_200_characters_with_a_date_and_a_protocol_number_is_kept(engine, world):
    note = "Richiesta scritta del 03/12/2026, protocollo 2026/4512. " + "x" * 144
    erase(engine, world, note=note)
    with Session(engine) as session:
        assert session.scalar(select(AuditEntry.summary).order_by(AuditEntry.id.desc())).endswith(
            note
        )


def test_the_card_says_so_and_no_contact_block_or_other_code_comes_back(engine, world, cast):
    erase(engine, world)
    admin = auth.CurrentUser(cast["ada"], "ada", "Ada", "admin")
    card = households.household_card(engine, admin, world["household"])
    assert card.contact is None and card.erased_at is not None
    expected = f"Dati personali cancellati il {config.today():%d/%m/%Y}"
    assert erasure.erased_label(card.erased_at) == expected
    notes = [i.notes for i in card.interviews] + [n.notes for i in card.interviews for n in i.needs]
    assert notes == [None] * len(notes) and len(card.interviews) == 2
    data = records.HouseholdInput(card.code, card.neighbourhood_id, members=4)
    for contact, code in ((records.ContactInput(NAME, "", ""), card.code), (None, CODE)):
        with pytest.raises(ValidationError), session_scope(engine) as session:
            records.update_household(
                session, editor(session), card.id, records.HouseholdInput(code, card.neighbourhood_id),
                contact, version=card.version,
            )  # fmt: skip
    with session_scope(engine) as session:  # its other details can still be corrected
        records.update_household(
            session, editor(session), card.id, data, records.ContactInput(), version=card.version
        )


def test_no_other_household_may_take_a_code_of_the_erased(engine, world):
    with pytest.raises(ValidationError, match="CANC-"), session_scope(engine) as session:
        records.create_household(session, editor(session), records.HouseholdInput("canc-000001", 1))


def test_on_sqlite_the_erased_text_is_in_neither_the_file_nor_its_log(engine, world):
    if engine.dialect.name != "sqlite":
        pytest.skip("the bytes of the file: SQLite only")
    path = Path(engine.url.database)
    erase(engine, world)
    files = [path, path.with_name(path.name + "-wal")]
    content = b"".join(f.read_bytes() for f in files if f.exists())
    assert [text for text in PERSONAL if text.encode() in content] == []
    assert OTHER[2].encode() in content  # the scan reads the data


# --- The page


@pytest.fixture
def card_page(engine, world, cast):
    def open_as(name: str, role: str) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=120)
        app.session_state["rete_user"] = auth.CurrentUser(cast[name], name, name.title(), role)
        app.run()
        app.query_params["nucleo"] = str(world["household"])
        app.switch_page("pages/nucleo.py").run()
        assert not app.exception, app.exception
        return app

    return open_as


def expander_labels(app: AppTest) -> list[str]:
    return [e.label for e in app.expander]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_community_manager_does_not_see_the_erasure(card_page):
    app = card_page("olga", "operatore")
    assert "Cancella i dati personali" not in expander_labels(app)
    assert not [b for b in app.button if str(b.key).startswith("er")]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_administrator_erases_after_a_reason_and_a_confirmation(engine, world, card_page):
    app = card_page("ada", "admin")
    assert "Cancella i dati personali" in expander_labels(app)
    form = f"er{world['household']}_"
    texts = " ".join(m.value for m in app.markdown)
    assert "Viene cancellato" in texts and "Resta" in texts and "CANC-" in texts

    app.button(key=f"{form}ask").click().run()  # no reason yet
    assert len(app.error) == 1 and "Indicare il motivo" in app.error[0].value
    app.selectbox(key=f"{form}reason").select("request").run()
    app.text_input(key=f"{form}note").input("chiamare il 333 1234567").run()
    app.button(key=f"{form}ask").click().run()  # a note with a phone number
    assert "dati personali" in app.error[0].value
    assert app.text_input(key=f"{form}note").value == "chiamare il 333 1234567"  # kept
    app.text_input(key=f"{form}note").input("richiesta allo sportello").run()
    app.button(key=f"{form}ask").click().run()
    assert not app.error
    assert len(holding(every_text(engine), PERSONAL)) >= len(PERSONAL)  # not yet

    app.button(key=f"{form}cancel").click().run()  # «Annulla»: back, values kept
    assert app.selectbox(key=f"{form}reason").value == "request"
    assert not [b for b in app.button if b.key == f"{form}confirm"]
    app.button(key=f"{form}ask").click().run()
    app.button(key=f"{form}confirm").click().run()  # «Sì, cancella»
    assert not app.exception and not app.error
    assert holding(every_text(engine), PERSONAL) == []
    assert [s.value.replace("\\", "") for s in app.success] == [
        "Dati personali del nucleo cancellati."
    ]
    assert any(i.value.startswith("Dati personali cancellati il") for i in app.info)
    assert "Cancella i dati personali" not in expander_labels(app)
    assert app.title[0].value == f"Nucleo CANC-{world['household']:06d}"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_confirmation_after_someone_saved_the_household_is_refused_and_keeps_the_form(
    engine, world, card_page
):
    app = card_page("ada", "admin")
    form = f"er{world['household']}_"
    app.selectbox(key=f"{form}reason").select("mistake").run()
    app.button(key=f"{form}ask").click().run()
    with session_scope(engine) as session:
        household = session.get(Household, world["household"])
        records.update_household(
            session, editor(session), household.id,
            records.HouseholdInput(CODE, household.neighbourhood_id, members=5),
            version=household.version,
        )  # fmt: skip
    app.button(key=f"{form}confirm").click().run()
    assert "Qualcun altro ha salvato il nucleo" in app.error[0].value
    assert app.selectbox(key=f"{form}reason").value == "mistake"
    assert len(holding(every_text(engine), PERSONAL)) >= len(PERSONAL)
