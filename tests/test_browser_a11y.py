"""Accessibility: axe-core (bundled with axe-playwright-python, nothing downloaded) on every page
of the registry, opened by a role that may open it, and on the login page.

A page passes with no violation of impact "serious" or "critical", except the few that come from
Streamlit's own markup (browser_helpers.STREAMLIT_OWN, each with the reason). Every violation of
any impact is saved to $RETE_SCREENSHOTS/axe/<page>.json when that variable is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from browser_helpers import Rete, new_page, severe_violations, shared_rete, visit
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from rete import access

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Case:
    name: str
    role: str | None  # None: not logged in
    path: str  # may hold {household} and {need}: ids from the demo data
    heading: str


def _role_for(spec: access.PageSpec) -> str:
    return next(role for role in access.ROLES if role in spec.roles)


def _path_for(spec: access.PageSpec, role: str) -> str:
    # A role's home is served at "/" (its own path leads there too).
    return "/" if access.HOME[role] == spec.key else f"/{spec.key}"


# Pages about one record: also opened on a record, as they are mostly seen (query, heading).
RECORD_PAGES = {
    "nucleo": ("?nucleo={household}", "Nucleo "),
    "segnala": ("?bisogno={need}", "A quale ente?"),
}
CASES = [Case("login", None, "/", "Rete · accesso")]
for _spec in access.PAGES:
    _role = _role_for(_spec)
    _path = _path_for(_spec, _role)
    CASES.append(Case(_spec.key, _role, _path, _spec.title))
    if _spec.key in RECORD_PAGES:
        _query, _heading = RECORD_PAGES[_spec.key]
        CASES.append(Case(f"{_spec.key}-record", _role, _path + _query, _heading))


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    return shared_rete(request)


@pytest.fixture(scope="module")
def anonymous(rete: Rete) -> Iterator[Page]:
    page = new_page(rete.browser)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def records(rete: Rete) -> dict[str, int]:
    """A household whose card has the most to show (a contact block, a referral taken in
    charge, so the answer button) and one of its needs."""
    engine = create_engine(rete.app.database_url)
    with engine.connect() as connection:
        household, need = connection.execute(
            text(
                "SELECT i.household_id, n.id FROM referral r"
                " JOIN need n ON n.id = r.need_id"
                " JOIN interview i ON i.id = n.interview_id"
                " JOIN household_contact c ON c.household_id = i.household_id"
                " WHERE r.status = 'accepted' AND i.deleted_at IS NULL"
                " ORDER BY r.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return {"household": household, "need": need}


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.name) for case in CASES],
)
def test_no_serious_or_critical_accessibility_violation(
    case: Case, rete: Rete, anonymous: Page, records: dict[str, int]
):
    page = anonymous if case.role is None else rete.as_user(case.role)
    visit(page, rete.url + case.path.format(**records))
    expect(page.get_by_role("heading", name=case.heading).first).to_be_visible()
    if case.role is not None:
        assert "Page not found" not in page.locator("body").inner_text()
    found = severe_violations(page, case.name)
    assert not found, f"{case.name} ({case.role or 'not logged in'}, {case.path}):\n" + "\n".join(
        found
    )


def test_every_page_of_the_registry_is_checked():
    assert {case.name for case in CASES} >= {spec.key for spec in access.PAGES} | {"login"}
