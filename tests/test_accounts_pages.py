"""«Utenti», «Il mio profilo» and the reset link's page, driven as users drive them (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import accounts, auth, bootstrap, db
from rete.db import session_scope
from rete.models import AuditEntry, User

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


@pytest.fixture
def url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=30, seed=3)
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    return url


def user(url: str, name: str) -> auth.CurrentUser:
    with Session(db.get_engine(url)) as session:
        row = session.scalars(select(User).where(User.username == name)).one()
        return auth.CurrentUser(row.id, row.username, row.display_name, row.role)


def opened(url: str, name: str, page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, name)
    app.run()
    return app.switch_page(page).run()


def select_row(app: AppTest, url: str, row: int) -> None:
    """AppTest cannot click a dataframe's row: the selection is set in its state, under the
    table's key (which names the rows shown)."""
    from rete.ui import users_view

    key = f"users_table_{users_view._fingerprint(accounts.users(db.get_engine(url)))}"
    app.session_state[key] = {"selection": {"rows": [row], "columns": []}}


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def shown(app: AppTest) -> str:
    kinds = ("markdown", "caption", "text", "success", "error", "warning", "subheader", "code")
    text = "\n".join(str(e.value) for kind in kinds for e in getattr(app, kind))
    return text.replace("\\", "")  # typed text and messages are shown Markdown-escaped


def test_the_admin_creates_a_user_and_gets_the_link_once(url):
    app = opened(url, "admin", "pages/utenti.py")
    assert not app.exception and app.title[0].value == "Utenti"
    app.text_input(key="users_new_username").input("MRossi")
    app.text_input(key="users_new_name").input("Maria Rossi")
    app.selectbox(key="users_new_role").select("direzione")
    app = button(app, "Crea l'utente").click().run()
    assert not app.exception
    assert "Utente «mrossi» creato" in shown(app)
    link = app.code[0].value
    assert link.startswith("/?reimposta=") or "?reimposta=" in link
    code = link.split("reimposta=", 1)[1]
    assert accounts.reset_user(db.get_engine(url), code) == "mrossi"
    app = button(app, "Ho consegnato il link: nascondilo").click().run()
    assert not app.code  # shown once: gone, and nowhere to get it again
    with Session(db.get_engine(url)) as session:
        stored = session.scalars(select(User).where(User.username == "mrossi")).one()
        assert stored.role == "direzione" and code not in (stored.reset_hash or "")


def test_a_bad_name_is_explained_and_what_was_typed_stays(url):
    app = opened(url, "admin", "pages/utenti.py")
    app.text_input(key="users_new_username").input("operatore")
    app.text_input(key="users_new_name").input("Un doppione")
    app = button(app, "Crea l'utente").click().run()
    assert "Esiste già un utente «operatore»" in shown(app)
    assert app.text_input(key="users_new_name").value == "Un doppione"


def test_the_admin_selects_a_user_and_changes_the_role(url):
    app = opened(url, "admin", "pages/utenti.py")
    frame = app.dataframe[0].value
    row = list(frame["Utente"]).index("direzione")
    select_row(app, url, row)
    app.run()
    assert "Direzione (direzione)" in shown(app) or "(direzione)" in shown(app)
    app.selectbox(key=f"users_role_{user(url, 'direzione').id}").select("operatore").run()
    app = button(app, "Cambia ruolo").click().run()
    assert not app.exception
    assert "Ruolo di «direzione» cambiato." in shown(app)
    assert user(url, "direzione").role == "operatore"
    with Session(db.get_engine(url)) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.role, entry.summary) == (
        "user_role_changed",
        "admin",
        "da direzione a operatore",
    )


def test_the_admin_cannot_demote_themself_on_the_page(url):
    app = opened(url, "admin", "pages/utenti.py")
    row = list(app.dataframe[0].value["Utente"]).index("admin")
    select_row(app, url, row)
    app.run()
    assert app.selectbox(key=f"users_role_{user(url, 'admin').id}").disabled
    assert button(app, "Disattiva").disabled


def test_the_admin_saves_the_security_settings(url):
    app = opened(url, "admin", "pages/utenti.py")
    app.number_input(key="users_settings_idle_minutes").set_value(45)
    app = button(app, "Salva le impostazioni").click().run()
    assert "Impostazioni salvate: Uscita dopo minuti di inattività." in shown(app)
    with Session(db.get_engine(url)) as session:
        from rete import security

        assert security.read(session).idle_minutes == 45


