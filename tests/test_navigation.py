"""What a user is told at an address that is not one of their pages (the browser cases are in
tests/test_browser_chrome.py): the rule is `rete.access.may_open`, the words are Italian, and
nothing typed in the address is ever repeated."""

from __future__ import annotations

import pytest

from rete import access
from rete.ui import session

REFUSED = [
    pytest.param(role, spec, id=f"{spec.key}-{role}")
    for spec in access.PAGES
    for role in access.ROLES
    if not access.may_open(role, spec.key)
]


@pytest.mark.parametrize(("role", "spec"), REFUSED)
def test_a_page_of_another_role_is_named_and_said_unavailable(role, spec):
    assert session.turned_away_notice(role, spec.key) == (
        f"La pagina «{spec.title}» non è disponibile per il suo ruolo: "
        "si è aperta la pagina iniziale."
    )


@pytest.mark.parametrize("asked", ["pippo", "Colloqui", "<b>nucleo</b>", "colloqui%20", ""])
def test_any_other_address_is_not_found_and_never_repeated(asked):
    notice = session.turned_away_notice("direzione", asked)
    assert notice == "Pagina non trovata: si è aperta la pagina iniziale."


def test_direzione_is_refused_every_workspace_page_the_audit_trail_and_the_accounts():
    refused = {spec.key for role, spec in (p.values for p in REFUSED) if role == "direzione"}
    workspace = {"da_seguire", "nuovo_colloquio", "colloqui", "nucleo", "segnala"}
    assert refused == workspace | {"registro", "utenti"}


def test_only_the_admin_manages_accounts_and_everyone_has_a_profile():
    assert {role for role in access.ROLES if access.may_open(role, "utenti")} == {"admin"}
    assert {role for role in access.ROLES if access.may_open(role, "profilo")} == set(access.ROLES)


def test_only_a_plain_single_segment_unknown_address_becomes_a_page():
    import app

    assert app.unknown("pagina-che-non-esiste")
    assert app.unknown("Colloqui")  # addresses are exact: this is not the page «Colloqui»
    assert not [spec.key for spec in access.PAGES if app.unknown(spec.key)]
    for name in ("", "a/b", "<script>", "x" * 81, "pagina.html", "città"):
        assert not app.unknown(name), name


@pytest.mark.parametrize(
    ("page", "role", "path"),
    [
        ("colloqui", "operatore", "/colloqui"),
        ("colloqui", "direzione", "/colloqui"),  # where the home then says it is not theirs
        ("cruscotto", "direzione", "/"),  # the home is served at "/"
        ("da_seguire", "operatore", "/"),
        ("cruscotto", "operatore", "/cruscotto"),
        ("", "admin", "/"),
        ("pippo", "admin", "/"),
    ],
)
def test_after_login_the_browser_opens_the_page_asked_for(page, role, path):
    from rete.ui import login

    assert login.landing_path(page, role) == path
