"""A save Rete acknowledged survives the process being killed at any moment, and a save cut
short leaves nothing half-written: the database opens, passes its integrity check, holds every
acknowledged interview with its needs, and its read model still equals the base tables."""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import IO

from actors import editor, seed_places
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_readmodel import actual_read_model, expected_read_model

from rete import db
from rete.db import session_scope
from rete.models import Household, HouseholdContact, Interview, Need

PROJECT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "durability_writer.py"
KILLS = 20
LONGEST_WAIT_S = 0.4  # the kill comes at a random moment this long after the first save
STARTUP_TIMEOUT_S = 60


def run_writer_and_kill(url: str, run: int, delay: float) -> list[tuple[int, str, list[int]]]:
    """Start the writer and SIGKILL it `delay` seconds after its first acknowledged save:
    the saves it said were acknowledged (a line cut short by the kill never was)."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), url, str(run)],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    seen = []
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while len(seen) < 2:  # `ready`, then a first acknowledged save
            try:
                seen.append(lines.get(timeout=0.05))
            except queue.Empty:
                if child.poll() is not None:
                    raise AssertionError(f"the writer stopped: {child.stderr.read()!r}") from None  # type: ignore[union-attr]
                assert time.monotonic() < deadline, f"the writer was too slow: {seen}"
        time.sleep(delay)
        assert child.poll() is None, child.stderr.read()  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        reader.join(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    output = b"".join([*seen, *lines.queue]).decode()
    saves = []
    for line in output.split("\n")[1:-1]:  # after `ready`; a last line cut short is left out
        interview_id, code, categories = line.split(" ")
        saves.append((int(interview_id), code, sorted(map(int, categories.split(",")))))
    return saves


def _read_lines(stream: IO[bytes], lines: queue.Queue[bytes]) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)


def assert_sound(engine: Engine, acknowledged: list[tuple[int, str, list[int]]], run: int) -> None:
    """What a restart finds after the kill."""
    if engine.dialect.name == "sqlite":
        with closing(sqlite3.connect(engine.url.database)) as connection:  # type: ignore[arg-type]
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.schema_state(engine).is_current  # the database opens
    with Session(engine) as session:
        for interview_id, code, categories in acknowledged:
            interview = session.get(Interview, interview_id)
            assert interview is not None, f"acknowledged interview {interview_id} lost"
            household = session.get(Household, interview.household_id)
            assert household is not None and household.code == code
            needs = session.scalars(
                select(Need.category_id).where(Need.interview_id == interview_id)
            )
            assert sorted(needs) == categories
        # A save the kill cut short is wholly there or wholly absent: at most the one in
        # flight beyond those acknowledged, with its household's contact and its needs.
        pattern = f"KILL-{run:02d}-%"
        saved = session.scalars(
            select(Interview)
            .join(Household, Household.id == Interview.household_id)
            .where(Household.code.like(pattern))
        ).all()
        assert {save[0] for save in acknowledged} <= {i.id for i in saved}
        households = session.scalars(select(Household.id).where(Household.code.like(pattern)))
        assert len(households.all()) == len(saved)  # no household left without its interview
        assert len(saved) - len(acknowledged) in (0, 1)
        for interview in saved:
            contact = session.get(HouseholdContact, interview.household_id)
            assert contact is not None and contact.full_name == "Persona di prova"
            needs = session.scalars(select(Need.id).where(Need.interview_id == interview.id))
            assert len(needs.all()) in (1, 2)
        assert actual_read_model(session) == expected_read_model(session)


def test_acknowledged_saves_survive_sigkill_at_random_moments(engine):
    seed_places(engine)
    with session_scope(engine) as session:
        editor(session)  # the writer's community manager exists before the first save
    url = engine.url.render_as_string(hide_password=False)
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    for run in range(1, KILLS + 1):
        delay = chance.uniform(0.0, LONGEST_WAIT_S)
        acknowledged = run_writer_and_kill(url, run, delay)
        assert acknowledged, "the writer's first save was read before the kill"
        try:
            assert_sound(engine, acknowledged, run)
        except AssertionError as error:
            raise AssertionError(
                f"kill {run}, seed {seed}, {delay:.3f} s after the first save, "
                f"{len(acknowledged)} saves acknowledged: {error}"
            ) from error