def test_nobody_but_the_admin_reaches_the_accounts(url):
    for name in ("direzione", "operatore"):
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        app.session_state["rete_user"] = user(url, name)
        app.run()
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page("pages/utenti.py")


def test_my_profile_changes_my_password_and_keeps_what_i_typed_on_a_mistake(url):
    with session_scope(db.get_engine(url)) as session:  # a real password (demo is 'demo')
        stored = session.scalars(select(User).where(User.username == "operatore")).one()
        from rete import passwords

        stored.password_hash = passwords.hash_password("vecchia frase lunga")
    app = opened(url, "operatore", "pages/profilo.py")
    assert app.title[0].value == "Il mio profilo"
    assert "Nome utente: operatore" in shown(app)
    app.text_input(key="profile_password_old").input("vecchia frase lunga")
    app.text_input(key="profile_password_new").input("nuova frase ben lunga")
    app.text_input(key="profile_password_again").input("nuova frase diversa")
    app = button(app, "Cambia la password").click().run()
    assert "Le due nuove password non coincidono" in shown(app)
    assert app.text_input(key="profile_password_new").value == "nuova frase ben lunga"
    app.text_input(key="profile_password_again").input("nuova frase ben lunga")
    app = button(app, "Cambia la password").click().run()
    assert "Password cambiata." in shown(app)
    assert auth.authenticate(db.get_engine(url), "operatore", "nuova frase ben lunga")


def test_my_profile_lists_my_sessions_and_ends_another(url):
    engine = db.get_engine(url)
    me = user(url, "direzione")
    other = auth.redeem_ticket(engine, auth.issue_ticket(engine, me), "Firefox su Windows")
    assert other is not None
    app = opened(url, "direzione", "pages/profilo.py")
    assert "Firefox su Windows" in shown(app)
    app = button(app, "Chiudi").click().run()
    assert "Sessione chiusa" in shown(app)
    assert auth.user_for_token(engine, other.token) is None


def test_the_reset_link_lets_the_user_choose_a_password_then_log_in(url):
    engine = db.get_engine(url)
    with session_scope(engine) as session:
        code = accounts.start_reset(session, user(url, "admin"), user(url, "operatore").id)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params[accounts.RESET_PARAMETER] = code
    app.run()
    assert app.title[0].value == "Rete · nuova password"
    assert "Utente: operatore" in shown(app)
    app.text_input(key="reset_new").input("password")
    app.text_input(key="reset_again").input("password")
    app = button(app, "Salva la password").click().run()
    assert "troppo corta" in shown(app)
    app.text_input(key="reset_new").input("una frase per operatore")
    app.text_input(key="reset_again").input("una frase per operatore")
    app = button(app, "Salva la password").click().run()
    assert not app.exception
    assert app.title[0].value == "Rete · accesso"
    assert "Password salvata" in shown(app)
    assert auth.authenticate(engine, "operatore", "una frase per operatore").role == "operatore"


def test_a_used_or_unknown_reset_link_says_to_ask_for_a_new_one(url):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.query_params[accounts.RESET_PARAMETER] = "inventato"
    app.run()
    assert accounts.RESET_INVALID in shown(app)
    assert not app.text_input


def test_a_click_after_the_session_ended_changes_nothing_and_shows_the_login(url):
    """Streamlit runs a button's callback before the script (before app.py checks the session):
    the callback checks it itself, so a user deactivated meanwhile records nothing."""
    from rete.models import ReferralEvent

    engine = db.get_engine(url)
    operatore = user(url, "operatore")
    redeemed = auth.redeem_ticket(engine, auth.issue_ticket(engine, operatore))
    assert redeemed is not None
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_test_token"] = redeemed.token
    app.run()
    assert app.title[0].value == "Da seguire"
    quick = next(b for b in app.button if str(b.key).startswith("fu_quick_"))
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(ReferralEvent))
    with session_scope(engine) as session:
        accounts.set_active(session, user(url, "admin"), operatore.id, False)
    app = quick.click().run()
    assert not app.exception
    assert app.title[0].value == "Rete · accesso"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ReferralEvent)) == before
