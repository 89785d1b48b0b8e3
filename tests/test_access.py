"""The page registry and the data rules of rete/access.py, without a page."""

from __future__ import annotations

from pathlib import Path

import pytest

from rete import access
from rete.errors import PermissionDenied

PROJECT = Path(__file__).resolve().parent.parent


def test_every_role_has_a_home_it_may_open():
    assert set(access.HOME) == set(access.ROLES)
    for role in access.ROLES:
        assert access.may_open(role, access.home(role).key), role


def test_every_page_has_a_unique_key_and_file_and_known_roles():
    assert len({spec.key for spec in access.PAGES}) == len(access.PAGES)
    assert len({spec.file for spec in access.PAGES}) == len(access.PAGES)
    for spec in access.PAGES:
        assert spec.roles and spec.roles <= set(access.ROLES), spec.key
        assert spec.section and spec.title and spec.icon, spec.key


def test_every_page_file_is_in_the_registry_and_every_registry_file_exists():
    on_disk = {f"pages/{path.name}" for path in (PROJECT / "pages").glob("*.py")}
    assert on_disk == {spec.file for spec in access.PAGES}


def test_pages_for_keeps_the_registry_order_and_only_the_role_s_pages():
    workspace = ["da_seguire", "nuovo_colloquio", "colloqui", "nucleo", "segnala"]
    everyone = ["cruscotto", "riunione", "rete"]
    admin = ["utenti", "registro"]
    assert [spec.key for spec in access.pages_for("admin")] == [
        *workspace,
        *everyone,
        *admin,
        "profilo",
    ]
    assert [spec.key for spec in access.pages_for("operatore")] == [
        *workspace,
        *everyone,
        "profilo",
    ]
    assert [spec.key for spec in access.pages_for("direzione")] == [*everyone, "profilo"]
    assert access.pages_for("capo") == ()


def test_direzione_reaches_no_page_with_a_household_a_note_or_a_contact():
    """Every page of the workspace shows records about people: never to direzione."""
    for spec in access.PAGES:
        if spec.section == access.DAILY_WORK:
            assert "direzione" not in spec.roles, spec.key


def test_only_admin_opens_the_audit_trail():
    assert [role for role in access.ROLES if access.may_open(role, "registro")] == ["admin"]


def test_unknown_pages_and_roles_open_nothing():
    assert not access.may_open("admin", "nessuna")
    assert not access.may_open("capo", "cruscotto")
    assert not access.may_open("", "")
    with pytest.raises(KeyError):
        access.page("nessuna")
    with pytest.raises(KeyError):
        access.home("capo")


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        (access.may_edit_records, {"operatore", "admin"}),
        (access.may_see_personal_data, {"operatore", "admin"}),
        (access.may_see_deleted, {"admin"}),
        (access.may_edit_taxonomy, {"admin"}),
    ],
)
def test_each_data_rule_allows_exactly_its_roles(rule, allowed):
    assert {role for role in access.ROLES if rule(role)} == allowed
    assert not rule("capo")


def test_require_refuses_in_italian_and_lets_the_allowed_role_through():
    access.require("operatore", access.may_edit_records, "modificare i colloqui")
    with pytest.raises(PermissionDenied) as refused:
        access.require("direzione", access.may_edit_records, "modificare i colloqui")
    assert str(refused.value) == (
        "Operazione non consentita al ruolo «direzione»: modificare i colloqui."
    )


def readme_pages() -> set[tuple[str, frozenset[str]]]:
    """(title, roles) of each row of the README's "## Pages" table."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Pages\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # header, ---
    found = set()
    for row in rows:
        title, who, _what = (cell.strip() for cell in row.strip("|").split("|", 2))
        found.add((title, frozenset(role.strip() for role in who.split(","))))
    return found


def test_the_readme_page_table_lists_exactly_the_registry():
    assert readme_pages() == {(spec.title, spec.roles) for spec in access.PAGES}
