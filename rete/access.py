"""Who may open which page and who may do what with the data: the one registry of both.

Navigation (app.py), the page guards (`rete.ui.session.require_page`), the role tests and the
README's page table all read it. Pure Python: a test reaches every rule without a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rete.errors import PermissionDenied

ROLES = ("direzione", "operatore", "admin")
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class PageSpec:
    """One page: its key (also its URL path), script, menu title and icon, who may open it,
    and the menu group it sits in."""

    key: str
    file: str
    title: str
    icon: str
    roles: frozenset[str]
    section: str


WORKSPACE = frozenset({"operatore", "admin"})
DAILY_WORK = "Lavoro quotidiano"

PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "da_seguire",
        "pages/da_seguire.py",
        "Da seguire",
        ":material/pending_actions:",
        WORKSPACE,
        DAILY_WORK,
    ),
    PageSpec(
        "nuovo_colloquio",
        "pages/nuovo_colloquio.py",
        "Nuovo colloquio",
        ":material/edit_note:",
        WORKSPACE,
        DAILY_WORK,
    ),
    PageSpec(
        "colloqui",
        "pages/colloqui.py",
        "Colloqui",
        ":material/forum:",
        WORKSPACE,
        DAILY_WORK,
    ),
    PageSpec(
        "nucleo",
        "pages/nucleo.py",
        "Scheda nucleo",
        ":material/family_restroom:",
        WORKSPACE,
        DAILY_WORK,
    ),
    PageSpec(
        "segnala",
        "pages/segnala.py",
        "Segnala a un ente",
        ":material/send:",
        WORKSPACE,
        DAILY_WORK,
    ),
    PageSpec(
        "cruscotto",
        "pages/cruscotto.py",
        "Cruscotto",
        ":material/monitoring:",
        EVERYONE,
        "Analisi",
    ),
    PageSpec(
        "riunione",
        "pages/riunione.py",
        "Riunione",
        ":material/co_present:",
        EVERYONE,
        "Analisi",
    ),
    PageSpec(
        "rete",
        "pages/rete_enti.py",
        "Rete",
        ":material/hub:",
        EVERYONE,
        "La rete",
    ),
    PageSpec(
        "utenti",
        "pages/utenti.py",
        "Utenti",
        ":material/manage_accounts:",
        frozenset({"admin"}),
        "Amministrazione",
    ),
    PageSpec(
        "registro",
        "pages/registro.py",
        "Registro accessi",
        ":material/history:",
        frozenset({"admin"}),
        "Amministrazione",
    ),
    PageSpec(
        "profilo",
        "pages/profilo.py",
        "Il mio profilo",
        ":material/account_circle:",
        EVERYONE,
        "Account",
    ),
)

# The page each role lands on after login, served at "/".
HOME: dict[str, str] = {"direzione": "cruscotto", "operatore": "da_seguire", "admin": "cruscotto"}

# What each role may do with the data, page or not.
EDIT_RECORDS = frozenset({"operatore", "admin"})
SEE_PERSONAL_DATA = frozenset({"operatore", "admin"})  # contact block, notes, household codes
SEE_DELETED = frozenset({"admin"})  # soft-deleted interviews, and restoring them
EDIT_TAXONOMY = frozenset({"admin"})  # rename, move or retire areas and specific needs
PREPARE_MEETING = frozenset({"direzione", "admin"})  # the meeting deck's name and contacts
MANAGE_USERS = frozenset({"admin"})  # accounts, roles, resets, security settings
ERASE_PERSONAL_DATA = frozenset({"admin"})  # a household's erasure on request
SEE_WHO_SAW = frozenset({"operatore", "admin"})  # "chi ha visto questo nucleo?"

_BY_KEY = {spec.key: spec for spec in PAGES}


def page(key: str) -> PageSpec:
    """The page with this key; KeyError for an unknown one."""
    return _BY_KEY[key]


def pages_for(role: str) -> tuple[PageSpec, ...]:
    """The pages a role may open, in the registry's order (empty for an unknown role)."""
    return tuple(spec for spec in PAGES if role in spec.roles)


def may_open(role: str, key: str) -> bool:
    spec = _BY_KEY.get(key)
    return spec is not None and role in spec.roles


def home(role: str) -> PageSpec:
    """The page a role lands on; KeyError for an unknown role."""
    return page(HOME[role])


def may_edit_records(role: str) -> bool:
    return role in EDIT_RECORDS


def may_see_personal_data(role: str) -> bool:
    return role in SEE_PERSONAL_DATA


def may_see_deleted(role: str) -> bool:
    return role in SEE_DELETED


def may_edit_taxonomy(role: str) -> bool:
    return role in EDIT_TAXONOMY


def may_prepare_meeting(role: str) -> bool:
    return role in PREPARE_MEETING


def may_manage_users(role: str) -> bool:
    return role in MANAGE_USERS


def may_erase_personal_data(role: str) -> bool:
    return role in ERASE_PERSONAL_DATA


def may_see_who_saw(role: str) -> bool:
    return role in SEE_WHO_SAW


def require(role: str, rule: Callable[[str], bool], what: str) -> None:
    """Raise PermissionDenied unless `rule(role)` holds; `what` names the operation in Italian,
    e.g. `require(user.role, may_edit_records, "modificare i colloqui")`."""
    if not rule(role):
        raise PermissionDenied(f"Operazione non consentita al ruolo «{role}»: {what}.")
