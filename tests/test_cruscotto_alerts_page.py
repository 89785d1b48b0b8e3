"""The early warnings on the Cruscotto, as management sees them (AppTest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from actors import add_household, category, editor
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import auth, bootstrap, config, db, records
from rete.db import session_scope
from rete.filters import month_add, month_label, month_of
from rete.models import Neighbourhood, User

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(scope="module")
def spike_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo, plus ten urgent needs of five households in one neighbourhood in the last
    complete month."""
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'demo.db'}"
    engine = db.get_engine(url)
    bootstrap.initialise(engine, with_demo=True, households=120, seed=7)
    last = month_add(month_of(config.today()), -1)
    day = dt.date(last // 100, last % 100, 10)
    with session_scope(engine) as session:
        place = session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Biumo"))
        for number in range(5):  # five households: a neighbourhood's rise, not one family's
            household = add_household(session, code=f"SPIKE-{number}", neighbourhood_id=place.id)
            records.record_interview(
                session,
                editor(session),
                household_id=household.id,
                held_on=day,
                channel_code="telefono",
                needs=[records.NeedInput(category(session, "ECO01"), "urgent")] * 2,
            )
    return url


def test_a_rise_is_announced_and_its_button_shows_the_view(spike_url, monkeypatch):
    monkeypatch.setenv("RETE_DATABASE_URL", spike_url)
    app = AppTest.from_file(APP, default_timeout=120)
    with Session(db.get_engine(spike_url)) as session:
        user = session.scalar(select(User).where(User.username == "direzione"))
        place_id = session.scalar(select(Neighbourhood.id).where(Neighbourhood.name == "Biumo"))
    app.session_state["rete_user"] = auth.CurrentUser(
        user.id, user.username, user.display_name, user.role
    )
    app.run()
    assert not app.exception
    assert [h.value for h in app.header][:1] == ["Da tenere d'occhio"]
    # The alerts, in order, as plain text (the page escapes Markdown in them).
    shown = [w.value.replace("\\", "") for w in app.warning if "Dati dimostrativi" not in w.value]
    index = next(i for i, text in enumerate(shown) if "Biumo" in text)
    last = month_add(month_of(config.today()), -1)
    assert shown[index].startswith(
        "Bisogni urgenti o di gravità alta in aumento nel quartiere Biumo (Varese): 10 nel mese "
        f"di {month_label(last)} (5 nuclei), contro una media di "
    )
    assert len(shown) <= 3
    app.button(key=f"alert_{index}").click().run()
    assert not app.exception
    # The thirteen months up to the last one, in Biumo: the monthly trend shows the rise.
    assert app.multiselect(key="f_neighbourhoods").value == [place_id]
    assert app.selectbox(key="f_period_kind").value == "intervallo"
    assert (app.selectbox(key="f_from").value, app.selectbox(key="f_to").value) == (
        month_add(last, -12),
        last,
    )
    assert app.query_params["quartiere"] == str(place_id)
    # Management may not open «Da seguire»: the overdue alert offers no link to it.
    assert not [link for link in app.get("page_link") if "Da seguire" in str(link.proto)]
