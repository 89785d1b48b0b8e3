"""The fictional cast of the demo data: partners, names, neighbourhood profiles, codes.

Every organisation and person here is invented. Municipalities and neighbourhoods are real
places (they come from `data/quartieri_demo.csv`); phone numbers have `000` in the middle and
e-mail addresses are on `example.org`, so nothing can reach a real person.
"""

from __future__ import annotations

from dataclasses import dataclass

VARESE = "Varese"
BUSTO = "Busto Arsizio"
COMO = "Como"
MONZA = "Monza"
GALLARATE = "Gallarate"
SARONNO = "Saronno"
ALL_MUNICIPALITIES = (VARESE, BUSTO, COMO, MONZA, GALLARATE, SARONNO)

# The Ufficio Mobile tours the Varese neighbourhoods; elsewhere tenants come to an office.
UFFICIO_MOBILE_MUNICIPALITIES = frozenset({VARESE})

HOUSEHOLD_CODE_PREFIXES = {
    VARESE: "VA",
    BUSTO: "BA",
    COMO: "CO",
    MONZA: "MB",
    GALLARATE: "GA",
    SARONNO: "SA",
}
PHONE_AREA_CODES = {
    VARESE: "0332",
    BUSTO: "0331",
    GALLARATE: "0331",
    SARONNO: "02",
    COMO: "031",
    MONZA: "039",
}

# What kind of needs stand out in each neighbourhood (profiles are defined in rete/demo.py).
ECONOMIC = "economic"
HEALTH = "health"
CONFLICT = "conflict"
LANGUAGE = "language"
MIXED = "mixed"
NEIGHBOURHOOD_PROFILES = {
    "Sangallo": ECONOMIC,
    "Biumo": HEALTH,
    "Valle Olona": CONFLICT,
    "San Fermo": ECONOMIC,
    "Belfiore": HEALTH,
    "Belforte": LANGUAGE,
    "Bosto": HEALTH,
    "Bustecche": CONFLICT,
    "Bizzozero": MIXED,
    "San Carlo": HEALTH,
    "Casbeno": MIXED,
    "Brunella": LANGUAGE,
    "Calcinate del Pesce": HEALTH,
    "Avigno": MIXED,
    "Montello": ECONOMIC,
    "Sant'Edoardo": ECONOMIC,
    "Beata Giuliana": CONFLICT,
    "Rebbio": LANGUAGE,
    "Sagnino": HEALTH,
    "San Rocco": CONFLICT,
    "Cantalupo": HEALTH,
    "Cascinetta": LANGUAGE,
    "Madonna in Campagna": ECONOMIC,
    "Matteotti": MIXED,
}

# --- Needs: how common each specific need is, in which households, neighbourhoods, months
NEED_WEIGHTS: dict[str, float] = {
    "ABI01": 14,
    "ABI02": 7,
    "ABI03": 4,
    "ABI04": 4,
    "ABI05": 3,
    "ABI06": 5,
    "ABI07": 2,
    "ECO01": 12,
    "ECO02": 8,
    "ECO03": 5,
    "ECO04": 8,
    "ECO05": 2,
    "LAV01": 6,
    "LAV02": 3,
    "LAV03": 1,
    "SAN01": 6,
    "SAN02": 4,
    "SAN03": 4,
    "SAN04": 3,
    "SAN05": 1,
    "DIP01": 2,
    "DIP02": 1,
    "DIP03": 1,
    "DIP04": 0.5,
    "FAM01": 4,
    "FAM02": 3,
    "FAM03": 1,
    "FAM04": 2,
    "FAM05": 1,
    "SOC01": 5,
    "SOC02": 3,
    "SOC03": 4,
    "SOC04": 1,
    "AMM01": 6,
    "AMM02": 4,
    "AMM03": 1,
}

