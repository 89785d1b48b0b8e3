"""The app as a user drives it, through Streamlit's AppTest."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import access, auth, bootstrap, config, db, formats, queries
from rete.filters import default_filters, month_add, month_label, month_of
from rete.models import User, UserSession

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120  # a first run migrates a database


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'demo.db'}"
    engine = db.get_engine(url)
    bootstrap.initialise(engine, with_demo=True, households=120, seed=7)
    return url


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def as_user(app: AppTest, username: str) -> AppTest:
    """Log in through the seam page tests use (AppTest cannot carry the session cookie)."""
    engine = db.get_engine(app_url())
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
    app.session_state["rete_user"] = auth.CurrentUser(
        user.id, user.username, user.display_name, user.role
    )
    return app.run()


def app_url() -> str:
    return os.environ["RETE_DATABASE_URL"]


def texts(app: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "title", "subheader")
        for e in getattr(app, kind)
    ]
    return "\n".join(str(p) for p in parts)


def login(app: AppTest, username: str, password: str) -> AppTest:
    app.run()
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def test_the_login_page_says_it_is_a_demo_and_lists_the_accounts(app):
    app.run()
    assert not app.exception
    page = texts(app)
    assert "Dati dimostrativi" in page
    assert "`direzione`" in page and "`operatore`" in page and "`admin`" in page


def test_a_wrong_password_shows_an_italian_error_and_issues_nothing(app):
    login(app, "direzione", "sbagliata")
    assert not app.exception
    assert [e.value for e in app.error] == [auth.WRONG_CREDENTIALS]
    assert app.error[0].value.startswith("Nome utente o password non corretti.")
    assert app.text_input[0].value == "direzione"


def test_a_good_password_issues_a_one_time_ticket_and_redirects(app):
    login(app, "direzione", "demo")
    assert not app.exception
    assert "Accesso in corso" in texts(app)
    with Session(db.get_engine(app_url())) as session:
        pending = session.scalars(
            select(UserSession).where(UserSession.ticket_hash.is_not(None))
        ).all()
    assert len(pending) >= 1
    assert any("/auth/session?ticket=" in h.proto.body for h in app.get("html"))


def test_a_link_to_a_view_survives_the_login(app):
    app.query_params["area"] = "ECO"
    app.query_params["periodo"] = "anno"
    login(app, "admin", "demo")
    redirect = next(h.proto.body for h in app.get("html") if "/auth/session" in h.proto.body)
    assert "next=%2F%3Farea%3DECO%26periodo%3Danno" in redirect


def test_a_hostile_link_reaches_the_login_redirect_only_url_encoded(app):
    app.query_params["area"] = "</script><script>alert(1)</script>"
    app.query_params["canale"] = "x)\"'](javascript:alert(1))"
    login(app, "admin", "demo")
    redirect = next(h.proto.body for h in app.get("html") if "/auth/session" in h.proto.body)
    argument = re.fullmatch(r"<script>window\.location\.replace\((.*)\);</script>", redirect)
    assert argument, redirect
    path = json.loads(argument.group(1))
    assert re.fullmatch(r"[A-Za-z0-9/_.?=&%+-]+", path), path
    assert "alert%25281%2529" in path  # the payload is still there, only encoded
    link = next(m.value for m in app.markdown if "proseguire da qui" in m.value)
    assert link.endswith(f"[proseguire da qui]({path}).")


REFUSAL = "Pagina non disponibile: accedere dalla pagina iniziale di Rete."
PAGE_BY_ROLE = [
    pytest.param(spec, role, id=f"{spec.key}-{role}")
    for spec in access.PAGES
    for role in access.ROLES
]


def elements(node: object) -> list[str]:
    """The kind of every element drawn under a block of AppTest's tree, depth first."""
    children = getattr(node, "children", None)
    if children is None:
        return [type(node).__name__]
    return [leaf for child in children.values() for leaf in elements(child)]


def assert_only_the_refusal(direct: AppTest) -> None:
    assert [e.value for e in direct.error] == [REFUSAL]
    assert elements(direct.main) + elements(direct.sidebar) == ["Error"]


