"""No personal data in the logs: the code paths that log (a failed login, a refused save, a
database error while saving or drawing a page, a refused referral, an import) are driven with
personal data in their input, and the log they write is searched for it. The log says what
kind of thing happened and where, never the values.

The whole session's log is searched too (tests/log_privacy.py, called from conftest.py); the
last tests here check that search itself.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import log_privacy
import pytest
from actors import add_household, category, editor, seed_places
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from rete import auth, hsds, models, records, referrals
from rete.db import session_scope
from rete.errors import InvalidCredentials, ValidationError
from rete.models import Household
from rete.ui import forms, messages

TODAY = dt.date(2026, 11, 25)
# A tenant of our own: none of this may reach a log.
CODE = "VA-990177"
NAME = "Zelinda Quarenghi"
PHONE = "0332 765432"
BAD_PHONE = "0332 76 54 32 10 99 Quarenghi"
BAD_EMAIL = "zelinda.quarenghi@casa"
NOTE = "Nota riservata: sfratto per morosita incolpevole"
SECRETS = (CODE, NAME, PHONE, "Quarenghi", "zelinda.quarenghi", "morosita incolpevole")


@pytest.fixture
def caught(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of Rete's loggers, at every level, with its traceback."""
    caplog.set_level(logging.DEBUG, logger="rete")
    return caplog