PROFILE_NEED_BOOSTS: dict[str, dict[str, float]] = {
    ECONOMIC: {"ECO01": 2.5, "ECO02": 2.0, "ECO03": 2.0, "ECO04": 1.5, "LAV01": 1.5},
    HEALTH: {"SAN01": 2.0, "SAN03": 2.5, "SAN04": 1.5, "FAM02": 2.0, "SOC01": 2.0, "ABI05": 1.8},
    CONFLICT: {"ABI02": 3.5, "ABI03": 2.5, "FAM04": 1.8, "DIP01": 1.5, "DIP02": 1.5},
    LANGUAGE: {"SOC02": 3.5, "LAV02": 3.0, "AMM01": 2.0, "AMM02": 1.5, "FAM01": 1.5, "ABI04": 2},
    MIXED: {},
}

PROFILE_ELDERLY_BOOST = {HEALTH: 0.2}  # added to the share of households with elderly

LARGE_FAMILY_PROFILES = frozenset({LANGUAGE})

FLAG_NEED_BOOSTS: dict[str, dict[str, float]] = {
    "elderly": {"SAN01": 2, "SAN03": 3, "SOC01": 2.5, "SOC03": 2.5, "ABI05": 2, "LAV01": 0.3},
    "minors": {"FAM01": 4, "FAM04": 1.5, "ABI04": 1.5, "LAV01": 1.3},
    "disability": {"SAN04": 5, "ABI05": 3, "FAM02": 2},
}

SEASONAL_NEED_BOOSTS: dict[str, dict[int, float]] = {
    "ECO02": {1: 3.0, 2: 2.8, 3: 1.3, 11: 1.3, 12: 1.8}
}  # heating bills

SEVERITY_WEIGHTS_BY_NEED: dict[str, dict[str, float]] = {
    "FAM03": {"low": 0, "medium": 15, "high": 50, "urgent": 35},
    "ECO01": {"low": 15, "medium": 45, "high": 30, "urgent": 10},
    "SAN02": {"low": 10, "medium": 40, "high": 38, "urgent": 12},
    "SAN03": {"low": 10, "medium": 45, "high": 35, "urgent": 10},
    "ABI01": {"low": 40, "medium": 45, "high": 13, "urgent": 2},
}

HANDLED_IN_HOUSE: dict[str, float] = {
    "ABI01": 0.35,
    "ABI03": 0.35,
    "ABI06": 0.4,
}  # mostly ALER's own offices

FIRST_NAMES = (
    "Anna",
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "Paolo",
    "Chiara",
    "Andrea",
    "Elena",
    "Stefano",
    "Sara",
    "Davide",
    "Laura",
    "Matteo",
    "Silvia",
    "Roberto",
    "Marta",
    "Giorgio",
    "Valentina",
    "Alessandro",
    "Rosa",
    "Giuseppe",
    "Maria",
    "Franco",
    "Fatima",
    "Youssef",
    "Ana",
    "Ion",
    "Mei",
    "Kwame",
    "Leila",
    "Omar",
)
# Surnames no one is likely to carry: the names read as made up at a glance.
FICTIONAL_SURNAMES = (
    "Esempio",
    "Fittizi",
    "Inventato",
    "Campione",
    "Modello",
    "Immaginario",
    "Fantasia",
    "Provetta",
    "Finzione",
    "Sognatori",
    "Favolosi",
    "Romanzo",
    "Copione",
    "Bozzetto",
)

CONTACT_ROLES = {
    "municipal_social_services": ("Assistente sociale", "Responsabile di area", "Educatrice"),
    "public_body": ("Referente sportello", "Funzionaria", "Orientatore"),
    "health": ("Infermiera di comunità", "Assistente sociale sanitaria", "Medico referente"),
    "association": ("Presidente", "Volontaria referente", "Coordinatore"),
    "ets_onlus": ("Coordinatrice", "Operatrice di accoglienza", "Consulente"),
    "social_cooperative": ("Coordinatore", "Educatrice", "Tutor dell'inserimento"),
    "trade_union": ("Operatrice CAF", "Referente patronato", "Consulente fiscale"),
    "parish_caritas": ("Volontario del centro d'ascolto", "Parroco", "Coordinatrice"),
    "other": ("Referente", "Avvocata volontaria", "Segreteria"),
}

