"""Editing the directory: a partner saved reads back as entered, every rule refuses with an
Italian message naming its input and writes nothing, two editors never overwrite each other,
and a partner's history outlives its deactivation."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import replace

import pytest
from actors import add_household, administrator, category, editor, seed_places
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rete import auth, db, directory, records, referrals
from rete.db import session_scope
from rete.directory import edit
from rete.directory.edit import ContactInput, PartnerInput
from rete.errors import ConcurrentEdit, IllegalMove, NotFound, PermissionDenied, ValidationError
from rete.filters import Filters
from rete.models import (
    AuditEntry,
    Category,
    Contact,
    Need,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
    Referral,
)
from rete.queries.referrals import referral_outcomes_by_partner

TODAY = dt.date(2026, 11, 25)
UUID = "0b5f3a4e-8f1d-4c1e-9a51-2d3c4b5a6f70"


@pytest.fixture
def places(engine) -> dict[str, int]:
    return seed_places(engine)


@pytest.fixture
def needs(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {code: category(session, code) for code in ("ECO", "ECO01", "ECO02", "SAN")}


def valid(needs: dict[str, int], places: dict[str, int], **changes: object) -> PartnerInput:
    """A partner every rule accepts: a test changes one thing."""
    data = PartnerInput(
        name="Caritas Cantù",
        kind="parish_caritas",
        description="Centro di ascolto",
        email="ascolto@caritas.example.org",
        phone="0332 123456",
        website="www.caritas.example.org",
        address="Via Roma 1",
        municipality="varese",
        category_ids=(needs["ECO01"], needs["ECO"]),
        neighbourhood_ids=(places["Biumo"],),
        municipalities=("Como",),
        contacts=(
            ContactInput(
                name="Anna Neri",
                role="coordinatrice",
                phone="+39 333 1234567",
                email="anna@caritas.example.org",
                preferred_channel="telefono",
                is_primary=True,
            ),
            ContactInput(name="Bruno Blu", email="bruno@caritas.example.org"),
        ),
        joined_on=dt.date(2024, 3, 1),
        last_verified_on=dt.date(2026, 11, 1),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def create(engine: Engine, data: PartnerInput) -> int:
    with session_scope(engine) as session:
        return edit.create_partner(session, editor(session), data, today=TODAY).id


def read(engine: Engine, partner_id: int) -> tuple[PartnerInput, int]:
    with Session(engine) as session:
        return edit.partner_input(session, partner_id)


def update(engine: Engine, partner_id: int, data: PartnerInput, version: int) -> None:
    with session_scope(engine) as session:
        edit.update_partner(
            session, editor(session), partner_id, data, version=version, today=TODAY
        )


def counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        rows = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Partner, Contact, PartnerCategory, PartnerArea, AuditEntry)
        )
    return (*rows, db.data_version(engine))


# --- Saved as entered


def test_a_new_partner_reads_back_as_entered_cleaned(engine, needs, places):
    partner_id = create(engine, valid(needs, places, name="  Caritas Cantù "))
    data, version = read(engine, partner_id)
    assert version == 1
    with Session(engine) as session:
        row = session.get(Partner, partner_id)
        assert row.active and len(row.uuid) == 36
        ids = [c.id for c in data.contacts]
    assert data == valid(
        needs,
        places,
        website="https://www.caritas.example.org",
        municipality="Varese",  # as the neighbourhood table writes it
        category_ids=tuple(sorted((needs["ECO01"], needs["ECO"]))),
        contacts=tuple(
            replace(contact, id=contact_id)
            for contact, contact_id in zip(valid(needs, places).contacts, ids, strict=True)
        ),
        uuid=row.uuid,
    )


def test_the_uuid_given_by_an_import_is_kept_and_must_be_one(engine, needs, places):
    partner_id = create(engine, valid(needs, places, uuid=UUID.upper()))
    assert read(engine, partner_id)[0].uuid == UUID
    with pytest.raises(ValidationError, match="identificativo") as error:
        create(engine, valid(needs, places, name="Altro", uuid=UUID))
    assert error.value.field == "uuid"
    with pytest.raises(ValidationError, match="deve essere un UUID"):
        create(engine, valid(needs, places, name="Altro", uuid="org-1"))
    data, version = read(engine, partner_id)
    with pytest.raises(ValidationError, match="non cambia"):
        update(
            engine, partner_id, replace(data, uuid="9b5f3a4e-8f1d-4c1e-9a51-2d3c4b5a6f70"), version
        )


def test_contacts_are_changed_added_and_removed_and_the_primary_moves(engine, needs, places):
    partner_id = create(engine, valid(needs, places))
    data, version = read(engine, partner_id)
    anna, bruno = data.contacts
    update(
        engine,
        partner_id,
        replace(
            data,
            contacts=(
                replace(anna, role="presidente", is_primary=False),
                ContactInput(name="Carla Verdi", phone="0332 654321", is_primary=True),
            ),
        ),
        version,
    )
    after, new_version = read(engine, partner_id)
    assert new_version == version + 1
    assert [(c.name, c.role, c.is_primary) for c in after.contacts] == [
        ("Carla Verdi", None, True),
        ("Anna Neri", "presidente", False),
    ]
    assert after.contacts[1].id == anna.id  # changed in place, not replaced
    with Session(engine) as session:
        assert session.get(Contact, bruno.id) is None


def test_coverage_and_places_are_replaced_by_what_the_form_says(engine, needs, places):
    partner_id = create(engine, valid(needs, places))
    data, version = read(engine, partner_id)
    update(
        engine,
        partner_id,
        replace(
            data,
            category_ids=(needs["ECO01"], needs["SAN"]),
            neighbourhood_ids=(places["Sangallo"], places["Biumo"]),
            municipalities=("MONZA", "monza"),
        ),
        version,
    )
    after, _ = read(engine, partner_id)
    assert after.category_ids == tuple(sorted((needs["ECO01"], needs["SAN"])))
    assert after.neighbourhood_ids == tuple(sorted((places["Sangallo"], places["Biumo"])))
    assert after.municipalities == ("Monza",)
    with Session(engine) as session:
        rows = session.scalar(
            select(func.count())
            .select_from(PartnerArea)
            .where(PartnerArea.partner_id == partner_id)
        )
    assert rows == 3  # Como's row removed, no duplicates


def test_a_retired_need_or_neighbourhood_a_partner_has_may_stay_but_not_be_added(
    engine, needs, places
):
    partner_id = create(engine, valid(needs, places))
    with session_scope(engine) as session:
        session.get(Category, needs["ECO01"]).active = False
        session.get(Neighbourhood, places["Biumo"]).active = False
    data, version = read(engine, partner_id)
    update(engine, partner_id, replace(data, description="Ancora qui"), version)
    with pytest.raises(ValidationError, match="non è più in uso") as error:
        create(engine, valid(needs, places, name="Nuovo", category_ids=(needs["ECO01"],)))
    assert error.value.field == "category_ids"
    with pytest.raises(ValidationError, match="Biumo» non è più in uso") as error:
        create(engine, valid(needs, places, name="Nuovo", category_ids=(needs["ECO"],)))
    assert error.value.field == "neighbourhood_ids"


# --- Every rule, refused with a message next to its input, nothing written


def _contacts(*contacts: ContactInput) -> dict[str, object]:
    return {"contacts": contacts}


ANNA = ContactInput(name="Anna Neri", phone="0332 111222", is_primary=True)
RULES: dict[str, tuple[dict[str, object], str, str]] = {
    "name required": ({"name": "   "}, "name", "Indicare il nome dell'ente"),
    "name at most 200": ({"name": "x" * 201}, "name", "supera il limite di 200 caratteri"),
    "name printable": (
        {"name": "Caritas\x00Cantù"},
        "name",
        "Il nome dell'ente contiene caratteri non stampabili: ricopiarlo a mano",
    ),
    "address printable": ({"address": "Via Roma\x0b1"}, "address", "non stampabili"),
    "description printable": ({"description": "Centro\x1b[0m"}, "description", "non stampabili"),
    "known kind": ({"kind": "club"}, "kind", "Tipo di ente non valido"),
    "e-mail": (
        {"email": "info@caritas"},
        "email",
        "L'indirizzo e-mail dell'ente «info@caritas» non è valido",
    ),
    "phone": ({"phone": "12345"}, "phone", "non sembra un numero italiano"),
    "website": ({"website": "ftp://caritas.it"}, "website", "http:// o https://"),
    "description at most 4000": (
        {"description": "x" * 4001},
        "description",
        "supera il limite di 4000",
    ),
    "a need or area covered": (
        {"category_ids": ()},
        "category_ids",
        "almeno un bisogno specifico o un'area",
    ),
    "need exists": ({"category_ids": (999_999,)}, "category_ids", "non esiste più"),
    "a place served": (
        {"neighbourhood_ids": (), "municipalities": ()},
        "neighbourhood_ids",
        "almeno un quartiere o un comune",
    ),
    "neighbourhood exists": (
        {"neighbourhood_ids": (999_999,)},
        "neighbourhood_ids",
        "quartieri non esiste più",
    ),
    "municipality known": (
        {"municipalities": ("Milano",)},
        "municipalities",
        "Comune «Milano» sconosciuto",
    ),
    "joined not in the future": (
        {"joined_on": TODAY + dt.timedelta(days=1)},
        "joined_on",
        "adesione alla rete non può essere nel futuro",
    ),
    "verified not in the future": (
        {"last_verified_on": TODAY + dt.timedelta(days=1)},
        "last_verified_on",
        "verifica non può essere nel futuro",
    ),
    "a contact": (_contacts(), "contacts", "almeno un referente"),
    "a primary contact": (
        _contacts(replace(ANNA, is_primary=False)),
        "contacts",
        "quale referente è il principale",
    ),
    "one primary contact": (
        _contacts(
            ContactInput(name="Bruno", phone="0332 123456", email="b@x.it"),
            ANNA,
            ContactInput(name="Carla", email="c@x.it", is_primary=True),
        ),
        "contacts.2.is_primary",
        "ora lo sono «Anna Neri» e «Carla»",
    ),
    "contact's name": (
        _contacts(ANNA, ContactInput(name=" ", phone="0332 222333")),
        "contacts.1.name",
        "nome del referente n. 2",
    ),
    "contact's channel": (
        _contacts(replace(ANNA, phone=None)),
        "contacts.0.phone",
        "«Anna Neri» non ha né telefono né e-mail",
    ),
    "contact's e-mail": (
        _contacts(replace(ANNA, email="anna@@x.it")),
        "contacts.0.email",
        "L'indirizzo e-mail di «Anna Neri» «anna@@x.it» non è valido",
    ),
    "contact's phone": (
        _contacts(ANNA, ContactInput(name="Bruno", phone="02 12")),
        "contacts.1.phone",
        "Il telefono di «Bruno» «02 12» non sembra",
    ),
    "contact's role at most 120": (
        _contacts(replace(ANNA, role="r" * 121)),
        "contacts.0.role",
        "Il ruolo di «Anna Neri» supera il limite",
    ),
    "contact's role printable": (
        _contacts(replace(ANNA, role="coordinatrice\x7f")),
        "contacts.0.role",
        "Il ruolo di «Anna Neri» contiene caratteri non stampabili",
    ),
    "preferred channel known": (
        _contacts(replace(ANNA, preferred_channel="piccione")),
        "contacts.0.preferred_channel",
        "Canale preferito di «Anna Neri» non valido",
    ),
    "preferred channel one it has": (
        _contacts(replace(ANNA, preferred_channel="email")),
        "contacts.0.preferred_channel",
        "preferito di «Anna Neri» è «e-mail», ma manca l'indirizzo e-mail",
    ),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_refuses_in_italian_next_to_its_input_and_writes_nothing(
    engine, needs, places, rule
):
    changes, field, message = RULES[rule]
    before = counts(engine)
    with pytest.raises(ValidationError) as error:
        create(engine, valid(needs, places, **changes))
    assert message in str(error.value)
    assert error.value.field == field
    assert counts(engine) == before


def test_the_same_name_in_the_same_municipality_is_refused_case_and_accents_ignored(
    engine, needs, places
):
    first = create(engine, valid(needs, places))
    with pytest.raises(ValidationError, match="Esiste già un ente «Caritas Cantù» a Varese") as e:
        create(engine, valid(needs, places, name="CARITAS  cantu", municipality="Varese"))
    assert e.value.field == "name"
    create(engine, valid(needs, places, municipality="Como"))  # another town: another partner
    data, version = read(engine, first)
    update(engine, first, replace(data, name="caritas cantù"), version)  # itself: fine


def test_a_contact_named_by_a_referral_is_never_removed(engine, needs, places):
    partner_id = create(engine, valid(needs, places))
    data, version = read(engine, partner_id)
    bruno = data.contacts[1]
    send(engine, needs["ECO01"], places["Biumo"], partner_id, contact_id=bruno.id)
    before = counts(engine)
    with pytest.raises(IllegalMove, match="«Bruno Blu» ha ricevuto segnalazioni"):
        update(engine, partner_id, replace(data, contacts=data.contacts[:1]), version)
    assert counts(engine) == before
    assert read(engine, partner_id)[1] == version


def test_a_contact_of_another_partner_cannot_be_taken_over(engine, needs, places):
    other = create(engine, valid(needs, places, name="Altro"))
    stranger = read(engine, other)[0].contacts[0]
    partner_id = create(engine, valid(needs, places))
    data, version = read(engine, partner_id)
    with pytest.raises(NotFound, match="non è più di questo ente"):
        update(
            engine,
            partner_id,
            replace(data, contacts=(*data.contacts, replace(stranger, is_primary=False))),
            version,
        )
    with pytest.raises(NotFound):
        create(engine, valid(needs, places, name="Terzo", contacts=(stranger,)))


# --- Two editors, one partner


def test_the_second_of_two_saves_against_the_same_version_is_refused_and_writes_nothing(
    engine, needs, places
):
    partner_id = create(engine, valid(needs, places))
    data, version = read(engine, partner_id)
    update(engine, partner_id, replace(data, description="Prima"), version)
    before = counts(engine)
    with pytest.raises(ConcurrentEdit, match="Qualcun altro ha salvato l'ente"):
        update(
            engine,
            partner_id,
            replace(data, description="Seconda", contacts=data.contacts[:1]),
            version,
        )
    assert counts(engine) == before
    after, _ = read(engine, partner_id)
    assert after.description == "Prima" and len(after.contacts) == 2


def test_every_save_of_a_partner_claims_its_version(engine, needs, places):
    partner_id = create(engine, valid(needs, places))
    _, version = read(engine, partner_id)
    stale = version
    calls = (
        lambda s, who, v: edit.mark_verified(s, who, partner_id, TODAY, version=v, today=TODAY),
        lambda s, who, v: edit.set_active(s, who, partner_id, False, version=v),
        lambda s, who, v: edit.delete_partner(s, who, partner_id, version=v),
    )
    with session_scope(engine) as session:
        edit.set_active(session, editor(session), partner_id, True, version=version)
    for call in calls:
        with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
            call(session, editor(session), stale)


# --- Roles, audit and data version: every writer


def world(engine: Engine, needs: dict[str, int], places: dict[str, int]) -> dict[str, int]:
    return {"partner": create(engine, valid(needs, places))}


def _version(session: Session, partner_id: int) -> int:
    return session.get(Partner, partner_id).version


Call = Callable[[Session, auth.CurrentUser, dict, dict, dict], object]
WRITERS: dict[str, Call] = {
    "create_partner": lambda s, who, w, n, p: edit.create_partner(
        s, who, valid(n, p, name="Nuovo ente"), today=TODAY
    ),
    "update_partner": lambda s, who, w, n, p: edit.update_partner(
        s,
        who,
        w["partner"],
        replace(edit.partner_input(s, w["partner"])[0], description="Cambiata"),
        version=_version(s, w["partner"]),
        today=TODAY,
    ),
    "mark_verified": lambda s, who, w, n, p: edit.mark_verified(
        s, who, w["partner"], TODAY, version=_version(s, w["partner"]), today=TODAY
    ),
    "set_active": lambda s, who, w, n, p: edit.set_active(
        s, who, w["partner"], False, version=_version(s, w["partner"])
    ),
    "delete_partner": lambda s, who, w, n, p: edit.delete_partner(
        s, who, w["partner"], version=_version(s, w["partner"])
    ),
}
ACTIONS = {
    "create_partner": "partner_created",
    "update_partner": "partner_updated",
    "mark_verified": "partner_verified",
    "set_active": "partner_deactivated",
    "delete_partner": "partner_deleted",
}


def test_every_public_writer_of_the_directory_is_in_the_table():
    found = {
        name
        for name, function in inspect.getmembers(edit, inspect.isfunction)
        if function.__module__ == edit.__name__
        and not name.startswith("_")
        and "actor" in inspect.signature(function).parameters
    }
    assert found == set(WRITERS) == set(ACTIONS)


@pytest.mark.parametrize("name", sorted(WRITERS))
@pytest.mark.parametrize("role", ["operatore", "admin"])
def test_a_writer_audits_the_acting_user_by_the_partners_name_and_moves_the_data_version(
    engine, needs, places, name, role
):
    ids = world(engine, needs, places)
    with session_scope(engine) as session:
        who = administrator(session) if role == "admin" else editor(session)
    before_version = db.data_version(engine)
    with Session(engine) as session:
        last = session.scalar(select(func.max(AuditEntry.id)))
    with session_scope(engine) as session:
        WRITERS[name](session, who, ids, needs, places)
    with Session(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.id > last)).all()
    assert [(e.action, e.entity, e.user_id) for e in entries] == [
        (ACTIONS[name], "partner", who.id)
    ]
    summary = entries[0].summary or ""
    assert summary.startswith(("Caritas Cantù", "Nuovo ente"))
    assert "Anna" not in summary and "@" not in summary and "333" not in summary
    assert db.data_version(engine) > before_version


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_direzione_is_refused_by_every_writer_and_nothing_changes(engine, needs, places, name):
    ids = world(engine, needs, places)
    with session_scope(engine) as session:
        boss = auth.create_user(session, "dora", "Dora", "direzione", "password-di-prova")
        who = auth.CurrentUser(boss.id, "dora", "Dora", "direzione")
    before = counts(engine)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        WRITERS[name](session, who, ids, needs, places)
    assert counts(engine) == before


# --- Verified, deactivated, deleted


def test_verified_today_sets_the_date_but_never_a_future_one(engine, needs, places):
    partner_id = create(engine, valid(needs, places, last_verified_on=None))
    with session_scope(engine) as session:
        edit.mark_verified(session, editor(session), partner_id, TODAY, version=1, today=TODAY)
    data, version = read(engine, partner_id)
    assert data.last_verified_on == TODAY
    with pytest.raises(ValidationError, match="nel futuro") as error, session_scope(engine) as s:
        edit.mark_verified(
            s, editor(s), partner_id, TODAY + dt.timedelta(days=1), version=version, today=TODAY
        )
    assert error.value.field == "last_verified_on"


def send(
    engine: Engine, need_category: int, place: int, partner_id: int, contact_id: int | None = None
) -> int:
    """A household of `place` with one need of `need_category`, sent to the partner's
    `contact_id` (its first contact when None)."""
    with session_scope(engine) as session:
        cm = editor(session)
        if contact_id is None:
            contact_id = session.scalar(select(Contact.id).where(Contact.partner_id == partner_id))
        code = f"VA-{session.scalar(select(func.count()).select_from(Referral)) + 1}"
        household = add_household(session, code=code, neighbourhood_id=place)
        interview = records.record_interview(
            session,
            cm,
            household_id=household.id,
            held_on=TODAY - dt.timedelta(days=30),
            channel_code="sportello",
            needs=[records.NeedInput(need_category)],
            today=TODAY,
        )
        need_id = session.scalar(select(Need.id).where(Need.interview_id == interview.id))
        return referrals.send_referral(
            session,
            cm,
            referrals.ReferralInput(
                need_id, partner_id, contact_id, "telefono", TODAY - dt.timedelta(days=30), True
            ),
            today=TODAY,
        ).id


def test_a_deactivated_partner_is_no_longer_proposed_but_its_referrals_still_count(
    engine, needs, places
):
    partner_id = create(engine, valid(needs, places))
    referral_id = send(engine, needs["ECO01"], places["Biumo"], partner_id)
    with session_scope(engine) as session:
        referrals.move_referral(
            session,
            editor(session),
            referral_id,
            "accept",
            version=session.get(Referral, referral_id).version,
            on=TODAY - dt.timedelta(days=28),
            today=TODAY,
        )
    proposed = directory.propose_partners(engine, needs["ECO01"], places["Biumo"])
    assert [(p.partner_id, p.taken) for p in proposed] == [(partner_id, 1)]
    _, version = read(engine, partner_id)
    with session_scope(engine) as session:
        edit.set_active(session, editor(session), partner_id, False, version=version)
    assert directory.propose_partners(engine, needs["ECO01"], places["Biumo"]) == []
    assert partner_id not in dict(directory.active_partners(engine))
    period = Filters(period="2026-10:2026-11", start=202610, end=202611)
    outcomes = referral_outcomes_by_partner(engine, period, TODAY)
    assert outcomes[["partner_id", "sent", "accepted"]].values.tolist() == [[partner_id, 1, 1]]
    _, version = read(engine, partner_id)
    with session_scope(engine) as session:
        edit.set_active(session, editor(session), partner_id, True, version=version)
    proposed = directory.propose_partners(engine, needs["ECO01"], places["Biumo"])
    assert [(p.partner_id, p.taken) for p in proposed] == [(partner_id, 1)]


def test_a_partner_with_referrals_is_never_deleted_but_one_entered_by_mistake_is(
    engine, needs, places
):
    used = create(engine, valid(needs, places))
    send(engine, needs["ECO01"], places["Biumo"], used)
    mistake = create(engine, valid(needs, places, name="Doppione"))
    before = counts(engine)
    with (
        pytest.raises(IllegalMove, match="1 segnalazione: non si può eliminare") as error,
        session_scope(engine) as session,
    ):
        edit.delete_partner(session, editor(session), used, version=1)
    assert "disattivarlo invece" in str(error.value).lower()
    assert counts(engine) == before
    with session_scope(engine) as session:
        edit.delete_partner(session, editor(session), mistake, version=1)
    with Session(engine) as session:
        assert session.get(Partner, mistake) is None
        for model in (Contact, PartnerCategory, PartnerArea):
            left = select(func.count()).select_from(model).where(model.partner_id == mistake)
            assert session.scalar(left) == 0
        assert session.get(Partner, used) is not None
    with pytest.raises(NotFound), Session(engine) as session:
        edit.partner_input(session, mistake)


# --- The demo directory


def test_every_demo_partner_saves_unchanged_through_the_form(engine):
    """The validators accept what the demo (and so a real directory like it) holds:
    extensions after a number, example.org sites; a save changes nothing but the version."""
    from rete import demo

    demo.load_demo(engine, households=40, seed=3, months=3, today=TODAY)
    with Session(engine) as session:
        ids = session.scalars(select(Partner.id).order_by(Partner.id)).all()
    assert ids
    for partner_id in ids:
        data, version = read(engine, partner_id)
        update(engine, partner_id, data, version)
        assert read(engine, partner_id) == (data, version + 1)
