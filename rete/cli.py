"""The command line: `python -m rete COMMAND`. Each command is a thin wrapper over `rete/`."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine, select

from rete import access, audit, auth, bootstrap, demo, hsds, passwords
from rete.config import load_settings
from rete.db import check_schema, get_engine, schema_state, session_scope, upgrade
from rete.errors import ReteError
from rete.filters import (
    MAX_MONTHS,
    Filters,
    default_filters,
    month_code,
    month_of,
    months_in,
    parse_month_code,
)
from rete.models import User
from rete.taxonomy import load_taxonomy
from rete.writes import SYSTEM

Handler = Callable[[argparse.Namespace], str]


def _engine():  # type: ignore[no-untyped-def]
    return get_engine(load_settings().database_url)


def _ask_password(prompt_for: str, env_var: str) -> str:
    password = os.environ.get(env_var)
    if password:
        return password
    if not sys.stdin.isatty():
        raise ReteError(
            f"Password mancante: impostare {env_var} oppure eseguire il comando da un terminale."
        )
    first = getpass.getpass(f"Password per {prompt_for}: ")
    if getpass.getpass("Ripetere la password: ") != first:
        raise ReteError("Le due password non coincidono: riprovare.")
    return first


def cmd_init(args: argparse.Namespace) -> str:
    """Create or upgrade the database; with demo data, or (--no-demo) with the first admin.

    Example: python -m rete init --no-demo   (password asked, or taken from RETE_ADMIN_PASSWORD)
    """
    engine = _engine()
    password = None
    if args.no_demo:
        upgrade(engine)
        if not bootstrap.has_users(engine):
            password = _ask_password("l'utente admin", "RETE_ADMIN_PASSWORD")
            passwords.check(password, "admin")
    return bootstrap.initialise(
        engine,
        with_demo=not args.no_demo,
        admin_password=password,
        households=args.households,
        seed=args.seed,
    )


def cmd_demo(args: argparse.Namespace) -> str:
    """Load reproducible demo data (refuses a database with data unless --replace).

    Example: python -m rete demo --households 1500 --seed 20260225
    """
    engine = _engine()
    upgrade(engine)
    bootstrap.seed_reference_data(engine)
    summary = demo.load_demo(
        engine, households=args.households, seed=args.seed, months=args.months, replace=args.replace
    )
    return f"Dati dimostrativi caricati: {summary}."


def cmd_create_user(args: argparse.Namespace) -> str:
    """Add a user with a role: direzione, operatore or admin.

    Example: python -m rete create-user mrossi --role operatore --name "Maria Rossi"
    (password asked, or taken from RETE_NEW_PASSWORD)
    """
    engine = _engine()
    password = _ask_password(args.username, "RETE_NEW_PASSWORD")
    with session_scope(engine) as session:
        user = auth.create_user(
            session, args.username, args.name or args.username, args.role, password
        )
        username = user.username
    return f"Utente «{username}» creato con ruolo {args.role}."


def cmd_status(args: argparse.Namespace) -> str:
    """Show where the database stands: its URL (no password), schema revision, demo or real.

    Example: python -m rete status
    """
    settings = load_settings()
    engine = get_engine(settings.database_url)
    state = schema_state(engine)
    lines = [
        f"Database: {engine.url.render_as_string(hide_password=True)}",
        f"Schema: {state.current or 'vuoto'} (versione del codice: {state.head})",
    ]
    if state.is_current:
        lines.append(f"Dati dimostrativi: {'sì' if bootstrap.is_demo(engine) else 'no'}")
    return "\n".join(lines)


def _filled_engine() -> Engine:
    """The database, refused when it has no schema yet or one of another version."""
    engine = _engine()
    if check_schema(engine).is_empty:
        raise ReteError("Il database è vuoto: crearlo prima con `python -m rete init`.")
    return engine


def cmd_export_hsds(args: argparse.Namespace) -> str:
    """Export the partner directory as Open Referral HSDS 3.0: a zip of CSVs with the official
    datapackage.json, or HSDS JSON when the file name ends in .json.

    Example: python -m rete export-hsds rete-enti.zip
    """
    path = Path(args.out)
    engine = _filled_engine()
    count = hsds.export_file(engine, path)
    kind = "JSON" if path.suffix.lower() == ".json" else "zip di CSV"
    what = f"Open Referral ({kind}), da riga di comando: {count} enti"  # no path: it may say who
    audit.record_export(engine, SYSTEM, "directory_exported", what, entity="directory")
    return f"Elenco della rete esportato in {path} (HSDS 3.0): {count} enti."


def cmd_import_hsds(args: argparse.Namespace) -> str:
    """Import partners from an HSDS directory (3.0 or 1.x): a zip, a folder of CSVs or a JSON
    file. Shows what would be added, updated or left out, and every problem; writes all or
    nothing, recorded in the audit trail under the user given with --user.

    Example: python -m rete import-hsds enti-como.zip --dry-run
    (then: python -m rete import-hsds enti-como.zip --user mrossi)
    """
    engine = _filled_engine()
    actor = None
    if not args.dry_run:
        if not args.user:
            raise ReteError(
                "Indicare con --user chi importa (un utente operatore o admin): l'importazione "
                "va nel registro accessi a suo nome. Per vedere soltanto l'anteprima: --dry-run."
            )
        actor = _editor(engine, args.user)
    preview = hsds.preview_path(engine, Path(args.path))
    report = "\n".join(preview.lines())
    if preview.errors:
        raise ReteError(f"importazione non eseguita.\n{report}")
    if actor is None:
        return f"{report}\n\nProva (--dry-run): non è stato scritto nulla."
    if not preview.can_import:
        return f"{report}\n\nNulla da importare."
    with session_scope(engine) as session:
        result = hsds.commit_import(session, actor, preview)
    return f"{report}\n\n{result.summary()}"


def _month(text: str | None, fallback: int, option: str) -> int:
    if text is None:
        return fallback
    month = parse_month_code(text)
    if month is None:
        raise ReteError(f"{option} «{text}» non è un mese: scriverlo come AAAA-MM, es. 2026-03.")
    return month


def cmd_deck(args: argparse.Namespace) -> str:
    """Write the network meeting's slides as a PowerPoint file with native charts (or, by the
    file's extension, the Word report .docx, the Excel tables .xlsx, the HTML slides .html):
    aggregate figures only, small counts hidden. Without --from/--to: the last 12 full months.
    Recorded in the audit trail.

    Example: python -m rete deck riunione.pptx --from 2025-12 --to 2026-11 --municipality Varese
    """
    from rete.config import today
    from rete.meeting import build, files

    path = Path(args.out)
    key = path.suffix.lower().lstrip(".")
    if key not in files.FORMATS:
        raise ReteError(f"Il file «{path.name}» deve finire in .pptx, .docx, .xlsx oppure .html.")
    engine = _filled_engine()
    day = today()
    default = default_filters(day)
    start = _month(args.start, default.start, "--from")
    end = _month(args.end, default.end, "--to")
    if end < start:
        raise ReteError("--to viene prima di --from: indicare un periodo in ordine.")
    if start > month_of(day):
        raise ReteError(
            f"--from {month_code(start)} è nel futuro: non ci sono ancora dati per quel periodo."
        )
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise ReteError(f"Non si può scrivere nella cartella «{path.parent}»: sceglierne un'altra.")
    if months_in(start, end) > MAX_MONTHS:
        raise ReteError(f"Il periodo supera {MAX_MONTHS} mesi: sceglierne uno più breve.")
    towns: tuple[str, ...] = ()
    if args.municipality:
        known = load_taxonomy(engine).municipalities()
        if args.municipality not in known:
            raise ReteError(
                f"Nessun quartiere nel comune «{args.municipality}». Comuni: {', '.join(known)}."
            )
        towns = (args.municipality,)
    filters = Filters(f"{month_code(start)}:{month_code(end)}", start, end, municipalities=towns)
    deck = build.meeting_deck(engine, filters, day)
    try:
        path.write_bytes(files.export(engine, SYSTEM, deck, key))
    except OSError as error:
        raise ReteError(f"Il file «{path}» non si può scrivere: {error.strerror}.") from error
    written = files.FORMATS[key]
    return (
        f"{written.label} {written.written} in {path}: {len(deck.slides)} slide, "
        f"{deck.period_label}, {deck.territory_label}."
    )


def cmd_backup(args: argparse.Namespace) -> str:
    """Copia di sicurezza del database SQLite, anche con Rete avviata: una copia coerente in un
    file nuovo, verificata con il controllo di integrità e annotata nel registro accessi.
    Con PostgreSQL usare pg_dump (README, «Backup and restore»).

    Example: python -m rete backup backup/rete-2026-02-25.db
    """
    from rete import backup

    return backup.backup(load_settings().database_url, Path(args.out)).summary()


def cmd_restore(args: argparse.Namespace) -> str:
    """Ripristina il database SQLite da un backup: rifiuta un file danneggiato, non di Rete o di
    una versione più recente; conserva il database attuale accanto, con data e ora nel nome;
    aggiorna lo schema se il backup è precedente. Fermare Rete prima. Con PostgreSQL usare
    pg_restore (README, «Backup and restore»).

    Example: python -m rete restore backup/rete-2026-02-25.db
    """
    from rete import backup

    return backup.restore(load_settings().database_url, Path(args.backup)).summary()


def cmd_retention(args: argparse.Namespace) -> str:
    """Conservazione dei dati: anonimizza i nuclei senza attività da più anni di quanti dice
    l'impostazione retention_years (5) e toglie dal registro accessi le voci più vecchie di
    audit_retention_months mesi (mai meno di 24). Colloqui, bisogni e segnalazioni restano
    contati. Con --dry-run dice che cosa farebbe, senza cambiare nulla.

    Example: python -m rete retention --dry-run   (poi: python -m rete retention)
    """
    from rete import retention
    from rete.config import today

    return retention.run(_filled_engine(), today(), dry_run=args.dry_run)


def _editor(engine: Engine, username: str) -> auth.CurrentUser:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username, User.active))
        if user is None:
            raise ReteError(f"Nessun utente attivo «{username}»: indicarne uno esistente.")
        who = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
    access.require(who.role, access.may_edit_records, "importare enti nell'elenco della rete")
    return who


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rete",
        description="Rete: la rete territoriale di ALER. Il database è RETE_DATABASE_URL "
        "(predefinito: sqlite:///data/rete.db).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler) -> argparse.ArgumentParser:
        doc = handler.__doc__ or ""
        sub = commands.add_parser(
            name,
            help=doc.splitlines()[0],
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    init = add("init", cmd_init)
    init.add_argument(
        "--no-demo", action="store_true", help="installazione reale: nessun dato dimostrativo"
    )
    init.add_argument(
        "--households", type=int, default=demo.DEFAULT_HOUSEHOLDS, help="nuclei dimostrativi"
    )
    init.add_argument(
        "--seed", type=int, default=demo.DEFAULT_SEED, help="seme dei dati dimostrativi"
    )

    demo_cmd = add("demo", cmd_demo)
    demo_cmd.add_argument(
        "--households", type=int, default=demo.DEFAULT_HOUSEHOLDS, help="numero di nuclei"
    )
    demo_cmd.add_argument(
        "--seed", type=int, default=demo.DEFAULT_SEED, help="seme (stesso seme, stessi dati)"
    )
    demo_cmd.add_argument(
        "--months", type=int, default=demo.DEFAULT_MONTHS, help="mesi coperti, fino a oggi"
    )
    demo_cmd.add_argument("--replace", action="store_true", help="sostituisce i dati presenti")

    user = add("create-user", cmd_create_user)
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=access.ROLES)
    user.add_argument("--name", help="nome mostrato")

    add("status", cmd_status)

    export_hsds = add("export-hsds", cmd_export_hsds)
    export_hsds.add_argument("out", metavar="OUT", help="file da scrivere: .zip oppure .json")

    import_hsds = add("import-hsds", cmd_import_hsds)
    import_hsds.add_argument("path", metavar="PATH", help="zip, cartella di CSV o file JSON")
    import_hsds.add_argument(
        "--dry-run", action="store_true", help="mostra l'anteprima senza scrivere nulla"
    )
    import_hsds.add_argument("--user", help="utente (operatore o admin) che importa")

    deck = add("deck", cmd_deck)
    deck.add_argument("out", metavar="OUT", help="file da scrivere: .pptx, .docx, .xlsx o .html")
    deck.add_argument("--from", dest="start", metavar="AAAA-MM", help="primo mese")
    deck.add_argument("--to", dest="end", metavar="AAAA-MM", help="ultimo mese")
    deck.add_argument("--municipality", metavar="COMUNE", help="solo i quartieri di un comune")

    backup_cmd = add("backup", cmd_backup)
    backup_cmd.add_argument("out", metavar="OUT", help="file del backup da creare (non esistente)")

    restore_cmd = add("restore", cmd_restore)
    restore_cmd.add_argument("backup", metavar="IN", help="file creato con `backup`")

    retention_cmd = add("retention", cmd_retention)
    retention_cmd.add_argument(
        "--dry-run", action="store_true", help="dice che cosa farebbe, senza cambiare nulla"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        print(args.handler(args))
    except ReteError as error:
        print(f"Errore: {error}", file=sys.stderr)
        return 1
    return 0