BROAD_SOCIAL_SERVICES = (
    "ECO01",
    "ECO03",
    "ECO04",
    "ECO05",
    "ABI04",
    "ABI07",
    "SAN03",
    "SAN04",
    "FAM01",
    "FAM02",
    "FAM03",
    "FAM04",
    "FAM05",
    "SOC01",
    "SOC04",
    "AMM02",
    "AMM03",
    "LAV03",
    "DIP04",
)


@dataclass(frozen=True)
class PartnerSpec:
    """One fictional partner: what it covers, where, and how it answers referrals."""

    name: str
    kind: str  # a code of taxonomy.PARTNER_KINDS
    summary: str  # the description, after "Ente dimostrativo. "
    home: str  # the municipality of its office
    needs: tuple[str, ...]  # specific-need codes it takes on
    municipalities: tuple[str, ...] = ()  # whole municipalities served
    neighbourhoods: tuple[str, ...] = ()  # single neighbourhoods served (by name)
    pace: str = "normal"  # fast | normal | slow: how soon it answers a referral
    refusals: str = "normal"  # rare | normal | often
    usual_refusal: str | None = None  # the reason it gives most often, if any


def _social_services(municipality: str, pace: str = "normal") -> PartnerSpec:
    return PartnerSpec(
        name=f"Servizi sociali comunali di {municipality}",
        kind="municipal_social_services",
        summary=f"Servizio sociale professionale del comune di {municipality}: "
        "sostegno economico, minori e famiglie, anziani, disabilità.",
        home=municipality,
        needs=BROAD_SOCIAL_SERVICES,
        municipalities=(municipality,),
        pace=pace,
    )


