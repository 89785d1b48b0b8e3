import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rete.filters import (
    Filters,
    default_filters,
    filters_from_query,
    filters_to_query,
    ignored_notice,
    month_add,
    month_label,
    month_range,
    months_in,
    period_bounds,
    period_label,
)
from rete.taxonomy import Area, SpecificNeed, Taxonomy

TODAY = dt.date(2026, 11, 25)
TAXONOMY = Taxonomy(
    areas=(Area(1, "ABI", "Abitare", "#0072B2"), Area(2, "ECO", "Economica", "#E69F00")),
    needs=(
        SpecificNeed(11, "ABI01", "Manutenzione e guasti", 1),
        SpecificNeed(21, "ECO01", "Morosità", 2),
    ),
    channels=(("telefono", "Telefono"), ("ufficio_mobile", "Ufficio Mobile")),
    neighbourhoods=((3, "Sangallo", "Varese"), (4, "Rebbio", "Como")),
)
months = st.integers(2000, 2099).flatmap(lambda y: st.integers(1, 12).map(lambda m: y * 100 + m))


def test_the_default_period_is_the_twelve_complete_months_before_this_one():
    filters = default_filters(TODAY)
    assert (filters.start, filters.end) == (202511, 202610)
    assert filters.previous().start == 202411 and filters.previous().end == 202510


@pytest.mark.parametrize(
    ("spec", "bounds"),
    [
        ("ultimi12", (202511, 202610)),
        ("anno", (202601, 202611)),
        ("anno-scorso", (202501, 202512)),
        ("2026-T1", (202601, 202603)),
        ("2026-02", (202602, 202602)),
        ("2025-11:2026-04", (202511, 202604)),
        ("2026-13", None),
        ("2026-04:2025-11", None),
        ("ieri", None),
        ("2026-T5", None),
    ],
)
def test_period_specs(spec, bounds):
    assert period_bounds(spec, TODAY) == bounds


def test_period_labels_are_italian():
    assert period_label("2026-02", 202602, 202602) == "febbraio 2026"
    assert (
        period_label("ultimi12", 202511, 202610)
        == "ultimi 12 mesi completi (novembre 2025 – ottobre 2026)"
    )
    assert month_label(202608, short=True) == "ago 2026"


@given(months, st.integers(-500, 500))
def test_month_arithmetic_round_trips(month, shift):
    moved = month_add(month, shift)
    assert 1 <= moved % 100 <= 12
    assert month_add(moved, -shift) == month
    if shift >= 0:
        assert months_in(month, moved) == shift + 1
        assert len(month_range(month, moved)) == shift + 1


@given(months, st.integers(1, 36))
def test_the_previous_period_has_the_same_length_and_ends_just_before(start, length):
    filters = Filters(period="x", start=start, end=month_add(start, length - 1))
    before = filters.previous()
    assert before.months == filters.months
    assert month_add(before.end, 1) == filters.start


def test_the_url_reproduces_the_filters():
    params = {
        "periodo": ["2026-T2"],
        "comune": ["Varese"],
        "quartiere": ["3"],
        "area": ["ECO"],
        "bisogno": ["ABI01"],
        "canale": ["telefono"],
    }
    filters, notices = filters_from_query(params, TAXONOMY, TODAY)
    assert notices == []
    assert (
        filters.start,
        filters.end,
        filters.neighbourhood_ids,
        filters.area_ids,
        filters.category_ids,
    ) == (202604, 202606, (3,), (2,), (11,))
    assert filters_to_query(filters, TAXONOMY) == params


@pytest.mark.parametrize("spec", ["2026-12", "2027-T1", "2027-01:2027-03"])
def test_a_period_in_the_future_is_refused_with_a_notice(spec):
    filters, notices = filters_from_query({"periodo": [spec]}, TAXONOMY, TODAY)
    assert filters == default_filters(TODAY)
    assert notices == [f"periodo «{spec}» nel futuro"]


def test_a_period_reaching_into_the_future_is_kept_up_to_today():
    filters, notices = filters_from_query({"periodo": ["2026-T4"]}, TAXONOMY, TODAY)
    assert (filters.start, filters.end, notices) == (202610, 202612, [])


def test_unknown_url_values_are_ignored_with_an_italian_notice():
    params = {
        "periodo": ["domani"],
        "quartiere": ["99", "<script>"],
        "area": ["XYZ"],
        "canale": ["piccione"],
    }
    filters, ignored = filters_from_query(params, TAXONOMY, TODAY)
    assert filters == default_filters(TODAY)
    assert ignored == [
        "periodo «domani» non riconosciuto",
        "quartiere «99» non riconosciuto",
        "quartiere «script» non riconosciuto",
        "area «XYZ» non riconosciuta",  # feminine
        "canale «piccione» non riconosciuto",
    ]
    assert ignored_notice(ignored) == (
        "Il link conteneva filtri non validi, ignorati: periodo «domani» non riconosciuto; "
        "quartiere «99» non riconosciuto; quartiere «script» non riconosciuto; "
        "area «XYZ» non riconosciuta; canale «piccione» non riconosciuto. "
        "Per il periodo sono mostrati gli ultimi 12 mesi."
    )


def test_a_link_with_nothing_wrong_gives_no_notice():
    assert ignored_notice([]) is None
    assert ignored_notice(["area «X» non riconosciuta"]) == (
        "Il link conteneva filtri non validi, ignorati: area «X» non riconosciuta."
    )


url_values = st.lists(st.text(max_size=12), max_size=3)


@given(
    st.dictionaries(
        st.sampled_from(["periodo", "comune", "quartiere", "area", "bisogno", "canale", "altro"]),
        url_values,
    )
)
def test_any_url_gives_valid_filters_and_never_raises(params):
    filters, notices = filters_from_query(params, TAXONOMY, TODAY)
    assert filters.start <= filters.end
    assert set(filters.neighbourhood_ids) <= {3, 4}
    assert set(filters.channel_codes) <= {"telefono", "ufficio_mobile"}
    assert all(isinstance(notice, str) for notice in notices)
    again, _ = filters_from_query(filters_to_query(filters, TAXONOMY), TAXONOMY, TODAY)
    assert again == filters