def assert_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Neither the messages nor their tracebacks hold any of `SECRETS`."""
    text = caplog.text.casefold()
    for record in caplog.records:
        text += record.getMessage().casefold()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info).casefold()
    assert [secret for secret in SECRETS if secret.casefold() in text] == []


def messages_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{record.levelname} {record.getMessage()}" for record in caplog.records]


@pytest.fixture
def places(engine: Engine) -> dict[str, int]:
    return seed_places(engine)


@pytest.fixture
def household(engine: Engine, places: dict[str, int]) -> int:
    with session_scope(engine) as session:
        return add_household(session, code=CODE, neighbourhood_id=places["Biumo"]).id


# --- Logging in


def test_a_failed_login_logs_neither_the_name_typed_nor_the_password(
    engine: Engine, cast: dict[str, int], caught: pytest.LogCaptureFixture
) -> None:
    for username, password in (("zelinda.quarenghi", NAME), ("olga", f"{PHONE} {CODE}")):
        with pytest.raises(InvalidCredentials):
            auth.authenticate(engine, username, password)
    assert "INFO failed login" in messages_of(caught)
    assert_no_secret(caught)


# --- Saving a form


def _attempt(action: Callable[[], object]) -> dict[str, str]:
    """`forms.attempt` as a form runs it; the messages it filed for the page."""
    assert forms.attempt("prova", action) is None
    return dict(forms._errors("prova"))


def test_a_refused_save_logs_its_kind_while_the_page_quotes_what_was_typed(
    engine: Engine, places: dict[str, int], household: int, caught: pytest.LogCaptureFixture
) -> None:

    def create(code: str, contact: records.ContactInput) -> Callable[[], object]:
        def save() -> object:
            with session_scope(engine) as session:
                return records.create_household(
                    session,
                    editor(session),
                    records.HouseholdInput(code, places["Biumo"]),
                    contact,
                )

        return save

    shown = _attempt(create(CODE, records.ContactInput(NAME, PHONE)))  # the code is taken
    shown |= _attempt(create("VA-990178", records.ContactInput(NAME, BAD_PHONE)))
    shown |= _attempt(create("VA-990179", records.ContactInput(NAME, "", BAD_EMAIL)))
    assert CODE in shown["code"] and "Quarenghi" in shown["phone"] and BAD_EMAIL in shown["email"]
    assert messages_of(caught) == ["INFO form prova refused: ValidationError"] * 3
    assert_no_secret(caught)


def _duplicate(engine: Engine) -> Callable[[], object]:
    """A save the database itself refuses (two households with one code, as two community
    managers saving at once could make): its message quotes the code."""

    def save() -> object:
        with session_scope(engine) as session:
            place = session.scalar(select(Household.neighbourhood_id))
            session.add(Household(code=CODE, neighbourhood_id=place, members=1))
            session.flush()
        return None

    return save


def test_a_database_error_while_saving_logs_where_not_what(
    engine: Engine, household: int, caught: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(IntegrityError) as raised:
        _duplicate(engine)()
    assert CODE in str(raised.value)  # what the log must not say
    shown = _attempt(_duplicate(engine))
    assert "niente è stato salvato" in shown[forms.GENERAL]
    (record,) = caught.records
    assert record.levelname == "ERROR"
    assert record.getMessage().startswith("database error while saving prova: IntegrityError")
    assert "tests/test_logs_privacy.py" in record.getMessage()  # where it was raised
    assert "site-packages/" in record.getMessage().splitlines()[-1]  # and the innermost
    assert_no_secret(caught)


# --- A page's errors (friendly_errors)


def test_friendly_errors_log_the_kind_of_a_domain_error_and_not_its_message(
    caught: pytest.LogCaptureFixture,
) -> None:
    with messages.friendly_errors():
        raise ValidationError(f"Il nucleo {CODE} di {NAME} ha già un colloquio.")
    assert messages_of(caught) == ["WARNING shown to the user: ValidationError"]
    assert_no_secret(caught)


def test_friendly_errors_log_a_database_error_without_its_message(
    engine: Engine, household: int, caught: pytest.LogCaptureFixture
) -> None:
    with messages.friendly_errors():
        _duplicate(engine)()
    (record,) = caught.records
    assert record.getMessage().startswith("database error: IntegrityError")
    assert record.exc_info is None  # the traceback would end with the message
    assert_no_secret(caught)


# --- Referrals and imports


def test_a_refused_referral_logs_neither_its_note_nor_the_household(
    engine: Engine, household: int, caught: pytest.LogCaptureFixture
) -> None:
    with session_scope(engine) as session:
        interview = records.record_interview(
            session,
            editor(session),
            household_id=household,
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(category(session, "ECO01"), notes=NOTE)],
            notes=f"{NAME}, {PHONE}",
            today=TODAY,
        )
        need = session.scalar(
            select(models.Need.id).where(models.Need.interview_id == interview.id)
        )

    def send() -> object:
        with session_scope(engine) as session:
            return referrals.send_referral(
                session,
                editor(session),
                referrals.ReferralInput(
                    need, 999_999, None, "telefono", TODAY, False, f"Senza consenso: {NAME}", NOTE
                ),
                today=TODAY,
            )

    shown = _attempt(send)
    assert shown
    assert [m.split(":")[0] for m in messages_of(caught)] == ["INFO form prova refused"]
    assert_no_secret(caught)


def test_an_import_with_errors_logs_nothing_of_the_file(
    engine: Engine, caught: pytest.LogCaptureFixture
) -> None:
    """A directory whose organization has no id and whose contact person has a phone that is
    not Italian: the preview lists the problems, the log holds nothing of the file."""
    organizations = "id,name,description\n," + f"{NAME},{NOTE}\n"
    contacts = f"id,organization_id,name,email\nc1,,{NAME},{BAD_EMAIL}\n"
    phones = f"id,contact_id,number\np1,c1,{BAD_PHONE}\n"
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("organizations.csv", organizations)
        archive.writestr("contacts.csv", contacts)
        archive.writestr("phones.csv", phones)
    preview = hsds.preview_upload(engine, package.getvalue(), f"{NAME}.zip", TODAY)
    assert preview.errors
    broken = hsds.preview_upload(engine, b"PK\x03\x04 " + NAME.encode(), f"{CODE}.zip", TODAY)
    assert broken.errors
    assert_no_secret(caught)


# --- The session's search (tests/log_privacy.py)


def test_the_session_keeps_rete_s_records_at_every_level() -> None:
    marker = "log-privacy-marker-2741"
    logging.getLogger("rete.prova").debug("%s", marker)
    assert any(marker in text for _, text in log_privacy.KEEPER.records)


def test_the_session_keeps_streamlit_s_own_records() -> None:
    from streamlit.logger import get_logger

    marker = "log-privacy-marker-5318"
    get_logger("streamlit.prova").warning("%s", marker)
    assert any(marker in text for _, text in log_privacy.KEEPER.records)


def test_the_search_finds_a_value_as_a_word_whatever_its_case() -> None:
    wanted = log_privacy.needles({NAME: "household_contact.full_name", "Via\nBiumo 12": "note"})
    lines = [
        ("a", "INFO rete.x: saved for zelinda quarenghi"),
        ("b", "INFO rete.x: Zelinda Quarenghiano is someone else"),
        ("c", "INFO rete.x: household VA-000123 opened"),
        ("d", "INFO rete.x: Biumo 12 bis"),  # the note's second line
        ("e", "INFO rete.x: household 123 opened"),
    ]
    found = {(leak.where, leak.value) for leak in log_privacy.find_leaks(wanted, lines)}
    assert found == {("a", NAME), ("c", "VA-000123"), ("d", "Biumo 12")}


def test_the_search_reads_the_personal_data_of_the_session_s_databases(
    engine: Engine, places: dict[str, int], tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the session's search reads the SQLite files it leaves")
    with session_scope(engine) as session:
        records.create_household(
            session,
            editor(session),
            records.HouseholdInput(CODE, places["Biumo"]),
            records.ContactInput(NAME, PHONE, "zelinda.quarenghi@example.net"),
        )
    found = log_privacy.database_values(tmp_path)
    assert found[CODE] == "household.code"
    assert found[NAME] == "household_contact.full_name"
    assert found[PHONE] == "household_contact.phone"


def test_every_column_the_search_reads_is_in_the_schema() -> None:
    """A renamed column would be skipped silently (older schemas are, on purpose)."""
    tables = models.Base.metadata.tables
    for table, columns in log_privacy.PERSONAL_COLUMNS.items():
        assert set(columns) <= set(tables[table].columns.keys()), table


def test_the_catalogue_names_every_demo_person() -> None:
    catalogue = log_privacy.demo_catalogue()
    assert "Anna Esempio" in catalogue and "anna.esempio" in catalogue


def test_a_database_error_is_described_without_its_message() -> None:
    from rete import db

    try:
        raise IntegrityError("INSERT INTO household (code) VALUES (?)", (CODE,), Exception(NAME))
    except SQLAlchemyError as error:
        described = db.loggable(error)
    assert described.startswith("IntegrityError (builtins.Exception)")
    assert CODE not in described and NAME not in described
    assert "test_logs_privacy.py" in described


def test_the_search_reads_the_session_s_log_files() -> None:
    # Outside the session's folder, whose logs the session's own search reads.
    with tempfile.TemporaryDirectory() as folder:
        server = Path(folder) / "browser0"
        server.mkdir()
        log = server / "streamlit.log"
        log.write_text("INFO rete.auth: failed login\nINFO saved VA-000777\n")
        lines = list(log_privacy.log_files(Path(folder)))
    assert lines[1] == (f"{log}:2", "INFO saved VA-000777")
    (leak,) = log_privacy.find_leaks({}, lines)
    assert leak.value == "VA-000777"
