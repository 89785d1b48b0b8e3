"""Open Referral HSDS exchange: the export is a valid HSDS 3.0 package (checked with
frictionless against the official descriptor), a directory comes back from it unchanged, and
an import shows every problem with its file, row and field and writes all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import frictionless
import pytest
from actors import category, editor, seed_places
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rete import auth, cli, db, hsds, validation
from rete.db import session_scope
from rete.directory import edit
from rete.directory.edit import ContactInput, PartnerInput
from rete.errors import ConcurrentEdit, PermissionDenied, ValidationError
from rete.hsds import vocabulary
from rete.hsds.plan import ADD, SKIP, UNCHANGED, UPDATE
from rete.models import (
    AuditEntry,
    Category,
    Contact,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
)
from rete.taxonomy import PARTNER_KINDS

DATA = Path(__file__).parent / "data" / "hsds"
DESCRIPTOR = Path(hsds.__file__).parent / "datapackage.json"
# SHA-256 of datapackage.json in openreferral/specification at 279fd2eb (HSDS 3.0.0).
OFFICIAL_SHA256 = "06d063ec1a22f8797da3ee9cd1e2a9e519fa813d6f3e93140bbdd7814d36984b"
TODAY = dt.date(2026, 11, 25)


# --- A hand-built directory


@pytest.fixture
def places(engine: Engine) -> dict[str, int]:
    return seed_places(engine)


def codes(session: Session, *wanted: str) -> tuple[int, ...]:
    return tuple(category(session, code) for code in wanted)


def build_directory(engine: Engine, places: dict[str, int]) -> dict[str, int]:
    """Three partners that use every part of the mapping; name -> id."""
    with session_scope(engine) as session:
        who = editor(session)
        caritas = edit.create_partner(
            session,
            who,
            PartnerInput(
                name="Caritas Biumo",
                kind="parish_caritas",
                description="=Centro di ascolto\ne distribuzione viveri",  # a formula start
                email="ascolto@caritas.example.org",
                phone="+39 0332 123456",
                website="https://www.caritas.example.org",
                address="Via Roma 1, 21100 Varese (VA)",
                municipality="Varese",
                category_ids=codes(session, "ECO", "ECO01", "SOC02"),
                neighbourhood_ids=(places["Biumo"], places["Rebbio"]),
                municipalities=("Como",),
                contacts=(
                    ContactInput(
                        name="Anna Neri",
                        role="coordinatrice",
                        phone="0332 123456 int. 12",
                        email="anna@caritas.example.org",
                        preferred_channel="telefono",
                        is_primary=True,
                    ),
                    ContactInput(
                        name="Bruno Blu",
                        email="bruno@caritas.example.org",
                        preferred_channel="email",
                    ),
                ),
                last_verified_on=dt.date(2026, 10, 1),
            ),
        )
        cooperative = edit.create_partner(
            session,
            who,
            PartnerInput(
                name="Cooperativa «Il Telaio»",
                kind="social_cooperative",
                address="Via dell'Esempio 3",
                municipality="Como",
                category_ids=codes(session, "LAV01"),
                municipalities=("Como", "Varese"),
                contacts=(ContactInput(name="Carla Verdi", phone="333 1234567", is_primary=True),),
            ),
        )
        retired = edit.create_partner(
            session,
            who,
            PartnerInput(
                name="Sportello chiuso",
                kind="other",
                category_ids=codes(session, "AMM"),
                neighbourhood_ids=(places["Sangallo"],),
                contacts=(
                    ContactInput(name="Dario Gialli", email="dario@example.org", is_primary=True),
                ),
            ),
        )
        edit.set_active(session, who, retired.id, False, version=retired.version)
        return {p.name: p.id for p in (caritas, cooperative, retired)}


def directory(engine: Engine) -> dict[str, dict[str, Any]]:
    """Everything the round trip must keep, by the partner's uuid."""
    with Session(engine) as session:
        found = {}
        for partner in session.scalars(select(Partner)):
            contacts = session.scalars(select(Contact).where(Contact.partner_id == partner.id))
            coverage = session.scalars(
                select(Category.code)
                .join(PartnerCategory, PartnerCategory.category_id == Category.id)
                .where(PartnerCategory.partner_id == partner.id)
            )
            places = session.execute(
                select(Neighbourhood.name, Neighbourhood.municipality, PartnerArea.municipality)
                .select_from(PartnerArea)
                .outerjoin(Neighbourhood, Neighbourhood.id == PartnerArea.neighbourhood_id)
                .where(PartnerArea.partner_id == partner.id)
            )
            found[partner.uuid] = {
                "name": partner.name,
                "kind": partner.kind,
                "description": partner.description,
                "email": partner.email,
                "phone": partner.phone,
                "website": partner.website,
                "address": partner.address,
                "municipality": partner.municipality,
                "active": partner.active,
                "last_verified_on": partner.last_verified_on,
                "contacts": {
                    (c.name, c.role, c.phone, c.email, c.preferred_channel, c.is_primary)
                    for c in contacts
                },
                "coverage": set(coverage),
                "places": {tuple(place) for place in places},
            }
        return found


def counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        rows = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Partner, Contact, PartnerCategory, PartnerArea, AuditEntry)
        ]
    return (*rows, db.data_version(engine))


def import_bytes(engine: Engine, data: bytes, name: str = "rete.zip") -> hsds.ImportResult:
    preview = hsds.preview_upload(engine, data, name, TODAY)
    assert not preview.errors, preview.lines()
    with session_scope(engine) as session:
        return hsds.commit_import(session, editor(session), preview)