def run_page_file_alone(spec: access.PageSpec, username: str | None) -> AppTest:
    """Run one file of pages/ without app.py, as Streamlit's old pages-folder mode would."""
    direct = AppTest.from_file(str(Path(APP).parent / spec.file), default_timeout=TIMEOUT)
    return as_user(direct, username) if username else direct.run()


@pytest.mark.parametrize(("spec", "role"), PAGE_BY_ROLE)
def test_each_role_opens_exactly_the_pages_the_registry_gives_it(app, spec, role):
    as_user(app, role)  # the demo accounts are named after their roles
    if access.may_open(role, spec.key):
        app.switch_page(spec.file).run()
        assert not app.exception
        assert REFUSAL not in [e.value for e in app.error]
        assert app.title[0].value == spec.title
        return
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(spec.file)
    direct = run_page_file_alone(spec, role)
    assert_only_the_refusal(direct)


@pytest.mark.parametrize("spec", access.PAGES, ids=lambda spec: spec.key)
def test_a_page_file_run_on_its_own_refuses_a_visitor_not_logged_in(demo_url, monkeypatch, spec):
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)
    direct = run_page_file_alone(spec, None)
    assert_only_the_refusal(direct)


@pytest.mark.parametrize("role", access.ROLES)
def test_each_role_lands_on_its_home_page(app, role):
    as_user(app, role)
    assert not app.exception
    assert app.title[0].value == access.home(role).title


def test_admin_can_open_the_audit_trail_and_sees_the_logins(app):
    login(AppTest.from_file(APP, default_timeout=TIMEOUT), "admin", "demo")
    as_user(app, "admin")
    app.switch_page("pages/registro.py").run()
    assert not app.exception
    assert app.title[0].value == "Registro accessi"
    frame = app.dataframe[0].value
    assert "accesso" in set(frame["action"])


@pytest.mark.parametrize("role_user", ["operatore", "direzione", "admin"])
def test_every_role_sees_the_cruscotto_with_its_charts(app, role_user):
    as_user(app, role_user)
    app.switch_page("pages/cruscotto.py").run()
    assert not app.exception
    assert [m.label for m in app.metric] == [
        "Colloqui",
        "Nuclei raggiunti",
        "Bisogni rilevati",
        "Segnalazioni inviate",
        "Prese in carico",
        "Giorni alla presa in carico",
    ]
    charts = app.get("plotly_chart")
    assert len(charts) == 5
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    # What and when, once: the 12 complete months before this one, in short.
    current = month_of(config.today())
    when = f"{month_label(month_add(current, -12), short=True)} – "
    when += month_label(month_add(current, -1), short=True)
    assert [t.split(" · ")[0] for t in titles] == [
        "Bisogni per area",
        "Bisogni per quartiere e area",
        "Bisogni specifici per quartiere",
        "Bisogni per mese e area",
        "Segnalazioni per ente ed esito",
    ]
    assert all(t.endswith(when) for t in titles), titles
    assert len(app.get("download_button")) == 5


def chart_layouts(app: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec)["layout"] for c in app.get("plotly_chart")]


def test_presenta_makes_every_chart_larger_for_a_meeting_room(app):
    as_user(app, "direzione")
    before = [layout["font"]["size"] for layout in chart_layouts(app)]
    app.toggle(key="cr_present").set_value(True).run()
    after = [layout["font"]["size"] for layout in chart_layouts(app)]
    assert len(after) == 5 and all(a > b >= 16 for a, b in zip(after, before, strict=True))


