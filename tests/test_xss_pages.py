"""Hostile free text on every page, through Streamlit's AppTest (fast, no browser).

Every free text Rete stores is written through the write path with a payload that is both
HTML and Markdown (`<img src=x onerror=alert(1)>`, `<script>`, `[x](javascript:alert(3))`,
`{{7*7}}`, a Streamlit directive `:red[…]`): a household's contact name,
an interview's and a need's notes, a referral's note and reason for no consent, a partner's
answer's note, a need's closing reason, a partner's name, description, address and seat, its
contact person's name and role, the meeting's network name and contacts, and the display names
of the users who recorded all that. Then every page of the registry is drawn for every role
that may open it (and the pages about one record on that record), and every element Streamlit
renders as Markdown (text, captions, headings, alerts, labels of widgets, buttons, links,
expanders, metrics, radio options, help) is checked: the payload may reach it only escaped.
Elements that show text as it is (st.text, st.code, a text box's value, a select box's options,
tables, charts drawn by plotly over escaped names) are not Markdown and are left alone; the
payload must still reach the pages somewhere, or the test would prove nothing.

The browser test (tests/test_browser_xss.py) types the same payloads into the real widgets.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import access, accounts, auth, bootstrap, config, db, records, referrals
from rete.db import session_scope
from rete.directory import edit
from rete.meeting import settings
from rete.models import Contact

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
# Within 120 characters with its tag: the shortest of the fields (a seat, a role, a name).
BODY = "<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) {{7*7}} :red[r]"


def hostile(tag: str) -> str:
    return f"XSS{tag} {BODY}"


# What Markdown must never receive unescaped: a tag, a link to javascript:, a directive.
UNESCAPED = re.compile(
    r"(?<!\\)<(?:img|script|/script)"
    r"|(?<!\\)\]\((?<!\\)javascript"
    r"|(?<!\\):red(?<!\\)\["
)
# What plotly must never receive unescaped: it reads a few HTML tags in any text it draws
# (not Markdown), so names reach it with < and > as entities.
PLOTLY_UNESCAPED = re.compile(r"<(?:img|script|a\b)", re.IGNORECASE)
# Fields whose text Streamlit shows as it is (never as Markdown), by element type; "*" for all.
PLAIN_FIELDS = {
    "*": {"value", "default", "placeholder", "id", "formId", "rawValues", "setValue"},
    "text": {"body"},
    "code": {"codeText"},
    "selectbox": {"options", "rawOptions"},
    "multiselect": {"options", "rawOptions"},
    "arrowDataFrame": {"data", "styler", "columns"},
    "textArea": {"value"},
    "textInput": {"value"},
}


@dataclasses.dataclass(frozen=True)
class World:
    url: str
    household_id: int
    interview_id: int
    need_id: int
    partner_id: int
    users: dict[str, auth.CurrentUser]  # role -> a user of that role with a hostile name
    typed: tuple[str, ...]  # every hostile text written


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("xss")
    path = folder / "rete.db"
    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    bootstrap.initialise(engine, with_demo=True, households=30, seed=5)
    yield _hostile_world(engine, url)
    db.dispose_engine(url)
    shutil.rmtree(folder, ignore_errors=True)


def _hostile_world(engine: Engine, url: str) -> World:
    today = config.today()
    with session_scope(engine) as session:
        users = {}
        for role in access.ROLES:
            user = auth.create_user(session, f"xss-{role}", hostile(f"UTENTE{role}"), role, None)
            users[role] = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
    operatore = users["operatore"]
    with engine.connect() as connection:
        partner_id, category_id, place_id = connection.execute(
            text(
                "SELECT p.id, c.id, n.id FROM partner p"
                " JOIN partner_category pc ON pc.partner_id = p.id"
                " JOIN category c ON pc.category_id IN (c.id, c.parent_id)"
                " JOIN partner_area pa ON pa.partner_id = p.id"
                " JOIN neighbourhood n"
                "   ON pa.neighbourhood_id = n.id OR pa.municipality = n.municipality"
                " WHERE p.active AND c.parent_id IS NOT NULL AND c.active AND n.active"
                " AND EXISTS (SELECT 1 FROM contact WHERE partner_id = p.id)"
                " ORDER BY p.id, c.id, n.id LIMIT 1"
            )
        ).one()
        other_category = connection.execute(
            text(
                "SELECT c.id FROM category c WHERE c.parent_id IS NOT NULL AND c.active"
                " AND c.parent_id <> (SELECT parent_id FROM category WHERE id = :c)"
                " ORDER BY c.id LIMIT 1"
            ),
            {"c": category_id},
        ).scalar_one()

    with session_scope(engine) as session:
        saved, version = edit.partner_input(session, partner_id)
        first, *others = saved.contacts
        changed = dataclasses.replace(
            saved,
            name=hostile("ENTE"),
            description=hostile("DESCRIZIONE"),
            address=hostile("INDIRIZZO"),
            municipality=hostile("COMUNE"),
            contacts=(
                dataclasses.replace(first, name=hostile("REFERENTE"), role=hostile("RUOLO")),
                *others,
            ),
        )
        edit.update_partner(session, operatore, partner_id, changed, version=version, today=today)
    with session_scope(engine) as session:
        household = records.create_household(
            session,
            operatore,
            records.HouseholdInput("XSS-000001", place_id, 2),
            records.ContactInput(full_name=hostile("NOME")),
        )
        interview = records.record_interview(
            session,
            operatore,
            household_id=household.id,
            held_on=today,
            channel_code="telefono",
            needs=[
                records.NeedInput(category_id, notes=hostile("BISOGNO")),
                records.NeedInput(other_category),
            ],
            notes=hostile("NOTE"),
            today=today,
        )
        household_id, interview_id = household.id, interview.id
    with Session(engine) as session:
        needs = sorted(
            session.scalars(
                text("SELECT id FROM need WHERE interview_id = :i"), {"i": interview_id}
            )
        )
        contact_id = session.scalars(
            select(Contact.id).where(Contact.partner_id == partner_id, Contact.is_primary)
        ).one()
    with session_scope(engine) as session:
        referral = referrals.send_referral(
            session,
            operatore,
            referrals.ReferralInput(
                need_id=needs[0],
                partner_id=partner_id,
                contact_id=contact_id,
                channel_code="telefono",
                sent_on=today,
                consent_given=False,
                consent_override_note=hostile("CONSENSO"),
                note=hostile("NOTA"),
            ),
            today=today,
        )
        referral_id, referral_version = referral.id, referral.version
    with session_scope(engine) as session:
        referrals.move_referral(
            session,
            operatore,
            referral_id,
            "accept",
            version=referral_version,
            on=today,
            note=hostile("RISPOSTA"),
            today=today,
        )
    with session_scope(engine) as session:
        version = session.scalar(text("SELECT version FROM need WHERE id = :n"), {"n": needs[1]})
        referrals.close_need(
            session,
            operatore,
            needs[1],
            version=int(version),
            resolved=False,
            reason=hostile("MOTIVO"),
            on=today,
            today=today,
        )
    with session_scope(engine) as session:
        settings.save(
            session,
            users["direzione"],
            hostile("RETE"),
            hostile("CONTATTI"),
            settings.read(engine),
        )
    typed = tuple(
        hostile(tag)
        for tag in (
            "ENTE", "DESCRIZIONE", "INDIRIZZO", "COMUNE", "REFERENTE", "RUOLO", "NOME",
            "NOTE", "BISOGNO", "CONSENSO", "NOTA", "RISPOSTA", "MOTIVO", "RETE", "CONTATTI",
            *(f"UTENTE{role}" for role in access.ROLES),
        )
    )  # fmt: skip
    return World(url, household_id, interview_id, needs[0], partner_id, users, typed)


# --- Drawing the pages


def _opened(world: World, role: str, page: str, params: dict[str, str], state: dict[str, Any]):
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = world.users[role]
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    for key, value in state.items():
        app.session_state[key] = value
    app.switch_page(page).run()
    assert not app.exception, (page, role, app.exception)
    return app


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)


def markdown_leaks(app: AppTest) -> list[str]:
    """Every string of every element that Streamlit renders as Markdown and that holds the
    payload unescaped: 'type.field: text'."""
    found = []
    for node in app._tree:  # every block and element of the page, the sidebar's too
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        kind = str(getattr(node, "type", ""))
        fields = MessageToDict(proto)
        if kind == "plotly_chart":
            spec = json.loads(fields.get("spec", "{}"))
            found += [
                f"{kind}: {value[:160]}"
                for _, value in _strings(spec, "")
                if PLOTLY_UNESCAPED.search(value)
            ]
            continue
        plain = PLAIN_FIELDS["*"] | PLAIN_FIELDS.get(kind, set())
        for field, value in _strings(fields, ""):
            if field not in plain and UNESCAPED.search(value):
                found.append(f"{kind}.{field}: {value[:160]}")
    return found


def shown_texts(app: AppTest) -> str:
    """Everything the page says, unescaped (to check the payload reached it)."""
    parts = []
    for node in app._tree:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            parts += [value for _, value in _strings(MessageToDict(proto), "")]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))


def _cases(world: World) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(role, page file, query, session state) for every page × role, and the record pages."""
    cases: list[tuple[str, str, dict[str, str], dict[str, Any]]] = []
    for spec in access.PAGES:
        for role in access.ROLES:
            if role in spec.roles:
                cases.append((role, spec.file, {}, {}))
    partner, need = str(world.partner_id), str(world.need_id)
    cases += [
        ("operatore", "pages/nucleo.py", {"nucleo": str(world.household_id)}, {}),
        ("admin", "pages/nucleo.py", {"nucleo": str(world.household_id)}, {}),
        ("operatore", "pages/segnala.py", {"bisogno": need}, {}),
        ("operatore", "pages/segnala.py", {"bisogno": need, "ente": partner}, {}),
        ("operatore", "pages/segnala.py", {"ente": partner}, {f"forpartner{partner}_code": "xss"}),
        ("operatore", "pages/colloqui.py", {"colloquio": str(world.interview_id)}, {}),
        ("operatore", "pages/da_seguire.py", {}, {"fu_partner": [world.partner_id]}),
        ("operatore", "pages/rete_enti.py", {"ente": partner, "modifica": "1"}, {}),
        ("operatore", "pages/rete_enti.py", {"ente": partner}, {}),
        ("direzione", "pages/rete_enti.py", {"ente": partner}, {}),
        ("direzione", "pages/rete_enti.py", {}, {"dir_text": "XSSENTE"}),
        ("direzione", "pages/riunione.py", {"presenta": "1", "slide": "1"}, {}),
        ("direzione", "pages/riunione.py", {"presenta": "1", "slide": "99"}, {}),  # the last
        ("admin", "pages/registro.py", {"oggetto": "partner", "numero": partner}, {}),
    ]
    # «Utenti» with a user of a hostile name selected: its panel's heading.
    usernames = [row.username for row in accounts.users(db.get_engine(world.url))]
    selected = {"selection": {"rows": [usernames.index("xss-direzione")], "columns": []}}
    cases.append(("admin", "pages/utenti.py", {}, {"users_table": selected}))
    return cases