@pytest.fixture
def empty_engine(
    engine: Engine, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Engine]:
    """A second database of the same kind as `engine`: reference data, places, no partner."""
    if engine.dialect.name == "sqlite":
        path = tmp_path / "empty.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        from conftest import _drop_postgres, _fresh_postgres_url

        server = request.getfixturevalue("postgres_server")
        template = make_url(request.getfixturevalue("postgres_template")).database
        url = _fresh_postgres_url(server, template)
    other = db.get_engine(url)
    seed_places(other)
    yield other
    db.dispose_engine(url)
    if engine.dialect.name != "sqlite":
        _drop_postgres(request.getfixturevalue("postgres_server"), url)


def unzipped(data: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(where)
    return where


def tables_of(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


# --- The export


def test_the_descriptor_shipped_is_the_official_one_byte_for_byte():
    assert hashlib.sha256(DESCRIPTOR.read_bytes()).hexdigest() == OFFICIAL_SHA256


def test_the_export_is_a_valid_hsds_package_foreign_keys_included(engine, places, tmp_path):
    build_directory(engine, places)
    folder = unzipped(hsds.export_zip(engine), tmp_path / "package")
    assert (folder / "datapackage.json").read_bytes() == DESCRIPTOR.read_bytes()
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])
    assert report.stats["tasks"] == 21  # every resource of the descriptor, even empty ones


def test_every_file_has_the_descriptors_fields_in_its_order(engine, places):
    build_directory(engine, places)
    official = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    with zipfile.ZipFile(io.BytesIO(hsds.export_zip(engine))) as archive:
        assert set(archive.namelist()) == {"datapackage.json"} | {
            r["path"] for r in official["resources"]
        }
        for resource in official["resources"]:
            header = archive.read(resource["path"]).decode("utf-8").splitlines()[0]
            assert header.split(",") == [f["name"] for f in resource["schema"]["fields"]]


def test_ids_are_uuids_and_every_reference_resolves_the_undeclared_ones_too(engine, places):
    build_directory(engine, places)
    tables = tables_of(hsds.export_zip(engine))
    ids = {name: {row["id"] for row in rows} for name, rows in tables.items()}
    for rows in tables.values():
        for row in rows:
            assert str(uuid.UUID(row["id"])) == row["id"]
    entity_file = {"service": "services.csv", "contact": "contacts.csv"}
    for attribute in tables["attributes.csv"]:
        assert attribute["link_id"] in ids[entity_file[attribute["link_entity"]]]
    for term in tables["taxonomy_terms.csv"]:
        assert not term["parent_id"] or term["parent_id"] in ids["taxonomy_terms.csv"]
    with Session(engine) as session:
        partner_uuids = set(session.scalars(select(Partner.uuid)))
    assert ids["organizations.csv"] == partner_uuids


def test_what_the_package_says_about_a_partner(engine, places):
    """Spot checks of the mapping on the first partner (the rest is the round trip's job)."""
    build_directory(engine, places)
    tables = tables_of(hsds.export_zip(engine))
    with Session(engine) as session:
        caritas = session.scalar(select(Partner).where(Partner.name == "Caritas Biumo"))
        assert caritas is not None
    (organization,) = [r for r in tables["organizations.csv"] if r["id"] == caritas.uuid]
    assert organization["legal_status"] == "parrocchia/Caritas"
    assert organization["description"].startswith("'=Centro")  # the spreadsheet guard
    (service,) = [r for r in tables["services.csv"] if r["organization_id"] == caritas.uuid]
    assert (service["status"], service["assured_date"]) == ("active", "2026-10-01")
    areas = {r["name"] for r in tables["service_areas.csv"] if r["service_id"] == service["id"]}
    assert areas == {"Biumo (Varese)", "Rebbio (Como)", "Como"}
    terms = {r["id"]: r["code"] for r in tables["taxonomy_terms.csv"]}
    covered = {
        terms[r["taxonomy_term_id"]]
        for r in tables["attributes.csv"]
        if r["link_id"] == service["id"]
    }
    assert covered == {"ECO", "ECO01", "SOC02"}
    (address,) = tables["addresses.csv"]  # only the line with a postal code and a province
    assert (address["address_1"], address["postal_code"], address["state_province"]) == (
        "Via Roma 1",
        "21100",
        "VA",
    )
    extension = [r for r in tables["phones.csv"] if r["extension"]]
    assert [(r["number"], r["extension"]) for r in extension] == [("0332 123456", "12")]
    retired = [r for r in tables["services.csv"] if r["status"] == "inactive"]
    assert [r["name"] for r in retired] == ["Sportello chiuso"]


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("0332 123456 int. 12", ("0332 123456", "12")),
        ("0332 123456 est 23", ("0332 123456", "23")),
        ("0332 123456 interno 4", ("0332 123456", "4")),
        ("0332 123456", ("0332 123456", "")),
    ],
)
def test_every_extension_the_form_accepts_is_written_apart_in_hsds(typed, split):
    assert vocabulary.split_extension(typed) == split


def test_names_are_matched_as_the_directory_s_form_matches_them():
    from rete.directory import checks

    assert vocabulary.folded is checks.folded  # one function, not two that may drift apart
    assert checks.folded("Caritas  Cantù ") == "caritas cantu"
    assert checks.folded(None) == ""