def test_the_neighbourhoods_can_be_ranked_per_100_homes(app):
    as_user(app, "direzione")
    app.toggle(key="cr_per_homes").set_value(True).run()
    assert not app.exception
    layout = chart_layouts(app)[1]
    assert layout["title"]["text"].startswith("Bisogni ogni 100 alloggi per quartiere e area · ")
    assert layout["xaxis"]["title"]["text"] == "Bisogni ogni 100 alloggi ALER"


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_a_filter_change_changes_the_numbers_and_the_url(app):
    as_user(app, "direzione")
    today = config.today()
    everything = queries.kpis(db.get_engine(app_url()), default_filters(today), today)
    assert metric(app, "Bisogni rilevati") == formats.number(everything.needs)
    areas = app.multiselect(key="f_areas")
    app.multiselect(key="f_areas").select(areas.options[0]).run()
    assert not app.exception
    chosen = app.multiselect(key="f_areas").value
    one_area = replace(default_filters(today), area_ids=tuple(chosen))
    figures = queries.kpis(db.get_engine(app_url()), one_area, today)
    assert 0 < figures.needs < everything.needs
    assert metric(app, "Bisogni rilevati") == formats.number(figures.needs)
    assert metric(app, "Colloqui") == formats.number(figures.interviews)
    assert "area" in app.query_params


def test_the_url_filters_are_applied_and_unknown_values_are_ignored_with_a_notice(app):
    app.query_params["canale"] = ["telefono", "piccione"]
    as_user(app, "direzione")
    assert not app.exception
    assert app.multiselect(key="f_channels").value == ["telefono"]
    assert [t.value for t in app.toast] == [
        "Il link conteneva filtri non validi, ignorati: canale «piccione» non riconosciuto."
    ]


def test_an_empty_result_shows_a_friendly_message_not_an_empty_chart(app):
    app.query_params["periodo"] = "2001-01"
    as_user(app, "direzione")
    assert not app.exception
    assert app.get("plotly_chart") == []
    assert sum("Nessun dato per i filtri scelti" in i.value for i in app.info) == 5
    assert metric(app, "Colloqui") == "0"


def test_the_figures_are_in_italian_format(app):
    as_user(app, "direzione")
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["separators"] == ",."
    share = metric(app, "Prese in carico")
    assert share.endswith("%") and "." not in share


def test_an_empty_real_database_tells_the_admin_to_run_init(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'vuoto.db'}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "python -m rete init --no-demo" in texts(app)


def test_an_unreachable_database_is_explained_on_the_page(monkeypatch):
    monkeypatch.setenv("RETE_DATABASE_URL", "postgresql+psycopg://nessuno@127.0.0.1:1/niente")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "non è raggiungibile" in app.error[0].value


def test_logging_out_forgets_the_user(app):
    as_user(app, "direzione")
    app.button(key="logout").click().run()
    assert "Uscita in corso" in next(i.value for i in app.sidebar.info)
    assert "rete_user" not in app.session_state


def test_a_database_newer_than_the_code_is_explained_on_the_page(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'nuovo.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert "versione di Rete più recente" in app.error[0].value
    assert not app.text_input  # no login form on a database it cannot read


def test_the_filters_survive_a_visit_to_another_page(app):
    as_user(app, "admin")
    app.multiselect(key="f_areas").select(app.multiselect(key="f_areas").options[1]).run()
    chosen = app.multiselect(key="f_areas").value
    app.switch_page("pages/registro.py").run()
    app.switch_page("pages/cruscotto.py").run()
    assert not app.exception
    assert app.multiselect(key="f_areas").value == chosen
    assert "area" in app.query_params


def test_the_empty_database_notice_goes_once_init_has_run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'reale.db'}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert "python -m rete init --no-demo" in texts(app)
    bootstrap.initialise(db.get_engine(url), with_demo=False, admin_password="password-admin-prova")
    app.run()
    assert "python -m rete init" not in texts(app)
    assert app.button[0].label == "Accedi"


def test_a_database_that_stops_answering_gives_an_italian_message(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    as_user(app, "direzione")

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr("rete.ui.database.data_version", broken)
    app.run()
    assert not app.exception
    assert "Il database non risponde" in app.error[0].value


def test_unknown_url_values_are_echoed_without_markdown(app):
    app.query_params["canale"] = "[Accedi](https://altro.example.org)"
    as_user(app, "direzione")
    notice = app.toast[0].value
    assert "](" not in notice and "[" not in notice and "altro.example" not in notice
