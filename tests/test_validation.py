"""What people type: Italian phone numbers, e-mail addresses and web addresses are accepted in
the ways they are written, anything else is refused with an Italian message, and nothing
typed ever raises anything but `ValidationError`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rete import validation
from rete.errors import ValidationError

SEPARATORS = st.sampled_from(["", " ", " ", ".", "-", "/", "  "])


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


# Digits as dialled within Italy: landlines keep their 0, mobiles start with 3.
LANDLINE = st.integers(5, 10).flatmap(lambda n: digits(n).map(lambda d: "0" + d))
MOBILE = st.integers(8, 9).flatmap(lambda n: digits(n).map(lambda d: "3" + d))
TOLL_FREE = digits(6).map(lambda d: "800" + d)
PREFIXES = st.sampled_from(["", "+39", "+39 ", "0039 ", "(+39) ", "+39-"])
EXTENSIONS = st.sampled_from(["", " int. 23", " interno 4", " INT 310", " ext. 7"])


@st.composite
def italian_numbers(draw: st.DrawFn) -> str:
    """A valid number written the ways people write it: grouped by any separators, with or
    without +39, with or without an extension."""
    number = draw(st.one_of(LANDLINE, MOBILE, TOLL_FREE))
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=4)))
    pieces = [number[i:j] for i, j in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    typed = pieces[0] + "".join(draw(SEPARATORS) + piece for piece in pieces[1:])
    return draw(PREFIXES) + typed + draw(EXTENSIONS)


def never_raises_otherwise(check, value: str) -> str | None:
    """The check's answer, or None when it refused: any other exception fails the test."""
    try:
        return check(value)
    except ValidationError as error:
        assert str(error)  # an Italian message, never an empty one
        return None


# --- Phone numbers


@given(italian_numbers())
@example("0332 123456")
@example("+39 333 123 4567")
@example("0332 000 100 int. 23")  # as the demo writes a contact's extension
def test_an_italian_number_is_accepted_however_it_is_spaced(typed):
    assert validation.phone(f"  {typed} ", field="phone") == " ".join(typed.split())


@given(st.text(max_size=60))
@example("0٣٣٢١٢٣٤٥٦")  # Arabic-Indic digits are digits to str.isdigit, not to a telephone
@example("+39")
@example("int. 23")
def test_any_text_is_a_number_or_refused_in_italian(typed):
    accepted = never_raises_otherwise(validation.phone, typed)
    if accepted is not None:
        number = re.sub(r"\s*\b(int|interno|ext|est)\b\.?\s*[0-9]+$", "", accepted, flags=re.I)
        dialled = re.sub(r"^(\+39|0039)", "", re.sub(r"[\s./()-]", "", number))
        assert dialled.isascii() and dialled.isdigit() and dialled[0] in "038"
        assert len(accepted) <= validation.PHONE_MAX


@given(
    st.one_of(LANDLINE, MOBILE),
    st.sampled_from("ABCOlo,;:_#*!?"),
    st.integers(0, 9),
)
def test_a_letter_or_symbol_inside_a_number_is_refused(number, stray, where):
    where = min(where, len(number))
    with pytest.raises(ValidationError, match="non sembra un numero italiano") as error:
        validation.phone(number[:where] + stray + number[where:], field="contacts.0.phone")
    assert error.value.field == "contacts.0.phone"


@pytest.mark.parametrize(
    "typed",
    [
        "333 123",  # a mobile number is 9 or 10 digits
        "333 123 456 789",
        "0332 1",  # a landline is 6 to 11 digits with its prefix
        "0332 123 456 789",  # 12 digits
        "1234567",  # no Italian number starts with 1 (short codes aside)
        "+44 20 7946 0958",
        "39 333 1234567",  # the prefix without its +
        "0332 123456 int.",
        "+39 0332 123 456" + " " * 3 + "int. 12345 " + "-" * 20,  # past 40 characters
    ],
)
def test_numbers_that_are_not_italian_or_too_short_or_long_are_refused(typed):
    with pytest.raises(ValidationError):
        validation.phone(typed)


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("0332 123456 int. 23", ("0332 123456", "23")),
        ("0332 123456 interno 23", ("0332 123456", "23")),
        ("0332 123456 est 23", ("0332 123456", "23")),
        ("0332 123456 EXT. 23", ("0332 123456", "23")),
        ("0332/255111 int.4", ("0332/255111", "4")),
        ("0332 123456", ("0332 123456", None)),
        ("0332 1234 56", ("0332 1234 56", None)),
    ],
)
def test_the_extension_is_split_the_way_the_form_accepts_it(typed, split):
    """One pattern for the form, the `tel:` links and the HSDS exchange."""
    assert validation.split_extension(typed) == split
    assert validation.phone(typed) is not None


def test_an_empty_number_is_none():
    assert validation.phone("  ") is None and validation.phone(None) is None