def test_the_taxonomy_of_needs_is_published_with_areas_as_parents(engine, places):
    tables = tables_of(hsds.export_zip(engine))
    assert {r["name"] for r in tables["taxonomies.csv"]} == {
        vocabulary.NEEDS_TAXONOMY,
        vocabulary.CONTACTS_TAXONOMY,
    }
    terms = {r["code"]: r for r in tables["taxonomy_terms.csv"]}
    assert terms["SAN02"]["name"] == "Salute mentale"
    assert terms["SAN02"]["parent_id"] == terms["SAN"]["id"]
    assert terms["SAN"]["parent_id"] == ""
    assert terms["SAN02"]["taxonomy_id"] == vocabulary.NEEDS_TAXONOMY_ID


def test_two_exports_of_the_same_directory_are_the_same_bytes(engine, places):
    build_directory(engine, places)
    assert hsds.export_zip(engine) == hsds.export_zip(engine)
    assert hsds.export_json(engine) == hsds.export_json(engine)


def test_the_json_nests_each_partner_with_its_services_contacts_and_terms(engine, places):
    build_directory(engine, places)
    page = json.loads(hsds.export_json(engine))
    assert page["total_items"] == len(page["contents"]) == 3
    caritas = next(o for o in page["contents"] if o["name"] == "Caritas Biumo")
    assert caritas["description"].startswith("=Centro")  # JSON is not a spreadsheet
    assert {c["name"] for c in caritas["contacts"]} == {"Anna Neri", "Bruno Blu"}
    (service,) = caritas["services"]
    assert {a["taxonomy_term"]["code"] for a in service["attributes"]} == {"ECO", "ECO01", "SOC02"}
    detail = service["attributes"][0]["taxonomy_term"]["taxonomy_detail"]
    assert detail["name"] == vocabulary.NEEDS_TAXONOMY
    anna = next(c for c in caritas["contacts"] if c["name"] == "Anna Neri")
    assert anna["phones"] == [
        {"id": anna["phones"][0]["id"], "number": "0332 123456", "extension": 12, "type": "voice"}
    ]


# --- Round trips


@pytest.mark.parametrize("form", ["zip", "json"])
def test_export_then_import_into_an_empty_database_gives_the_same_directory(
    engine, places, empty_engine, form
):
    build_directory(engine, places)
    data = hsds.export_zip(engine) if form == "zip" else hsds.export_json(engine)
    result = import_bytes(empty_engine, data, f"rete.{form}")
    assert (result.added, result.updated) == (3, 0)
    assert directory(empty_engine) == directory(engine)


def test_importing_the_same_package_again_changes_nothing(engine, places):
    build_directory(engine, places)
    before = counts(engine)
    preview = hsds.preview_upload(engine, hsds.export_zip(engine), "rete.zip", TODAY)
    assert [c.action for c in preview.partners] == [UNCHANGED] * 3
    assert {c.matched_by for c in preview.partners} == {"identificativo"}
    assert not preview.can_import and not preview.problems
    assert counts(engine) == before


PHONES = st.sampled_from(["0332 123456", "+39 333 1234567", "031 000 222 int. 14", "800 123456"])
WORDS = st.sampled_from(["Caritas", "Centro", "Sportello", "Casa", "Città", "Rete", "Àncora"])


@st.composite
def partners(draw: st.DrawFn, needs: list[int], places: dict[str, int], towns: list[str]):
    contacts = []
    for position in range(draw(st.integers(1, 3))):
        phone = draw(st.none() | PHONES)
        email = None if phone and draw(st.booleans()) else f"p{position}@esempio.it"
        channels = [c for c, v in (("telefono", phone), ("email", email)) if v]
        contacts.append(
            ContactInput(
                name=f"Referente {position} {draw(WORDS)}",
                role=draw(st.none() | st.just("coordinatrice")),
                phone=phone,
                email=email,
                preferred_channel=draw(st.none() | st.sampled_from(channels)),
            )
        )
    primary = draw(st.integers(0, len(contacts) - 1))
    municipality = draw(st.none() | st.sampled_from(towns))
    address = draw(
        st.none()
        | st.just("Via Roma 1")
        | st.just("Via Milano 12, 22100 Como (CO)")
        | st.just("+ scala B, Via Verdi 3")
    )
    return (
        PartnerInput(
            name=f"{draw(WORDS)} {draw(WORDS)} {draw(st.integers(1, 999))}",
            kind=draw(st.sampled_from(sorted(PARTNER_KINDS))),
            description=draw(
                st.none()
                | st.text(min_size=1, max_size=40).filter(
                    lambda text: text.strip() and not validation.unprintable(text)
                )
            ),
            email=draw(st.none() | st.just("info@ente.example.org")),
            phone=draw(st.none() | PHONES),
            website=draw(st.none() | st.just("https://ente.example.org/chi-siamo")),
            address=address,
            municipality=municipality,
            category_ids=tuple(draw(st.sets(st.sampled_from(needs), min_size=1, max_size=4))),
            neighbourhood_ids=tuple(
                draw(st.sets(st.sampled_from(sorted(places.values())), max_size=3))
            ),
            municipalities=tuple(draw(st.sets(st.sampled_from(towns), min_size=1, max_size=2))),
            contacts=tuple(replace(c, is_primary=i == primary) for i, c in enumerate(contacts)),
            last_verified_on=draw(st.none() | st.dates(dt.date(2020, 1, 1), TODAY)),
        ),
        draw(st.booleans()),
    )


