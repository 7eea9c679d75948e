"""Seed the evidence catalogue, the requirements, policy version 1 and the claims from the catalogue and policy described in docs/domain.md.

Idempotent: every row is written with update_or_create by its code (policies by subject and version), so
running it on a database that already holds the catalogue updates the rows instead of duplicating them.
The reverse deletes exactly the codes created here. Uses the historical models only (apps.get_model).
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

DOC = "document_expiry"
DAYS = "days"
CALENDAR_YEAR = "calendar_year"
NO_EXPIRY = "no_expiry"
UNTIL_CHANGED = "until_changed"
PER_LOT = "per_lot"

# Site-specific types name one of the producer's sites; second review for the high-stakes ones.
SITE_SPECIFIC = {"SITE_GEO", "MINING_RIGHT", "IGAFOM", "ANP_COMPAT", "CLOSURE_EVID", "SITE_VISIT", "HG_FREE_PROCESS"}
SECOND_REVIEW = {"SITE_GEO", "SITE_VISIT", "CERT_FAIRMINED"}

# (code, English, Spanish, area, issuer, validity, days, reviewer checks EN, reviewer checks ES)
PRODUCER_TYPES = [
    (
        "ID_DNI",
        "National identity card",
        "Documento Nacional de Identidad",
        "identity",
        "RENIEC",
        DOC,
        None,
        "8 digits; name matches; 18 or older",
        "8 dígitos; el nombre coincide; 18 años o más",
    ),
    (
        "TAX_RUC",
        "Taxpayer registration record",
        "Ficha RUC",
        "legality",
        "SUNAT",
        DAYS,
        30,
        "11 digits + check digit; ACTIVO and HABIDO; mining activity",
        "11 dígitos + dígito verificador; ACTIVO y HABIDO; actividad minera",
    ),
    (
        "REINFO",
        "Formalization registry record",
        "Constancia de inscripción en el REINFO",
        "legality",
        "MINEM (DGFM)",
        DAYS,
        30,
        "status vigente; holder matches RUC/DNI; site matches",
        "estado vigente; el titular coincide con el RUC/DNI; la ubicación coincide",
    ),
    (
        "START_AUTH",
        "Authorisation to start exploitation",
        "Autorización de inicio de actividades de explotación",
        "legality",
        "DREM / GREM",
        NO_EXPIRY,
        None,
        "resolution number; holder; site (the formalized alternative to REINFO)",
        "número de resolución; titular; ubicación (la alternativa formalizada al REINFO)",
    ),
    (
        "MINING_RIGHT",
        "Concession title or exploitation contract",
        "Título de concesión / contrato de explotación",
        "legality",
        "INGEMMET; notarised contract",
        DOC,
        None,
        "holder or party = producer; site inside the concession",
        "titular o parte del contrato = productor; ubicación dentro de la concesión",
    ),
    (
        "VIGENCIA_PAY",
        "Annual mining fee receipt",
        "Constancia de pago del derecho de vigencia",
        "legality",
        "INGEMMET",
        CALENDAR_YEAR,
        None,
        "current year paid",
        "año en curso pagado",
    ),
    (
        "PPM_PMA",
        "Small / artisanal producer certificate",
        "Constancia de PPM / PMA",
        "legality",
        "MINEM / DREM",
        DAYS,
        730,
        "category and limits",
        "categoría y límites",
    ),
    (
        "SITE_GEO",
        "Geo-referenced site record and zoning check",
        "Ficha de ubicación georreferenciada",
        "legality",
        "producer, reviewer-checked",
        UNTIL_CHANGED,
        None,
        "inside the Madre de Dios mining corridor; not in a protected area; not river dredging",
        "dentro del corredor minero de Madre de Dios; fuera de áreas naturales protegidas; no es dragado de río",
    ),
    (
        "ANP_COMPAT",
        "Protected-area compatibility opinion",
        "Opinión de compatibilidad SERNANP",
        "environment",
        "SERNANP",
        DOC,
        None,
        "needed when the site is in a buffer zone",
        "necesaria cuando la ubicación está en una zona de amortiguamiento",
    ),
    (
        "IGAFOM",
        "Environmental instrument for formalization",
        "IGAFOM (cargo o resolución)",
        "environment",
        "DREM / GREM",
        NO_EXPIRY,
        None,
        "corrective and preventive parts; area matches the site; closure measures",
        "partes correctiva y preventiva; el área coincide con la ubicación; medidas de cierre",
    ),
    (
        "ENV_CERT",
        "Approved environmental certification",
        "Certificación ambiental aprobada",
        "environment",
        "DREM / GREM",
        NO_EXPIRY,
        None,
        "resolution; holder; area",
        "resolución; titular; área",
    ),
    (
        "CLOSURE_EVID",
        "Reclamation and closure evidence",
        "Evidencia de cierre y rehabilitación",
        "environment",
        "producer, checked at a site visit",
        DAYS,
        365,
        "hectares rehabilitated; geotagged photos",
        "hectáreas rehabilitadas; fotos georreferenciadas",
    ),
    (
        "ORG_SUNARP",
        "Legal entity record and representative's powers",
        "Partida registral y vigencia de poder",
        "organisation",
        "SUNARP",
        DAYS,
        90,
        "legal form; representative; RUC 20… matches",
        "forma jurídica; representante; el RUC 20… coincide",
    ),
    (
        "ORG_MEMBERS",
        "Member and worker register",
        "Padrón de socios y trabajadores",
        "organisation",
        "producer",
        DAYS,
        365,
        "nobody under 18; count of women",
        "nadie menor de 18 años; número de mujeres",
    ),
    (
        "GRIEVANCE",
        "Grievance mechanism",
        "Mecanismo de quejas",
        "organisation",
        "producer",
        DAYS,
        365,
        "contact person; procedure",
        "persona de contacto; procedimiento",
    ),
    (
        "NO_CHILD_DECL",
        "Sworn declaration of no child labour",
        "Declaración jurada de no trabajo infantil",
        "child_labour",
        "producer",
        DAYS,
        365,
        "signed; consistent with the register",
        "firmada; coherente con el padrón",
    ),
    (
        "OHS_PROG",
        "OHS programme and risk assessment",
        "Programa de seguridad y salud ocupacional",
        "ohs",
        "producer",
        DAYS,
        365,
        "covers pits, water, engines, smelting fumes",
        "cubre pozos, agua, motores y humos de la fundición",
    ),
    (
        "OHS_TRAINING",
        "OHS training records",
        "Registro de capacitaciones en SSO",
        "ohs",
        "producer or support organisation",
        DAYS,
        365,
        "dates, attendees, topics",
        "fechas, asistentes, temas",
    ),
    (
        "PPE_RECORD",
        "Protective equipment delivery records",
        "Registro de entrega de EPP",
        "ohs",
        "producer",
        DAYS,
        365,
        "per worker",
        "por trabajador",
    ),
    (
        "HG_DECL",
        "Sworn declaration on mercury use",
        "Declaración jurada sobre uso de mercurio",
        "mercury",
        "producer",
        DAYS,
        365,
        "consistent with the process evidence",
        "coherente con la evidencia del proceso",
    ),
    (
        "HG_FREE_PROCESS",
        "Mercury-free process evidence",
        "Evidencia de proceso sin mercurio",
        "mercury",
        "producer",
        DAYS,
        365,
        "gravity equipment (sluice, shaking table, centrifuge), borax smelting; invoices; geotagged media; "
        "no amalgamation step",
        "equipos gravimétricos (canaleta, mesa vibratoria, centrífuga), fundición con bórax; facturas; "
        "fotos y videos georreferenciados; sin etapa de amalgamación",
    ),
    (
        "SITE_VISIT",
        "Field verification report",
        "Informe de verificación de campo",
        "mercury",
        "support organisation or auditor",
        DAYS,
        365,
        "site matches; practices observed; findings",
        "la ubicación coincide; prácticas observadas; hallazgos",
    ),
    (
        "PROD_DECL",
        "Semester production declaration",
        "Declaración semestral de producción",
        "traceability",
        "producer (MINEM extranet)",
        DAYS,
        183,
        "declared volume supports the quantities offered",
        "el volumen declarado respalda las cantidades ofertadas",
    ),
    (
        "CRAFT_REPORT",
        "CRAFT self-assessment report",
        "Reporte CRAFT",
        "certification",
        "producer with an implementer",
        DAYS,
        365,
        "all modules; mitigation plan with dates",
        "todos los módulos; plan de mitigación con fechas",
    ),
    (
        "CERT_FAIRMINED",
        "Fairmined certificate",
        "Certificado Fairmined",
        "certification",
        "ARM via IMO Swiss AG or NaturaCert",
        DOC,
        None,
        'scope; "Ecological" flag; holder = producer',
        "alcance; distintivo «Ecológico»; titular = productor",
    ),
    (
        "CERT_FAIRTRADE",
        "Fairtrade gold certificate",
        "Certificado Fairtrade",
        "certification",
        "FLOCERT",
        DOC,
        None,
        "scope; FLO ID",
        "alcance; FLO ID",
    ),
    (
        "LOT_ASSAY",
        "Lot assay certificate",
        "Certificado de ensayo del lote",
        "traceability",
        "laboratory or refiner",
        PER_LOT,
        None,
        "grams, Au and Ag in ‰, method",
        "gramos, Au y Ag en ‰, método",
    ),
    (
        "LOT_ORIGIN",
        "Lot origin declaration",
        "Declaración de origen del lote",
        "traceability",
        "producer",
        PER_LOT,
        None,
        "site approved; dates inside the production period",
        "ubicación aprobada; fechas dentro del periodo de producción",
    ),
]

# Buyer KYC (docs/domain.md, policy rule 7), same tuple shape.
BUYER_TYPES = [
    (
        "KYC_COMPANY_REG",
        "Company registry extract",
        "Extracto del registro mercantil",
        "kyc",
        "commercial registry of the buyer's country",
        DAYS,
        365,
        "legal name, registration number and country match the buyer's account; company active",
        "razón social, número de registro y país coinciden con la cuenta del comprador; empresa activa",
    ),
    (
        "KYC_UBO",
        "Beneficial ownership declaration (10% threshold)",
        "Declaración de beneficiarios finales (umbral del 10 %)",
        "kyc",
        "buyer",
        DAYS,
        365,
        "every natural person owning or controlling 10% or more is named; signed by a representative",
        "figura toda persona natural que posee o controla el 10 % o más; firmada por un representante",
    ),
    (
        "KYC_SANCTIONS",
        "Sanctions screening result",
        "Resultado de la verificación de listas de sanciones",
        "kyc",
        "screening provider or the buyer's compliance team",
        DAYS,
        90,
        "company, directors and beneficial owners screened; date of the screening; no unresolved match",
        "empresa, directivos y beneficiarios finales verificados; fecha de la verificación; "
        "ninguna coincidencia sin resolver",
    ),
    (
        "KYC_DD_POLICY",
        "Responsible sourcing due-diligence policy",
        "Política de debida diligencia para el abastecimiento responsable",
        "kyc",
        "buyer",
        DAYS,
        730,
        "follows the OECD Due Diligence Guidance for gold; covers the Annex II risks; approved by management",
        "sigue la Guía de Debida Diligencia de la OCDE para el oro; cubre los riesgos del Anexo II; "
        "aprobada por la dirección",
    ),
]

# (code, English, Spanish, area, evidence type codes, what to do EN, what to do ES)
REQUIREMENTS = [
    (
        "TAX_RUC",
        "Active taxpayer registration (RUC)",
        "RUC activo y habido",
        "legality",
        ["TAX_RUC"],
        "Upload your Ficha RUC from SUNAT, printed in the last 30 days, showing ACTIVO and HABIDO.",
        "Suba su Ficha RUC de la SUNAT, emitida en los últimos 30 días, en la que figure ACTIVO y HABIDO.",
    ),
    (
        "FORMALIZATION",
        "Formalization: REINFO registration or authorisation to start exploitation",
        "Formalización: inscripción en el REINFO o autorización de inicio de explotación",
        "legality",
        ["REINFO", "START_AUTH"],
        "Upload your current REINFO registration record, or the resolution authorising you to start exploitation.",
        "Suba su constancia vigente de inscripción en el REINFO o la resolución que le autoriza a iniciar la "
        "explotación.",
    ),
    (
        "MINING_RIGHT",
        "Right to mine the site",
        "Derecho minero sobre el área",
        "legality",
        ["MINING_RIGHT"],
        "Upload the concession title, or the notarised exploitation contract with the concession holder, "
        "covering the site.",
        "Suba el título de la concesión o el contrato de explotación notarial con el titular de la concesión "
        "que cubra el área.",
    ),
    (
        "SITE_GEO",
        "Geo-referenced site and zoning check",
        "Ubicación georreferenciada y verificación de zonificación",
        "legality",
        ["SITE_GEO"],
        "Upload the geo-referenced location record of each mining site (coordinates or polygon) for the zoning check.",
        "Suba la ficha de ubicación georreferenciada de cada área de trabajo (coordenadas o polígono) para la "
        "verificación de zonificación.",
    ),
    (
        "ENVIRONMENTAL_INSTRUMENT",
        "Environmental instrument (IGAFOM or approved certification)",
        "Instrumento ambiental (IGAFOM o certificación ambiental aprobada)",
        "environment",
        ["IGAFOM", "ENV_CERT"],
        "Upload your filed IGAFOM (stamped copy or resolution), or your approved environmental certification.",
        "Suba su IGAFOM presentado (cargo o resolución) o su certificación ambiental aprobada.",
    ),
    (
        "IDENTITY",
        "Identity of the miner",
        "Identidad del minero o la minera",
        "identity",
        ["ID_DNI"],
        "Upload both sides of your current DNI.",
        "Suba ambas caras de su DNI vigente.",
    ),
    (
        "LEGAL_ENTITY",
        "Legal entity and representative's powers",
        "Persona jurídica y vigencia de poder del representante",
        "organisation",
        ["ORG_SUNARP"],
        "Upload the SUNARP registry record of the organisation and the current certificate of your "
        "representative's powers.",
        "Suba la partida registral de la organización en SUNARP y la vigencia de poder actual de su representante.",
    ),
    (
        "MEMBER_REGISTER",
        "Member and worker register",
        "Padrón de socios y trabajadores",
        "organisation",
        ["ORG_MEMBERS"],
        "Upload the current register of members and workers with their DNI, birth year, sex and role.",
        "Suba el padrón actual de socios y trabajadores con su DNI, año de nacimiento, sexo y función.",
    ),
    (
        "NO_CHILD_LABOUR",
        "No child labour",
        "No trabajo infantil",
        "child_labour",
        ["NO_CHILD_DECL"],
        "Upload a signed sworn declaration that no one under 18 works at your sites.",
        "Suba una declaración jurada firmada de que ninguna persona menor de 18 años trabaja en sus áreas.",
    ),
    (
        "OHS_TRAINING",
        "Occupational health and safety training",
        "Capacitación en seguridad y salud ocupacional",
        "ohs",
        ["OHS_TRAINING"],
        "Upload the records of the safety trainings of the last 12 months, with dates, attendees and topics.",
        "Suba los registros de las capacitaciones en seguridad de los últimos 12 meses, con fechas, asistentes "
        "y temas.",
    ),
    (
        "PPE",
        "Protective equipment for every worker",
        "Equipos de protección personal para cada trabajador",
        "ohs",
        ["PPE_RECORD"],
        "Upload the records of protective equipment delivered to each worker in the last 12 months.",
        "Suba los registros de entrega de equipos de protección personal a cada trabajador en los últimos 12 meses.",
    ),
    (
        "MERCURY_DECLARATION",
        "Declaration on mercury use",
        "Declaración sobre uso de mercurio",
        "mercury",
        ["HG_DECL"],
        "Upload a signed sworn declaration stating whether and how mercury is used in your process.",
        "Suba una declaración jurada firmada que indique si se usa mercurio en su proceso y cómo.",
    ),
    (
        "MERCURY_FREE_PROCESS",
        "Mercury-free process",
        "Proceso sin mercurio",
        "mercury",
        ["HG_FREE_PROCESS"],
        "Upload evidence of your mercury-free process: invoices for gravity equipment and geotagged photos or "
        "videos of the recovery and borax smelting.",
        "Suba evidencia de su proceso sin mercurio: facturas de los equipos gravimétricos y fotos o videos "
        "georreferenciados de la recuperación y de la fundición con bórax.",
    ),
    (
        "FIELD_VERIFICATION",
        "Field verification",
        "Verificación de campo",
        "mercury",
        ["SITE_VISIT"],
        "Upload the report of a field visit to the site by a support organisation or an auditor.",
        "Suba el informe de una visita de campo al área hecha por una organización de apoyo o un auditor.",
    ),
    (
        "FAIRMINED",
        "Fairmined certification",
        "Certificación Fairmined",
        "certification",
        ["CERT_FAIRMINED"],
        "Upload your current Fairmined certificate, showing its scope and whether it carries the Ecological flag.",
        "Suba su certificado Fairmined vigente, en el que figuren su alcance y si lleva el distintivo Ecológico.",
    ),
    (
        "FAIRTRADE",
        "Fairtrade certification",
        "Certificación Fairtrade",
        "certification",
        ["CERT_FAIRTRADE"],
        "Upload your current Fairtrade gold certificate from FLOCERT, showing your FLO ID.",
        "Suba su certificado Fairtrade de oro vigente emitido por FLOCERT, en el que figure su FLO ID.",
    ),
    (
        "CRAFT",
        "CRAFT self-assessment",
        "Autoevaluación CRAFT",
        "certification",
        ["CRAFT_REPORT"],
        "Upload your CRAFT self-assessment report covering all modules, with its dated mitigation plan.",
        "Suba su reporte de autoevaluación CRAFT de todos los módulos, con su plan de mitigación con fechas.",
    ),
    (
        "KYC_COMPANY",
        "Company registration",
        "Registro de la empresa",
        "kyc",
        ["KYC_COMPANY_REG"],
        "Upload an extract of your company's commercial registry entry issued in the last 12 months.",
        "Suba un extracto del registro mercantil de su empresa emitido en los últimos 12 meses.",
    ),
    (
        "KYC_OWNERS",
        "Beneficial owners",
        "Beneficiarios finales",
        "kyc",
        ["KYC_UBO"],
        "Upload a signed declaration naming every person who owns or controls 10% or more of your company.",
        "Suba una declaración firmada con el nombre de cada persona que posee o controla el 10 % o más de su empresa.",
    ),
    (
        "KYC_SANCTIONS",
        "Sanctions screening",
        "Verificación de listas de sanciones",
        "kyc",
        ["KYC_SANCTIONS"],
        "Upload the result of a sanctions screening of your company, directors and beneficial owners from the "
        "last 90 days.",
        "Suba el resultado de una verificación en listas de sanciones de su empresa, directivos y beneficiarios "
        "finales de los últimos 90 días.",
    ),
    (
        "KYC_DUE_DILIGENCE",
        "Responsible sourcing due-diligence policy",
        "Política de debida diligencia para el abastecimiento responsable",
        "kyc",
        ["KYC_DD_POLICY"],
        "Upload your responsible sourcing due-diligence policy for gold, approved by your management.",
        "Suba su política de debida diligencia para el abastecimiento responsable de oro, aprobada por su dirección.",
    ),
]

PRODUCER_CORE = [  # docs/domain.md, policy rule 2 (legality core) and rule 3 (good-practice baseline)
    "TAX_RUC",
    "FORMALIZATION",
    "MINING_RIGHT",
    "SITE_GEO",
    "ENVIRONMENTAL_INSTRUMENT",
    "NO_CHILD_LABOUR",
    "OHS_TRAINING",
    "PPE",
    "MERCURY_DECLARATION",
]
POLICY_VERSION = 1
POLICY_EFFECTIVE_FROM = dt.date(2025, 1, 1)
POLICY_NOTES = (
    "Version 1, seeded from the documented policy: rule 2 (legality core, plus identity for individuals or the "
    "legal entity and member register for organisations), rule 3 (good-practice baseline) and rule 7 "
    "(buyer KYC before a contract or deposit)."
)
POLICIES = {
    "individual": [*PRODUCER_CORE, "IDENTITY"],
    "organization": [*PRODUCER_CORE, "LEGAL_ENTITY", "MEMBER_REGISTER"],
    "buyer": ["KYC_COMPANY", "KYC_OWNERS", "KYC_SANCTIONS", "KYC_DUE_DILIGENCE"],
}

# (code, English, Spanish, assurance, rule, requirement codes, implied claim codes); docs/domain.md, policy rule 4.
CLAIMS = [
    (
        "mercury_free",
        "Mercury-free",
        "Libre de mercurio",
        "reviewer_verified",
        "requirements",
        ["MERCURY_FREE_PROCESS", "FIELD_VERIFICATION"],
        [],
    ),
    ("fairmined", "Fairmined", "Fairmined", "third_party_certified", "requirements", ["FAIRMINED"], []),
    (
        "fairmined_ecological",
        "Fairmined Ecological",
        "Fairmined Ecológico",
        "third_party_certified",
        "ecological_flag",
        ["FAIRMINED"],
        ["mercury_free"],
    ),
    ("fairtrade", "Fairtrade", "Fairtrade", "third_party_certified", "requirements", ["FAIRTRADE"], []),
    ("craft", "CRAFT self-assessed", "CRAFT autoevaluado", "self_declared", "requirements", ["CRAFT"], []),
    ("women_led", "Women-led", "Liderado por mujeres", "reviewer_verified", "women_led", [], []),
]


def seed_catalogue(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    Requirement = apps.get_model("compliance", "Requirement")
    Policy = apps.get_model("compliance", "Policy")
    Claim = apps.get_model("compliance", "Claim")

    for subject, rows in (("producer", PRODUCER_TYPES), ("buyer", BUYER_TYPES)):
        for code, name_en, name_es, area, issuer, validity, days, checks_en, checks_es in rows:
            EvidenceType.objects.update_or_create(
                code=code,
                defaults={
                    "name_en": name_en,
                    "name_es": name_es,
                    "area": area,
                    "subject": subject,
                    "issuer": issuer,
                    "validity": validity,
                    "validity_days": days,
                    "site_specific": code in SITE_SPECIFIC,
                    "needs_second_review": code in SECOND_REVIEW,
                    "reviewer_checks_en": checks_en,
                    "reviewer_checks_es": checks_es,
                },
            )

    for code, name_en, name_es, area, type_codes, todo_en, todo_es in REQUIREMENTS:
        requirement, _ = Requirement.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_es": name_es,
                "area": area,
                "what_to_do_en": todo_en,
                "what_to_do_es": todo_es,
            },
        )
        requirement.evidence_types.set(EvidenceType.objects.filter(code__in=type_codes))

    for subject, requirement_codes in POLICIES.items():
        policy, _ = Policy.objects.update_or_create(
            subject=subject,
            version=POLICY_VERSION,
            defaults={"effective_from": POLICY_EFFECTIVE_FROM, "notes": POLICY_NOTES},
        )
        policy.requirements.set(Requirement.objects.filter(code__in=requirement_codes))

    for code, name_en, name_es, assurance, rule, requirement_codes, _implies in CLAIMS:
        claim, _ = Claim.objects.update_or_create(
            code=code,
            defaults={"name_en": name_en, "name_es": name_es, "assurance": assurance, "rule": rule},
        )
        claim.requirements.set(Requirement.objects.filter(code__in=requirement_codes))
    for code, *_rest, implies in CLAIMS:  # once every claim exists
        Claim.objects.get(code=code).implies.set(Claim.objects.filter(code__in=implies))


def unseed_catalogue(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    Requirement = apps.get_model("compliance", "Requirement")
    Policy = apps.get_model("compliance", "Policy")
    Claim = apps.get_model("compliance", "Claim")

    Claim.objects.filter(code__in=[row[0] for row in CLAIMS]).delete()
    Policy.objects.filter(subject__in=list(POLICIES), version=POLICY_VERSION).delete()
    Requirement.objects.filter(code__in=[row[0] for row in REQUIREMENTS]).delete()
    # Evidence points at its type with PROTECT: a database holding evidence refuses to lose its catalogue.
    EvidenceType.objects.filter(code__in=[row[0] for row in PRODUCER_TYPES + BUYER_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_catalogue, unseed_catalogue),
    ]