# --- E-mail addresses

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
LOCAL = st.from_regex(r"[a-z0-9_%+'-]{1,12}(\.[a-z0-9_%+'-]{1,8}){0,2}", fullmatch=True)
TOP_LEVEL = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
DOMAINS = st.builds(
    lambda labels, top: ".".join([*labels, top]), st.lists(LABEL, min_size=1, max_size=3), TOP_LEVEL
)


@given(LOCAL, DOMAINS)
@example("d'angelo", "comune.varese.it")
@example("servizi.sociali", "comune.cantù.co.it")
def test_a_plain_address_is_accepted_as_typed(local, domain):
    address = f"{local}@{domain}"
    assert validation.email(f" {address} ") == address


@given(st.text(max_size=80))
@example("nome@dominio")
@example("a?cc=capo@example.org@x.it")
def test_any_text_is_an_address_or_refused_in_italian(typed):
    accepted = never_raises_otherwise(validation.email, typed)
    if accepted is not None:
        local, domain = accepted.split("@")  # exactly one @
        assert local and "." in domain and not re.search(r"[\s<>()\[\],;:?&\"]", accepted)


@pytest.mark.parametrize(
    "typed",
    [
        "nome@dominio",
        "nome@dominio.i",
        "nome@dominio.it.",
        "nome..cognome@dominio.it",
        ".nome@dominio.it",
        "nome cognome@dominio.it",
        "nome@dominio@it.it",
        "nome@-dominio.it",
        "nome@dominio_x.it",
        "nome,cognome@dominio.it",
        "a?cc=capo@dominio.it",  # would add a recipient to a mailto: link
        "<nome@dominio.it>",
        "nome@dominio.123",
        "x" * 65 + "@dominio.it",
    ],
)
def test_addresses_that_are_not_plain_are_refused(typed):
    with pytest.raises(ValidationError, match=r"nome@dominio\.it"):
        validation.email(typed, field="email")


# --- Web addresses

PATHS = st.from_regex(r"(/[A-Za-z0-9._~%-]{0,12}){0,3}(\?[a-z]=[0-9]{1,3})?", fullmatch=True)


@given(st.sampled_from(["", "http://", "https://", "HTTPS://"]), DOMAINS, PATHS)
@example("", "www.comune.varese.it", "")
@example("https://", "www.comune.varese.it", "/servizi-sociali?p=1")
def test_a_web_address_is_accepted_with_https_added_when_missing(scheme, host, path):
    typed = f"{scheme}{host}{path}"
    expected = f"{scheme.lower()}{host}{path}" if scheme else f"https://{typed}"
    assert validation.website(f" {typed} ") == expected


def test_a_bare_address_gets_https():
    assert validation.website("www.comune.varese.it") == "https://www.comune.varese.it"


@given(st.text(max_size=80))
@example("https://[::1")
@example("https://x.it:99999")
@example("javascript:alert(1)")
def test_any_text_is_a_web_address_or_refused_in_italian(typed):
    accepted = never_raises_otherwise(validation.website, typed)
    if accepted is not None:
        parts = urlsplit(accepted)
        assert parts.scheme in ("http", "https") and "." in (parts.hostname or "")
        assert "@" not in parts.netloc and not re.search(r"\s", accepted)
        assert len(accepted) <= validation.WEBSITE_MAX


@pytest.mark.parametrize(
    "typed",
    [
        "localhost",
        "comune",
        "https://",
        "https://www.comune.it@truffa.example.org",  # reads as the comune, opens the other
        "https://utente:password@comune.it",
        "www.comune.it/pagina con spazi",
        'https://comune.it/"><script>',
        "https://comune.it:porta",
        "https://192.168.1.1",
        "https://comune.it" + "/a" * 100,  # past 200 characters
    ],
)
def test_web_addresses_that_are_not_plain_are_refused(typed):
    with pytest.raises(ValidationError):
        validation.website(typed, field="website")


@pytest.mark.parametrize("typed", ["ftp://comune.it", "javascript://comune.it/%0Aalert(1)"])
def test_only_http_and_https_are_web_addresses(typed):
    with pytest.raises(ValidationError, match="http:// o https://") as error:
        validation.website(typed, field="website")
    assert error.value.field == "website"


@pytest.mark.parametrize("control", ["\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f"])
def test_a_text_with_a_control_character_is_refused_on_its_field(control):
    with pytest.raises(ValidationError, match="non stampabili: ricopiarlo a mano") as error:
        validation.optional_text(f"Centro{control}ascolto", "La descrizione", 100, field="d")
    assert error.value.field == "d"


def test_tabs_and_line_breaks_are_text():
    typed = "Centro di ascolto\n\tlunedì\r\nmartedì"
    assert validation.optional_text(typed, "La descrizione", 100) == typed