def test_any_directory_survives_the_round_trip(sqlite_template):
    """Generated directories (texts with formula starts, accents, newlines; phones with +39 and
    extensions; addresses with and without a postal code; inactive partners) come back equal,
    through the zip and through the JSON."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/source.db"
        shutil.copyfile(sqlite_template, f"{folder}/source.db")
        engine = db.get_engine(url)
        places = seed_places(engine)
        with Session(engine) as session:
            needs = sorted(session.scalars(select(Category.id)))
        towns = sorted({m for (m,) in Session(engine).execute(select(Neighbourhood.municipality))})

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(partners(needs, places, towns), min_size=1, max_size=4))
        def round_trip(generated: list[tuple[PartnerInput, bool]]) -> None:
            with session_scope(engine) as session:
                for partner in session.scalars(select(Partner)):
                    edit.delete_partner(
                        session, editor(session), partner.id, version=partner.version
                    )
            seen = set()
            with session_scope(engine) as session:
                for data, active in generated:
                    key = (vocabulary.folded(data.name), vocabulary.folded(data.municipality))
                    if key in seen:
                        continue
                    seen.add(key)
                    partner = edit.create_partner(session, editor(session), data, today=TODAY)
                    if not active:
                        edit.set_active(session, editor(session), partner.id, False, version=1)
            for form, data in (
                ("zip", hsds.export_zip(engine)),
                ("json", hsds.export_json(engine)),
            ):
                target = f"{folder}/{form}-{uuid.uuid4().hex}.db"
                shutil.copyfile(sqlite_template, target)
                other = db.get_engine(f"sqlite:///{target}")
                seed_places(other)
                import_bytes(other, data, f"rete.{form}")
                assert directory(other) == directory(engine), form
                db.dispose_engine(f"sqlite:///{target}")

        round_trip()
        db.dispose_engine(url)


# --- Importing other directories


def zipped(folder: Path, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"export/{path.relative_to(folder).as_posix()}")
        for name, data in (extra or {}).items():
            archive.writestr(f"export/{name}", data)
    return buffer.getvalue()


def where(preview: hsds.ImportPreview, error: bool) -> list[tuple[str, int | None, str | None]]:
    return [
        (p.origin.file if p.origin else "", p.origin.row if p.origin else None, p.field)
        for p in preview.problems
        if p.error == error
    ]


def test_the_30_sample_reports_each_reference_that_does_not_resolve_and_writes_nothing(
    engine, places, capsys
):
    before = counts(engine)
    package = zipped(DATA / "hsds-3.0" / "csv", {"datapackage.json": DESCRIPTOR.read_bytes()})
    preview = hsds.preview_upload(engine, package, "esempio-3.0.zip", TODAY)
    assert preview.version == "HSDS 3.0"
    assert where(preview, error=True) == [
        ("locations.csv", 2, "organization_id"),
        ("contacts.csv", 2, "organization_id"),
        ("contacts.csv", 2, "service_at_location_id"),
        ("taxonomy_terms.csv", 2, "taxonomy_id"),
        ("taxonomy_terms.csv", 2, "parent_id"),
    ]
    first = str(preview.errors[0])
    assert first == (
        "locations.csv, riga 2, campo «organization_id»: 985e4a42-bd9f-4edc-911d-0243a4640aca "
        "non corrisponde a nessuna riga di organizations.csv: il riferimento non si risolve."
    )
    assert not preview.can_import
    assert "programmi: 1" in preview.ignored and "orari: 1" in preview.ignored
    with pytest.raises(ValidationError), session_scope(engine) as session:
        hsds.commit_import(session, editor(session), preview)
    assert counts(engine) == before


def test_the_30_json_sample_is_read_but_brings_no_partner_rete_can_use(engine, places):
    preview = hsds.preview_path(engine, DATA / "hsds-3.0" / "json" / "organization_full.json")
    assert preview.version == "HSDS 3.0" and not preview.errors
    (change,) = preview.partners
    assert change.action == SKIP and change.name == "Example Organization Inc."
    assert "bisogno coperto" in (change.reason or "") and "quartiere o comune" in (
        change.reason or ""
    )
    assert (change.reason or "").startswith("mancano un bisogno coperto")  # two or more
    warned = {(p.origin.path if p.origin else None, p.field) for p in preview.warnings}
    assert ("contacts[0].phones[0]", "number") in warned  # +44: not an Italian number
    assert ("services[0].service_areas[0]", "name") in warned
    assert not preview.can_import


def test_the_11_sample_is_read_as_hsds_1x_with_what_it_brings(engine, places):
    preview = hsds.preview_path(engine, DATA / "hsds-1.1" / "simple")
    assert preview.version == "HSDS 1.x" and not preview.errors
    assert len(preview.partners) == 10 and {c.action for c in preview.partners} == {SKIP}
    phones = [w for w in preview.warnings if w.origin and w.origin.file == "phones.csv"]
    assert [(w.origin.row, w.field) for w in phones if w.origin] == [
        (2, "number"),
        (3, "number"),
        (4, "number"),
        (5, "number"),
    ]
    assert "registro delle modifiche: 131" in preview.ignored


def test_a_1x_description_in_html_becomes_plain_text(engine, places):
    from rete.hsds import mapping, plan, read

    source = read.read_path(DATA / "hsds-1.1" / "simple")
    with Session(engine) as session:
        mapper = mapping.Mapper(source, plan.known(session), TODAY)
    silvers = next(d for d in mapper.drafts() if d.name == "Example City Silvers")
    assert silvers.description == (
        "Provision of services for older people in their homes to allow them to continue "
        "living in their communities with dignity. Serivices include:\n• Personal Care\n"
        "• Cleaning\n• Shopping"
    )
    assert silvers.website == "http://example.com"  # 1.x `url`


def test_an_italian_1x_directory_brings_what_names_rete_s_needs_and_places(engine, places):
    preview = hsds.preview_path(engine, DATA / "hsds-1.1-como", TODAY)
    assert not preview.errors
    actions = {c.name: c.action for c in preview.partners}
    assert actions == {
        "Associazione «Filo d'Argento» Como": ADD,
        "Cooperativa «Lavoro Insieme»": ADD,
        "Sportello «Casa Amica»": SKIP,  # «Ricerca di un alloggio» is not one of Rete's needs
    }
    warned = {(p.origin.file, p.origin.row, p.field) for p in preview.warnings if p.origin}
    assert warned == {
        ("services.csv", 2, "taxonomy_ids"),  # «Compagnia agli anziani»
        ("services.csv", 4, "taxonomy_ids"),  # «Ricerca di un alloggio»
        ("phones.csv", 4, "number"),  # +1 555 0100
        ("service_area.csv", 4, "service_area"),  # Lipomo: no ALER neighbourhood there
        ("contacts.csv", 4, "name"),  # no name, title or department
    }
    with session_scope(engine) as session:
        result = hsds.commit_import(session, editor(session), preview)
    assert (result.added, result.updated) == (2, 0)
    found = directory(engine)
    association = found["a1f0c6de-0001-4c1e-9a51-000000000001"]
    assert association["kind"] == "association"
    assert association["description"] == (
        "Compagnia e aiuto agli anziani soli:\n• telefonate\n• visite a casa"
    )
    assert association["website"] == "https://www.filoargento-como.example.org"
    assert association["address"] == "Via Milano 12, 22100 Como (CO)"
    assert association["municipality"] == "Como"
    assert association["coverage"] == {"SOC01"}
    assert association["places"] == {(None, None, "Como")}
    assert association["contacts"] == {
        ("Lucia Esempio", "Coordinatrice", None, "lucia.esempio@example.org", None, True)
    }
    assert association["phone"] == "031 000 111" and association["active"]
    cooperative = found["a1f0c6de-0002-4c1e-9a51-000000000002"]
    assert not cooperative["active"]  # its only service is inactive
    assert cooperative["places"] == {("Rebbio", "Como", None)}
    assert cooperative["contacts"] == {
        ("Marco Prova", "Orientatore", "031 000 222 int. 14", None, None, True)
    }
    assert cooperative["email"] == "lavoro@example.org"  # its service's


def test_a_partner_without_contacts_gets_one_with_its_own_channels(engine, places, tmp_path):
    folder = tmp_path / "enti"
    shutil.copytree(DATA / "hsds-1.1-como", folder)
    (folder / "contacts.csv").write_text(
        "id,organization_id,service_id,service_at_location_id,name,title,department,email\n"
    )
    preview = hsds.preview_path(engine, folder, TODAY)
    association = next(c for c in preview.partners if c.name.startswith("Associazione"))
    assert association.data is not None
    assert association.data.contacts == (
        ContactInput(
            "Recapito dell'ente",
            phone="031 000 111",
            email="filo.argento@example.org",
            is_primary=True,
        ),
    )


def test_a_file_that_is_not_hsds_is_refused_with_a_clear_message(engine, places):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("enti.csv", "nome,telefono\nCaritas,0332 123456\n")
    for data, name, says in (
        (archive.getvalue(), "enti.zip", "manca organizations.csv"),
        (b"%PDF-1.7 binary", "enti.pdf", "non è un pacchetto HSDS"),
        (
            b'{"id": "x", "name": "Tassonomia", "version": "1"}',
            "t.json",
            "Rete importa organizzazioni",
        ),
        (b"{not json", "rotto.json", "non è un file JSON leggibile"),
    ):
        preview = hsds.preview_upload(engine, data, name)
        (problem,) = preview.problems
        assert problem.error and says in str(problem), str(problem)
        assert preview.version == "" and not preview.can_import


def test_a_zip_that_unpacks_past_the_cap_is_refused_before_anything_is_read(
    engine, places, monkeypatch
):
    from rete.hsds import read

    assert read.MAX_UNPACKED == 100 * 1024 * 1024
    monkeypatch.setattr(read, "MAX_UNPACKED", 1024 * 1024)  # 1 MB: a small bomb will do
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as written:
        written.writestr("organizations.csv", "id,name\n" + "0" * (2 * 1024 * 1024))
    assert len(archive.getvalue()) < 10_000

    def never(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a member was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "read", never)
    preview = hsds.preview_upload(engine, archive.getvalue(), "enti.zip", TODAY)
    (problem,) = preview.problems
    assert problem.error and "decompresso supera i 1 MB" in str(problem), str(problem)
    assert not preview.can_import


def test_only_the_csv_and_json_members_of_a_zip_are_read(engine, places, monkeypatch):
    from rete.hsds import read

    build_directory(engine, places)
    archive = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(hsds.export_zip(engine))) as source:
        unpacked = sum(info.file_size for info in source.infolist())
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as written:
            for info in source.infolist():
                written.writestr(info, source.read(info))
            written.writestr("foto/sede.png", b"\0" * (2 * unpacked))
    monkeypatch.setattr(read, "MAX_UNPACKED", unpacked)
    preview = hsds.preview_upload(engine, archive.getvalue(), "enti.zip", TODAY)
    assert not preview.errors, preview.lines()
    assert [c.action for c in preview.partners] == [UNCHANGED] * 3


def test_a_csv_that_is_not_utf8_is_refused(engine, places, tmp_path):
    folder = tmp_path / "latin1"
    folder.mkdir()
    (folder / "organizations.csv").write_bytes("id,name,website\n1,Città,\n".encode("latin-1"))
    (problem,) = hsds.preview_path(engine, folder).problems
    assert "non è in UTF-8" in str(problem)


def package_with(engine: Engine, change: dict[str, Any]) -> bytes:
    """Rete's own export of `engine`, with rows of some files changed: file -> function."""
    data = hsds.export_zip(engine)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name in change:
                rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
                rows = change[name](rows)
                text = io.StringIO()
                csv.writer(text).writerows(rows)
                content = text.getvalue().encode("utf-8")
            target.writestr(name, content)
    return buffer.getvalue()


