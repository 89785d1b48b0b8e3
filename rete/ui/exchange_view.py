"""«Esporta e importa»: the directory out as an Open Referral HSDS 3.0 package (zip of CSVs or
JSON) and as an Excel workbook for meetings; in from another directory's HSDS file, with a
preview of what would change before anything is written (all or nothing).

Exports carry business contacts of partners only: no tenant data is in the directory.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from rete import access, hsds
from rete.bootstrap import AppDatabase
from rete.db import session_scope
from rete.directory import excel
from rete.errors import ConcurrentEdit
from rete.hsds import ImportPreview
from rete.hsds.plan import ADD, SKIP, UNCHANGED, UPDATE
from rete.ui import accesslog_view, forms
from rete.ui.forms import plain
from rete.writes import Actor

FORM = "hsds_"
PREVIEW_KEY = f"{FORM}preview"
PREVIEW_LIMIT = 50  # partners listed per group; the rest counted


def exchange(app_db: AppDatabase, user: Actor, today: dt.date) -> None:
    st.header("Esporta l'elenco", anchor="esporta")
    st.caption(
        "Solo dati degli enti e dei loro referenti: nessun dato degli inquilini. Il formato Open "
        "Referral (HSDS 3.0) è lo standard internazionale degli elenchi di servizi sociali: lo "
        "leggono altri elenchi e piattaforme."
    )
    stamp = today.strftime("%Y%m%d")

    def recorded(make: accesslog_view.FileMaker, what: str) -> accesslog_view.FileMaker:
        # Made on the click and recorded then, in the access log.
        return accesslog_view.recorded(
            make, app_db.engine, user, "directory_exported", what, "directory"
        )

    downloads = st.container(horizontal=True)
    downloads.download_button(
        "Open Referral (zip di CSV)",
        data=recorded(lambda: hsds.export_zip(app_db.engine), "Open Referral (zip di CSV)"),
        file_name=f"rete_enti_hsds_{stamp}.zip",
        mime="application/zip",
        icon=":material/folder_zip:",
        key="export_hsds_zip",
    )
    downloads.download_button(
        "Open Referral (JSON)",
        data=recorded(lambda: hsds.export_json(app_db.engine), "Open Referral (JSON)"),
        file_name=f"rete_enti_hsds_{stamp}.json",
        mime="application/json",
        icon=":material/data_object:",
        key="export_hsds_json",
    )
    downloads.download_button(
        "Referenti (Excel)",
        data=recorded(lambda: excel.directory_workbook(app_db.engine), "Referenti (Excel)"),
        file_name=f"rete_referenti_{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
        key="export_directory_xlsx",
        help="Una riga per referente, da distribuire agli incontri della rete.",
    )
    if access.may_edit_records(user.role):
        _import(app_db, user, today)


def _import(app_db: AppDatabase, user: Actor, today: dt.date) -> None:
    st.header("Importa da un altro elenco", anchor="importa")
    st.caption(
        "Un file Open Referral (HSDS 3.0 o 1.x): zip di CSV o JSON. Prima si vede che cosa "
        "cambierebbe; si importa solo confermando, e tutto o niente."
    )
    upload = st.file_uploader(
        "File da importare", type=["zip", "json"], key=f"{FORM}file", max_upload_size=20
    )
    if upload is None:
        st.session_state.pop(PREVIEW_KEY, None)
        return
    kept = st.session_state.get(PREVIEW_KEY)
    found: ImportPreview
    if isinstance(kept, tuple) and kept[0] == upload.file_id:  # the same upload, not a name
        found = kept[1]
    else:
        found = hsds.preview_upload(app_db.engine, upload.getvalue(), upload.name, today)
        st.session_state[PREVIEW_KEY] = (upload.file_id, found)
    _show(found)
    if not found.can_import:
        return
    forms.form_error(FORM)
    if st.button("Conferma l'importazione", type="primary", icon=":material/upload:"):

        def run() -> str:
            try:
                with session_scope(app_db.engine) as session:
                    return hsds.commit_import(session, user, found).summary()
            except ConcurrentEdit as error:
                raise ConcurrentEdit(
                    "Un ente del file è stato modificato da qualcun altro dopo l'anteprima: non è "
                    "stato importato nulla. L'anteprima è stata rifatta: controllarla e "
                    "confermare di nuovo."
                ) from error

        summary = forms.attempt(FORM, run)
        st.session_state.pop(PREVIEW_KEY, None)  # done or refused: the next run previews again
        if summary is not None:
            forms.flash(summary)
        st.rerun()


def _show(found: ImportPreview) -> None:
    where = f"{found.source} · {found.version}" if found.version else found.source
    st.markdown(f"**Anteprima** · {plain(where)}")
    if found.errors:
        st.error(plain(found.summary()), icon=":material/error:")
    else:
        st.info(plain(found.summary()), icon=":material/preview:")
    for title, problems in (("Errori", found.errors), ("Avvisi", found.warnings)):
        if problems:
            with st.expander(f"{title} ({len(problems)})", expanded=title == "Errori"):
                st.text("\n".join(str(problem) for problem in problems))
    groups = (
        (ADD, "Da aggiungere"),
        (UPDATE, "Da aggiornare"),
        (SKIP, "Non importabili"),
        (UNCHANGED, "Già uguali"),
    )
    for action, title in groups:
        changes = found.of(action)
        if not changes:
            continue
        with st.expander(f"{title} ({len(changes)})", expanded=action in (ADD, UPDATE)):
            lines = [change.describe() for change in changes[:PREVIEW_LIMIT]]
            if len(changes) > PREVIEW_LIMIT:
                lines.append(f"… e altri {len(changes) - PREVIEW_LIMIT}.")
            st.text("\n".join(lines))
    if found.ignored:
        with st.expander("Che cosa Rete non conserva"):
            st.text("\n".join(found.ignored))
