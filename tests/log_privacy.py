"""The whole test session's log, searched at its end for the personal data of the test data.

Kept: every record of the test process (Rete's loggers at every level, the libraries' from
WARNING as the root logger says, and Streamlit's own, which do not propagate to the root) and
every `*.log` file the session wrote under its temporary folder (the Streamlit servers of the
browser tests). Searched for: each household code, contact name, phone, e-mail and note held
by the SQLite databases the session made under that folder (the demo's and whatever the tests
typed), each name and e-mail the demo catalogue can make, and any text shaped like a demo
household code. A hit fails the session with the value and the log line; a log says ids and
kinds, never values.

`tests/conftest.py` calls `start` when pytest starts and `check` when the session ends.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# Where each table keeps personal data: the tenants' records and the partners' contact persons.
PERSONAL_COLUMNS = {
    "household": ("code",),
    "household_contact": ("full_name", "phone", "email"),
    "interview": ("notes",),
    "need": ("notes", "closed_reason"),
    "referral": ("note", "consent_override_note"),
    "referral_event": ("note",),
    "contact": ("name", "phone", "email"),
}
SHORTEST = 6  # shorter values («Anna», «nota») would be found inside ordinary words
DEMO_CODE = re.compile(r"(?<![\w-])[A-Z]{2}-\d{6}(?!\w)")  # VA-000123
WORD = re.compile(r"\w+")
REPORTED = 40  # leaks listed at most; the count says the rest


class LogKeeper(logging.Handler):
    """Every record it is handed, formatted (traceback included), with the test it came in."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            test = os.environ.get("PYTEST_CURRENT_TEST", "outside the tests")
            self.records.append((test, self.format(record)))
        except Exception:  # a log call must never fail a test
            self.handleError(record)


KEEPER = LogKeeper()


def start() -> None:
    """Hand every record of the process to `KEEPER`: the root logger's, Rete's at every level
    (their default level is the root's WARNING), and Streamlit's, present and future."""
    logging.getLogger().addHandler(KEEPER)
    logging.getLogger("rete").setLevel(logging.DEBUG)
    import streamlit.logger as streamlit_logger

    original = streamlit_logger.setup_formatter

    def setup_formatter(logger: logging.Logger) -> None:
        original(logger)
        if KEEPER not in logger.handlers:
            logger.addHandler(KEEPER)

    streamlit_logger.setup_formatter = setup_formatter  # type: ignore[assignment]
    for logger in list(streamlit_logger._loggers.values()):
        setup_formatter(logger)


# --- What is searched for


def demo_catalogue() -> dict[str, str]:
    """Every name the demo can give a person (a household's or a partner's contact) and the
    start of the e-mail made from it, whatever the seed; the notes it writes."""
    from rete import demo_people
    from rete.demo_catalogue import FICTIONAL_SURNAMES, FIRST_NAMES
    from rete.demo_world import slug

    found = {}
    for first in FIRST_NAMES:
        for surname in FICTIONAL_SURNAMES:
            found[f"{first} {surname}"] = "demo name"
            found[f"{slug(first, '.')}.{slug(surname, '.')}"] = "demo e-mail"
    for note in (demo_people.FIRST_INTERVIEW_NOTE, demo_people.FOLLOW_UP_NOTE):
        found[note] = "demo interview note"
    return found


def database_values(folder: Path) -> dict[str, str]:
    """The personal data of every SQLite database under `folder`: value → table.column. One
    statement per file (a full run leaves a thousand or more)."""
    found: dict[str, str] = {}
    for path in folder.rglob("*.db"):
        try:
            # Immutable (no locks: five times faster) unless a write-ahead log holds more.
            wal = path.with_name(path.name + "-wal")
            settled = not wal.exists() or wal.stat().st_size == 0
            mode = "ro&immutable=1" if settled else "ro"
            connection = sqlite3.connect(f"file:{path}?mode={mode}", uri=True)
            try:
                tables = {name for (name,) in connection.execute(_TABLES)}
                parts = [
                    f'SELECT \'{table}.{column}\', "{column}" FROM "{table}" '
                    f'WHERE "{column}" IS NOT NULL'
                    for table, columns in PERSONAL_COLUMNS.items()
                    if table in tables
                    for column in columns
                ]
                rows = connection.execute(" UNION ".join(parts)).fetchall() if parts else []
            finally:
                connection.close()
        except sqlite3.Error:  # not a Rete database, or an older schema
            continue
        for what, value in rows:
            if isinstance(value, str):
                found.setdefault(value, what)
    return found


_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"


def needles(values: Mapping[str, str]) -> dict[str, str]:
    """The values worth searching: each line of a value, trimmed, of `SHORTEST` characters or
    more with a letter or a digit in it."""
    kept = {}
    for value, what in values.items():
        for line in value.splitlines():
            line = line.strip()
            if len(line) >= SHORTEST and WORD.search(line):
                kept.setdefault(line, what)
    return kept


# --- Where it is searched


def log_files(folder: Path) -> Iterator[tuple[str, str]]:
    """(file:line, text) of every `*.log` under `folder`."""
    for path in sorted(folder.rglob("*.log")):
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            yield f"{path}:{number}", line


def kept_lines() -> Iterator[tuple[str, str]]:
    """(test, line) of every record `KEEPER` holds, one per line of a multi-line record."""
    for test, text in KEEPER.records:
        for line in text.splitlines():
            yield test, line


@dataclass(frozen=True)
class Leak:
    value: str
    what: str
    where: str
    line: str

    def __str__(self) -> str:
        return f"«{self.value}» ({self.what}) in {self.where}: {self.line.strip()[:300]}"


def find_leaks(wanted: Mapping[str, str], lines: Iterable[tuple[str, str]]) -> list[Leak]:
    """Each line holding one of `wanted` (value → what it is) as a whole word, case ignored,
    or a text shaped like a demo household code. One pass over the lines to gather their
    words; only a value whose every word is among them is looked for line by line."""
    every = [(where, line, line.casefold()) for where, line in lines]
    words: set[str] = set()
    for _, _, folded in every:
        words.update(WORD.findall(folded))
    leaks = []
    for value, what in wanted.items():
        key = value.casefold()
        if not words.issuperset(WORD.findall(key)):
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")
        leaks += [Leak(value, what, where, line) for where, line, f in every if pattern.search(f)]
    for where, line, _ in every:
        leaks += [Leak(m.group(), "household code", where, line) for m in DEMO_CODE.finditer(line)]
    return leaks


def check(session: pytest.Session) -> None:
    """Search the session's logs; on a leak, report each and fail the session."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    folder: Path | None = getattr(factory, "_basetemp", None)
    wanted = demo_catalogue()
    lines: list[tuple[str, str]] = list(kept_lines())
    if folder is not None and folder.exists():
        wanted |= database_values(folder)
        lines += log_files(folder)
    leaks = find_leaks(needles(wanted), lines)
    if not leaks:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")  # after the progress line
        reporter.section("Personal data in the logs", sep="=", red=True, bold=True)
        reporter.line(
            f"Personal data of the test data found {len(leaks)} times in the logs: a log must "
            "say ids and kinds, never values (see tests/log_privacy.py)."
        )
        for leak in leaks[:REPORTED]:
            reporter.line(f"  {leak}")
        if len(leaks) > REPORTED:
            reporter.line(f"  … and {len(leaks) - REPORTED} more")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