def test_a_code_rete_does_not_have_is_an_error_naming_its_row(engine, places):
    build_directory(engine, places)

    def renamed(rows: list[list[str]]) -> list[list[str]]:
        code = rows[0].index("code")
        for row in rows[1:]:
            if row[code] == "SOC02":
                row[code] = "XYZ99"
        return rows

    preview = hsds.preview_upload(
        engine, package_with(engine, {"taxonomy_terms.csv": renamed}), "rete.zip", TODAY
    )
    (problem,) = preview.errors
    assert (problem.origin.file, problem.field) == ("taxonomy_terms.csv", "code")
    assert "XYZ99" in problem.message and "classificazione" in problem.message
    assert preview.summary() == (
        "1 errore: non verrà importato nulla finché non è corretto nel file."
    )
    with (
        pytest.raises(ValidationError, match="ha 1 errore: correggerlo"),
        session_scope(engine) as session,
    ):
        hsds.commit_import(session, editor(session), preview)


@pytest.mark.parametrize(
    ("added", "updated", "says"),
    [
        (1, 1, "Importazione completata: 1 ente aggiunto, 1 aggiornato."),
        (2, 0, "Importazione completata: 2 enti aggiunti, 0 aggiornati."),
        (0, 3, "Importazione completata: 0 enti aggiunti, 3 aggiornati."),
    ],
)
def test_the_import_s_summary_says_one_or_many(added, updated, says):
    assert hsds.ImportResult(added, updated).summary() == says


