"""The database the app runs on, its data version, the cached taxonomy and today's date."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import Engine

from rete import config
from rete.bootstrap import AppDatabase, database_status, prepare_engine
from rete.config import load_settings
from rete.db import data_version, get_engine
from rete.taxonomy import Taxonomy, load_taxonomy


def today() -> dt.date:
    return config.today()


@st.cache_resource(show_spinner="Preparazione del database…")
def _prepared_engine(url: str, demo_requested: bool) -> Engine:
    return prepare_engine(load_settings())


def app_database() -> AppDatabase:
    """The database, migrated (embedded SQLite) and with demo data on a first start; whether
    it is ready is checked on every run, so `python -m rete init` shows without a restart."""
    settings = load_settings()
    return database_status(_prepared_engine(settings.database_url, settings.demo_requested))


def engine_url(app_db: AppDatabase) -> str:
    """The engine's URL with its password: cache keys must reopen the same database."""
    return app_db.engine.url.render_as_string(hide_password=False)


def current_version(app_db: AppDatabase) -> int:
    return data_version(app_db.engine)


@st.cache_data(show_spinner=False, max_entries=32)
def _taxonomy(url: str, version: int) -> Taxonomy:
    return load_taxonomy(get_engine(url))


def taxonomy(app_db: AppDatabase) -> Taxonomy:
    return _taxonomy(engine_url(app_db), current_version(app_db))