PARTNERS: tuple[PartnerSpec, ...] = (
    PartnerSpec(
        name="Servizi sociali comunali di Varese – Area anziani e disabilità",
        kind="municipal_social_services",
        summary="Assistenza domiciliare, pasti, contributi per anziani e persone con disabilità.",
        home=VARESE,
        needs=("SAN03", "SAN04", "SAN05", "FAM02", "SOC01", "ABI05"),
        municipalities=(VARESE,),
    ),
    PartnerSpec(
        name="Servizi sociali comunali di Varese – Area minori e famiglia",
        kind="municipal_social_services",
        summary="Tutela minori, sostegno alla genitorialità, affido e centri per la famiglia.",
        home=VARESE,
        needs=("FAM01", "FAM02", "FAM03", "FAM04", "FAM05"),
        municipalities=(VARESE,),
    ),
    PartnerSpec(
        name="Servizi sociali comunali di Varese – Area adulti e inclusione",
        kind="municipal_social_services",
        summary="Contributi economici, emergenza abitativa, inclusione sociale degli adulti.",
        home=VARESE,
        needs=(
            "ECO01",
            "ECO03",
            "ECO04",
            "ECO05",
            "ABI04",
            "ABI07",
            "SOC02",
            "SOC04",
            "AMM02",
            "AMM03",
            "LAV03",
            "DIP04",
        ),
        municipalities=(VARESE,),
        pace="slow",
    ),
    _social_services(BUSTO),
    _social_services(COMO, pace="slow"),
    _social_services(MONZA),
    _social_services(GALLARATE),
    _social_services(SARONNO, pace="fast"),
    PartnerSpec(
        name="ASST Colli Varesini – Centro psicosociale",
        kind="health",
        summary="Presa in carico dei disturbi psichici degli adulti, visite e percorsi di cura.",
        home=VARESE,
        needs=("SAN02", "SAN05"),
        municipalities=(VARESE, GALLARATE),
        pace="slow",
    ),
    PartnerSpec(
        name="ASST Colli Varesini – SerD",
        kind="health",
        summary="Servizio pubblico per le dipendenze: alcol, sostanze, gioco d'azzardo.",
        home=VARESE,
        needs=("DIP01", "DIP02", "DIP03", "DIP04"),
        municipalities=(VARESE, GALLARATE),
        pace="slow",
    ),
    PartnerSpec(
        name="ASST Colli Varesini – Cure domiciliari e fragilità",
        kind="health",
        summary="Infermieri di famiglia e di comunità, cure domiciliari, valutazione della fragilità.",
        home=VARESE,
        needs=("SAN01", "SAN03", "SAN05", "FAM02"),
        municipalities=(VARESE,),
    ),
    PartnerSpec(
        name="ASST Pianura dell'Olona – Salute mentale e dipendenze",
        kind="health",
        summary="Centro psicosociale e SerD dell'area di Busto Arsizio e Saronno.",
        home=BUSTO,
        needs=("SAN01", "SAN02", "DIP01", "DIP02", "DIP03", "DIP04"),
        municipalities=(BUSTO, SARONNO),
    ),
    PartnerSpec(
        name="ASST Lario e Brianza – Servizi territoriali",
        kind="health",
        summary="Cure domiciliari, salute mentale e dipendenze per Como e Monza.",
        home=COMO,
        needs=("SAN01", "SAN02", "SAN03", "DIP01", "DIP02", "DIP03", "DIP04"),
        municipalities=(COMO, MONZA),
        pace="slow",
    ),
    PartnerSpec(
        name="ATS dei Due Laghi – Ufficio invalidità e protesi",
        kind="health",
        summary="Domande di invalidità civile, ausili e protesi, esenzioni.",
        home=VARESE,
        needs=("SAN04", "AMM01"),
        municipalities=ALL_MUNICIPALITIES,
        pace="slow",
        refusals="often",
        usual_refusal="missing_documents",
    ),
    PartnerSpec(
        name="Consultorio familiare Colli Varesini",
        kind="health",
        summary="Consultorio pubblico: coppie, genitori, adolescenti, violenza in famiglia.",
        home=VARESE,
        needs=("FAM01", "FAM03", "FAM04"),
        municipalities=(VARESE, GALLARATE),
    ),
    PartnerSpec(
        name="Centro per l'impiego Prealpi",
        kind="public_body",
        summary="Iscrizione al collocamento, orientamento, politiche attive del lavoro.",
        home=VARESE,
        needs=("LAV01", "LAV03"),
        municipalities=(VARESE, GALLARATE, BUSTO, SARONNO),
    ),
    PartnerSpec(
        name="Centro per l'impiego Lario e Brianza",
        kind="public_body",
        summary="Iscrizione al collocamento, orientamento, politiche attive del lavoro.",
        home=MONZA,
        needs=("LAV01", "LAV03"),
        municipalities=(COMO, MONZA),
    ),
    PartnerSpec(
        name="Scuola pubblica per adulti «Campo dei Fiori»",
        kind="public_body",
        summary="Corsi di italiano per stranieri, licenza media, certificazioni linguistiche.",
        home=VARESE,
        needs=("LAV02", "SOC02"),
        municipalities=(VARESE, GALLARATE),
    ),
    PartnerSpec(
        name="Sportello stranieri intercomunale",
        kind="public_body",
        summary="Permessi di soggiorno, ricongiungimenti, cittadinanza, orientamento ai servizi.",
        home=GALLARATE,
        needs=("SOC02", "AMM01", "AMM02"),
        municipalities=(VARESE, GALLARATE, BUSTO, SARONNO),
    ),
    PartnerSpec(
        name="CAF Solidarietà Prealpina – sede di Varese",
        kind="trade_union",
        summary="ISEE, assegno di inclusione, bonus sociali, dichiarazioni dei redditi.",
        home=VARESE,
        needs=("ECO04", "ECO05", "AMM01"),
        municipalities=(VARESE,),
        pace="fast",
        refusals="rare",
    ),
    PartnerSpec(
        name="CAF Solidarietà Prealpina – sede di Busto Arsizio",
        kind="trade_union",
        summary="ISEE, assegno di inclusione, bonus sociali, dichiarazioni dei redditi.",
        home=BUSTO,
        needs=("ECO04", "AMM01"),
        municipalities=(BUSTO, GALLARATE, SARONNO),
        pace="fast",
    ),
    PartnerSpec(
        name="Patronato Lavoro e Diritti – Como e Monza",
        kind="trade_union",
        summary="Pensioni, invalidità, ISEE e pratiche previdenziali.",
        home=COMO,
        needs=("ECO04", "AMM01", "AMM02"),
        municipalities=(COMO, MONZA),
    ),
    PartnerSpec(
        name="Lega Inquilini Prealpina",
        kind="trade_union",
        summary="Sindacato degli inquilini: contratti, canoni, manutenzioni, regolamenti.",
        home=VARESE,
        needs=("ABI01", "ABI03", "ABI06", "ABI07", "ECO01"),
        municipalities=ALL_MUNICIPALITIES,
    ),
    PartnerSpec(
        name="Centro d'ascolto parrocchiale «Il Pozzo»",
        kind="parish_caritas",
        summary="Ascolto, pacchi alimentari, piccoli aiuti economici.",
        home=VARESE,
        needs=("ECO03", "ECO05", "SOC01"),
        neighbourhoods=("Sangallo", "Biumo", "San Fermo", "Belfiore", "Montello"),
        pace="fast",
    ),
    PartnerSpec(
        name="Centro d'ascolto interparrocchiale «La Sorgente»",
        kind="parish_caritas",
        summary="Ascolto, aiuto per bollette e spesa, accompagnamento delle persone sole.",
        home=VARESE,
        needs=("ECO02", "ECO03", "ECO05", "SOC01", "FAM05"),
        neighbourhoods=(
            "Valle Olona",
            "Bustecche",
            "Bizzozero",
            "Brunella",
            "Avigno",
            "Calcinate del Pesce",
            "San Carlo",
            "Casbeno",
            "Bosto",
            "Belforte",
        ),
    ),
    PartnerSpec(
        name="Centro d'ascolto parrocchiale «Porta Aperta»",
        kind="parish_caritas",
        summary="Ascolto, distribuzione alimentare, orientamento per Como e Monza.",
        home=COMO,
        needs=("ECO03", "ECO05", "SOC01", "SOC04"),
        municipalities=(COMO, MONZA),
    ),
    PartnerSpec(
        name="Associazione «Argento Vivo»",
        kind="association",
        summary="Anziani attivi: compagnia telefonica, accompagnamenti, corsi di smartphone.",
        home=VARESE,
        needs=("SOC01", "SOC03", "FAM02"),
        municipalities=(VARESE,),
        pace="fast",
        refusals="rare",
    ),
    PartnerSpec(
        name="Associazione «Oltre i Gradini»",
        kind="association",
        summary="Famiglie e persone con disabilità: barriere architettoniche, ausili, diritti.",
        home=GALLARATE,
        needs=("SAN04", "ABI05", "FAM02"),
        municipalities=(VARESE, GALLARATE, BUSTO),
    ),
    PartnerSpec(
        name="Club alcologico territoriale «Acqua Chiara»",
        kind="association",
        summary="Gruppi di auto-aiuto per persone e famiglie con problemi legati all'alcol.",
        home=BUSTO,
        needs=("DIP01", "DIP04"),
        municipalities=(VARESE, BUSTO, SARONNO),
        pace="fast",
    ),
    PartnerSpec(
        name="Scuola di italiano «Parole in Cammino»",
        kind="association",
        summary="Corsi gratuiti di italiano per adulti e mamme con bambini, nei quartieri.",
        home=VARESE,
        needs=("LAV02", "SOC02"),
        neighbourhoods=(
            "Belforte",
            "Brunella",
            "Valle Olona",
            "Sangallo",
            "San Fermo",
            "Cascinetta",
        ),
        pace="fast",
    ),
    PartnerSpec(
        name="Scuola di italiano «Ponti di Parole»",
        kind="association",
        summary="Corsi di italiano e aiuto con i documenti per Como e Monza.",
        home=COMO,
        needs=("LAV02", "SOC02"),
        municipalities=(COMO, MONZA),
    ),
    PartnerSpec(
        name="Volontari digitali «Clic Insieme»",
        kind="association",
        summary="SPID, fascicolo sanitario, prenotazioni online: aiuto passo per passo.",
        home=SARONNO,
        needs=("SOC03", "AMM01", "AMM02"),
        municipalities=(VARESE, SARONNO, BUSTO),
        pace="fast",
    ),
    PartnerSpec(
        name="Mediazione di quartiere «Vicini di Casa»",
        kind="association",
        summary="Mediazione dei conflitti di vicinato e di famiglia, regole di convivenza.",
        home=VARESE,
        needs=("ABI02", "ABI03", "FAM04", "SOC04"),
        municipalities=(VARESE, GALLARATE, BUSTO),
    ),
    PartnerSpec(
        name="Centro antiviolenza «Rosa dei Venti»",
        kind="ets_onlus",
        summary="Accoglienza e protezione delle donne che subiscono violenza, anche in emergenza.",
        home=VARESE,
        needs=("FAM03",),
        municipalities=(VARESE, GALLARATE, BUSTO, SARONNO),
        pace="fast",
        refusals="rare",
    ),
    PartnerSpec(
        name="Centro antiviolenza «Filo Rosso»",
        kind="ets_onlus",
        summary="Accoglienza e protezione delle donne che subiscono violenza, anche in emergenza.",
        home=MONZA,
        needs=("FAM03",),
        municipalities=(COMO, MONZA),
        pace="fast",
        refusals="rare",
    ),
    PartnerSpec(
        name="Fondazione «Un Tetto per Tutti»",
        kind="ets_onlus",
        summary="Microcredito, fondi per la morosità incolpevole, accompagnamento sui debiti.",
        home=VARESE,
        needs=("ECO01", "ECO03", "ABI04"),
        municipalities=ALL_MUNICIPALITIES,
        refusals="often",
        usual_refusal="no_capacity",
    ),
    PartnerSpec(
        name="Sportello energia «Luce Amica»",
        kind="ets_onlus",
        summary="Bollette, bonus sociali per luce e gas, rateizzazioni, risparmio energetico.",
        home=GALLARATE,
        needs=("ECO02", "ECO03"),
        municipalities=ALL_MUNICIPALITIES,
        pace="fast",
    ),
    PartnerSpec(
        name="Cooperativa sociale «Il Telaio»",
        kind="social_cooperative",
        summary="Inserimento lavorativo, tirocini, bilancio delle competenze.",
        home=VARESE,
        needs=("LAV01", "LAV02", "LAV03"),
        municipalities=(VARESE, GALLARATE, BUSTO),
    ),
    PartnerSpec(
        name="Cooperativa sociale «Mani Operose»",
        kind="social_cooperative",
        summary="Piccole manutenzioni e adattamenti della casa per anziani e persone fragili.",
        home=VARESE,
        needs=("ABI01", "ABI05"),
        municipalities=(VARESE, GALLARATE),
        refusals="often",
        usual_refusal="no_capacity",
    ),
    PartnerSpec(
        name="Sportello legale «Diritti in Comune»",
        kind="other",
        summary="Consulenza legale gratuita: sfratti, debiti, separazioni, documenti.",
        home=VARESE,
        needs=("AMM01", "ABI06", "ECO03", "FAM04"),
        municipalities=(VARESE, BUSTO, COMO),
    ),
)