def test_a_legal_status_rete_does_not_know_is_imported_as_other(engine, places, empty_engine):
    build_directory(engine, places)

    def foundation(rows: list[list[str]]) -> list[list[str]]:
        status = rows[0].index("legal_status")
        for row in rows[1:]:
            row[status] = "fondazione bancaria"
        return rows

    preview = hsds.preview_upload(
        empty_engine, package_with(engine, {"organizations.csv": foundation}), "rete.zip", TODAY
    )
    said = [p.message for p in preview.warnings if p.field == "legal_status"]
    assert said and all(
        "«fondazione bancaria» non è tra quelli di Rete: importato come «altro»" in m for m in said
    )


def test_a_control_character_leaves_the_value_out_and_in_a_name_is_an_error(engine, places):
    build_directory(engine, places)

    def garbled(column: str, was: str, now: str) -> Any:
        def change(rows: list[list[str]]) -> list[list[str]]:
            at = rows[0].index(column)
            for row in rows[1:]:
                if row[at] == was:
                    row[at] = now
            return rows

        return change

    description = garbled(
        "description", "'=Centro di ascolto\ne distribuzione viveri", "Cen\x07tro"
    )
    preview = hsds.preview_upload(
        engine, package_with(engine, {"organizations.csv": description}), "rete.zip", TODAY
    )
    assert not preview.errors, preview.lines()
    (problem,) = [p for p in preview.warnings if "non stampabili" in p.message]
    assert (problem.origin.file, problem.field) == ("organizations.csv", "description")
    assert "lasciata fuori" in problem.message

    name = garbled("name", "Anna Neri", "Anna\x01Neri")
    preview = hsds.preview_upload(
        engine, package_with(engine, {"contacts.csv": name}), "rete.zip", TODAY
    )
    (problem,) = preview.errors
    assert (problem.origin.file, problem.field) == ("contacts.csv", "name")
    assert "contiene caratteri non stampabili: ricopiarlo a mano" in problem.message
    assert not preview.can_import


def test_a_phone_rete_refuses_is_left_out_and_the_partner_still_comes(engine, places, empty_engine):
    build_directory(engine, places)

    def foreign(rows: list[list[str]]) -> list[list[str]]:
        number = rows[0].index("number")
        for row in rows[1:]:
            if row[number] == "'+39 0332 123456":
                row[number] = "+44 20 7946 0000"
        return rows

    preview = hsds.preview_upload(
        empty_engine, package_with(engine, {"phones.csv": foreign}), "rete.zip", TODAY
    )
    (problem,) = preview.problems
    assert not problem.error and (problem.origin.file, problem.field) == ("phones.csv", "number")
    caritas = next(c for c in preview.partners if c.name == "Caritas Biumo")
    assert caritas.action == ADD and caritas.data is not None and caritas.data.phone is None