def test_no_page_gives_the_payload_to_markdown_unescaped(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RETE_DATABASE_URL", world.url)
    leaks: list[str] = []
    shown = []
    for role, page, params, state in _cases(world):
        app = _opened(world, role, page, params, state)
        leaks += [f"{page} {params} as {role}: {leak}" for leak in markdown_leaks(app)]
        shown.append(shown_texts(app))
    assert not leaks, "\n".join(leaks)
    everything = "\n".join(shown)
    unseen = [typed for typed in world.typed if typed not in everything]
    assert not unseen, unseen  # each hostile text was on some page: the check saw it


def test_the_check_finds_a_payload_given_to_markdown(world: World, tmp_path: Path):
    """The check itself: a page that puts the display name in Markdown as it is is caught."""
    script = tmp_path / "leak.py"
    script.write_text(
        "import streamlit as st\n"
        f"st.caption({hostile('PROVA')!r})\n"
        f"st.radio('Scelta', ['a'], format_func=lambda _: {hostile('RADIO')!r})\n"
        f"st.text({hostile('TESTO')!r})\n"
        f"st.selectbox('Ente', [{hostile('OPZIONE')!r}])\n"
    )
    app = AppTest.from_file(str(script)).run()
    leaks = markdown_leaks(app)
    assert any("XSSPROVA" in leak for leak in leaks), leaks
    assert any("XSSRADIO" in leak for leak in leaks), leaks
    assert not any("XSSTESTO" in leak or "XSSOPZIONE" in leak for leak in leaks), leaks
    assert hostile("TESTO") in shown_texts(app)