def test_a_partner_is_matched_by_name_and_municipality_and_only_what_changed_is_named(
    engine, places, empty_engine
):
    build_directory(engine, places)
    package = hsds.export_zip(engine)
    with session_scope(empty_engine) as session:  # the same partner, entered by hand there
        local = edit.create_partner(
            session,
            editor(session),
            PartnerInput(
                name="CARITAS biumo",
                kind="parish_caritas",
                municipality="varese",
                email="vecchia@caritas.example.org",
                category_ids=codes(session, "ECO", "ECO01", "SOC02"),
                neighbourhood_ids=(places["Biumo"],),  # same names, same ids in both
                contacts=(
                    ContactInput(name="Zeno Rossi", phone="0332 999999", is_primary=True),
                    ContactInput(name="anna neri", email="anna@caritas.example.org"),
                ),
            ),
        )
        local_id, local_uuid = local.id, local.uuid
    preview = hsds.preview_upload(empty_engine, package, "rete.zip", TODAY)
    change = next(c for c in preview.partners if c.partner_id == local_id)
    assert (change.action, change.matched_by) == (UPDATE, "nome e comune")
    assert change.changes == (
        "nome",
        "descrizione",
        "e-mail",
        "telefono",
        "sito",
        "indirizzo",
        "quartieri serviti",
        "comuni serviti",
        "referenti",
        "data di verifica",
    )
    with session_scope(empty_engine) as session:
        hsds.commit_import(session, editor(session), preview)
    after = directory(empty_engine)[local_uuid]  # its uuid stays
    assert after["email"] == "ascolto@caritas.example.org"
    assert {c[0] for c in after["contacts"]} == {"Zeno Rossi", "Anna Neri", "Bruno Blu"}
    primary = {c[0] for c in after["contacts"] if c[5]}
    assert primary == {"Anna Neri"}  # the file says who the primary contact is


def test_an_empty_value_in_the_file_never_erases_what_rete_knows(engine, places):
    build_directory(engine, places)

    def no_email(rows: list[list[str]]) -> list[list[str]]:
        email = rows[0].index("email")
        for row in rows[1:]:
            row[email] = ""
        return rows

    preview = hsds.preview_upload(
        engine, package_with(engine, {"organizations.csv": no_email}), "rete.zip", TODAY
    )
    assert {c.action for c in preview.partners} == {UNCHANGED}


def test_a_partner_closed_in_the_file_is_only_deactivated(engine, places):
    ids = build_directory(engine, places)

    def closed(rows: list[list[str]]) -> list[list[str]]:
        name, status = rows[0].index("name"), rows[0].index("status")
        for row in rows[1:]:
            if row[name] == "Caritas Biumo":
                row[status] = "temporarily closed"
        return rows

    preview = hsds.preview_upload(
        engine, package_with(engine, {"services.csv": closed}), "rete.zip", TODAY
    )
    (change,) = preview.of(UPDATE)
    assert change.changes == ("non attivo",) and change.partner_id == ids["Caritas Biumo"]
    with session_scope(engine) as session:
        hsds.commit_import(session, editor(session), preview)
        trail = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "partner", AuditEntry.entity_id == ids["Caritas Biumo"])
            .order_by(AuditEntry.id)
        )
        assert list(trail) == ["partner_created", "partner_deactivated"]  # no update saved
    assert not directory(engine)[change.data.uuid]["active"]  # type: ignore[union-attr]


# --- Writing: all or nothing, audited


def test_the_import_is_audited_with_the_acting_user(engine, places, empty_engine):
    build_directory(engine, places)
    import_bytes(empty_engine, hsds.export_zip(engine))
    with Session(empty_engine) as session:
        who = editor(session)
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("partner_%")))
        assert {(e.action, e.user_id) for e in entries} == {
            ("partner_created", who.id),
            ("partner_deactivated", who.id),  # «Sportello chiuso», inactive in the file
        }


def test_direzione_may_not_import(engine, places, empty_engine):
    build_directory(engine, places)
    preview = hsds.preview_upload(empty_engine, hsds.export_zip(engine), "rete.zip", TODAY)
    before = counts(empty_engine)
    boss = auth.CurrentUser(0, "dora", "Dora", "direzione")
    with pytest.raises(PermissionDenied), session_scope(empty_engine) as session:
        hsds.commit_import(session, boss, preview)
    assert counts(empty_engine) == before


def test_a_failure_half_way_writes_nothing(engine, places, empty_engine, monkeypatch):
    build_directory(engine, places)
    preview = hsds.preview_upload(empty_engine, hsds.export_zip(engine), "rete.zip", TODAY)
    before = counts(empty_engine)
    create = edit.create_partner
    calls = []

    def failing_on_the_third(*args: Any, **kwargs: Any) -> Partner:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return create(*args, **kwargs)

    monkeypatch.setattr(edit, "create_partner", failing_on_the_third)
    with pytest.raises(RuntimeError), session_scope(empty_engine) as session:
        hsds.commit_import(session, editor(session), preview)
    assert len(calls) == 3
    assert counts(empty_engine) == before


def test_a_partner_saved_after_the_preview_refuses_the_whole_import(engine, places):
    ids = build_directory(engine, places)

    def new_email(rows: list[list[str]]) -> list[list[str]]:
        email = rows[0].index("email")
        for row in rows[1:]:
            row[email] = "nuova@ente.example.org"
        return rows

    preview = hsds.preview_upload(
        engine, package_with(engine, {"organizations.csv": new_email}), "rete.zip", TODAY
    )
    assert len(preview.of(UPDATE)) == 3
    with session_scope(engine) as session:  # someone saves one of them meanwhile
        partner = session.get(Partner, ids["Cooperativa «Il Telaio»"])
        assert partner is not None
        edit.mark_verified(session, editor(session), partner.id, TODAY, version=partner.version)
    before = counts(engine)
    with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
        hsds.commit_import(session, editor(session), preview)
    assert counts(engine) == before
    assert "nuova@ente.example.org" not in {p["email"] for p in directory(engine).values()}


# --- The command line


def test_export_hsds_writes_the_zip_and_the_json(engine, places, tmp_path, capsys):
    build_directory(engine, places)
    assert cli.main(["export-hsds", str(tmp_path / "enti.zip")]) == 0
    assert "3 enti" in capsys.readouterr().out
    assert (tmp_path / "enti.zip").read_bytes() == hsds.export_zip(engine)
    assert cli.main(["export-hsds", str(tmp_path / "enti.json")]) == 0
    assert json.loads((tmp_path / "enti.json").read_bytes())["total_items"] == 3


def test_import_hsds_dry_run_shows_the_preview_and_writes_nothing(
    engine, places, empty_engine, tmp_path, capsys, monkeypatch
):
    build_directory(engine, places)
    (tmp_path / "enti.zip").write_bytes(hsds.export_zip(engine))
    monkeypatch.setenv("RETE_DATABASE_URL", empty_engine.url.render_as_string(hide_password=False))
    before = counts(empty_engine)
    assert cli.main(["import-hsds", str(tmp_path / "enti.zip"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        "Da aggiungere: 3" in out and "Caritas Biumo (organizations.csv, riga 2): aggiunto" in out
    )
    assert "non è stato scritto nulla" in out
    assert counts(empty_engine) == before


def test_import_hsds_writes_as_the_user_given_and_refuses_without_one(
    engine, places, empty_engine, tmp_path, capsys, monkeypatch
):
    build_directory(engine, places)
    (tmp_path / "enti.zip").write_bytes(hsds.export_zip(engine))
    monkeypatch.setenv("RETE_DATABASE_URL", empty_engine.url.render_as_string(hide_password=False))
    with session_scope(empty_engine) as session:
        who = editor(session)
        auth.create_user(session, "dora", "Dora", "direzione", "password-di-prova")
    before = counts(empty_engine)
    assert cli.main(["import-hsds", str(tmp_path / "enti.zip")]) == 1
    assert "--user" in capsys.readouterr().err
    assert cli.main(["import-hsds", str(tmp_path / "enti.zip"), "--user", "dora"]) == 1
    assert "Operazione non consentita" in capsys.readouterr().err
    assert counts(empty_engine) == before
    assert cli.main(["import-hsds", str(tmp_path / "enti.zip"), "--user", who.username]) == 0
    assert "3 enti aggiunti" in capsys.readouterr().out
    assert directory(empty_engine) == directory(engine)


def test_import_hsds_with_errors_exits_1_and_lists_them(engine, places, capsys):
    assert cli.main(["import-hsds", str(DATA / "hsds-3.0" / "csv"), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Errore: importazione non eseguita.")
    assert "contacts.csv, riga 2, campo «service_at_location_id»" in err


def test_the_benchmark_item_exports_the_directory(engine, places):
    from bench.hsds_side import hsds_export

    build_directory(engine, places)
    with Session(engine) as session:
        who = editor(session)
    found = hsds_export(engine, who, None, TODAY)
    assert found["partners"] == 3
    assert found["bytes"] == len(hsds.export_zip(engine))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "name",
                    "services",
                    "contacts",
                    "phones",
                    "status",
                    "organization",
                    "attributes",
                    "taxonomy_term",
                    "contents",
                    "locations",
                    "addresses",
                    "email",
                    "service_areas",
                    "number",
                    "link_entity",
                    "organizations.csv",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def test_whatever_json_is_uploaded_the_preview_answers_and_never_raises(sqlite_template):
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(sqlite_template, f"{folder}/rete.db")
        url = f"sqlite:///{folder}/rete.db"
        engine = db.get_engine(url)

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(JSON_VALUES)
        def answers(document: Any) -> None:
            data = json.dumps(document).encode()
            preview = hsds.preview_upload(engine, data, "x.json", TODAY)
            assert preview.errors or preview.partners or preview.problems or preview.version

        answers()
        db.dispose_engine(url)


CELLS = st.text(alphabet=st.characters(codec="utf-8"), max_size=6)


def test_whatever_csv_is_in_the_zip_the_preview_answers_and_never_raises(sqlite_template):
    columns = ["id", "name", "website", "organization_id", "status", "number", "link_id"]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(sqlite_template, f"{folder}/rete.db")
        url = f"sqlite:///{folder}/rete.db"
        engine = db.get_engine(url)

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            st.dictionaries(
                st.sampled_from(
                    [
                        "organizations.csv",
                        "services.csv",
                        "phones.csv",
                        "attributes.csv",
                        "contacts.csv",
                        "taxonomy.csv",
                    ]
                ),
                st.tuples(
                    st.lists(st.sampled_from(columns), min_size=1, max_size=4, unique=True),
                    st.lists(st.lists(CELLS, max_size=5), max_size=4),
                ),
                min_size=1,
            )
        )
        def answers(files: dict[str, tuple[list[str], list[list[str]]]]) -> None:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for name, (header, rows) in files.items():
                    text = io.StringIO()
                    csv.writer(text).writerows([header, *rows])
                    archive.writestr(name, text.getvalue())
            hsds.preview_upload(engine, buffer.getvalue(), "x.zip", TODAY)

        answers()
        db.dispose_engine(url)
