"""Seed what each evidence type proves, why a type no requirement asks for exists, the norms and standards
that ask for each type, the formalization deadline, and the women-led claim's evidence.

- `basis`: (citation, clause, to_confirm, note). A citation we have not checked against the norm's text is
  marked `to_confirm`; clause numbers are left empty rather than guessed.
- IGAFOM is valid until the formalization deadline in force (`ValidityDeadline` "formalization"): the last
  one known is 31 December 2025, set by D.S. 012-2025-EM. Items approved before keep the validity they were
  granted. When a decree moves the deadline, the operator adds a new row (docs/domain.md).
- Fairmined and Fairtrade certificates always carry an end date: they may not say "no expiry".
- The women-led claim rests on evidence: the member register (ORG_MEMBERS, with its counts) or an individual
  woman miner's identity document (ID_DNI).

Idempotent (update_or_create by code); uses the historical models only. After migrating, run
`manage.py refresh_standings` so the women-led claim has its stored verdicts.
"""

from __future__ import annotations

import datetime as dt

from django.db import migrations

TC = True  # to confirm

# code: (proves EN, proves ES, purpose, purpose note EN, purpose note ES, [(citation, clause, to_confirm, note)])
CATALOGUE = {
    "ID_DNI": (
        "Who the miner is: name, DNI number, age (18 or older) and sex.",
        "Quién es el minero: nombre, número de DNI, edad (18 años o más) y sexo.",
        "", "", "",
        [("Ley 26497, Ley Orgánica del RENIEC", "", False, "the DNI as the identity document")],
    ),
    "TAX_RUC": (
        "That the producer is an active, locatable taxpayer (ACTIVO, HABIDO) registered for mining.",
        "Que el productor es contribuyente activo y habido, inscrito con actividad minera.",
        "", "", "",
        [
            ("D.L. 943, Ley del Registro Único de Contribuyentes", "", False, ""),
            ("D.S. 018-2017-EM", "", TC, "an active RUC to stay in the REINFO"),
        ],
    ),
    "REINFO": (
        "That the miner is registered, in force (vigente), in the formalization registry for this activity.",
        "Que el minero está inscrito y vigente en el Registro Integral de Formalización Minera.",
        "", "", "",
        [
            ("D.L. 1293", "", False, "creates the REINFO"),
            ("D.S. 018-2017-EM", "", False, "rules of the REINFO"),
            ("D.S. 012-2025-EM", "", TC, "the latest extension of the formalization process we know of"),
        ],
    ),
    "START_AUTH": (
        "That the regional mining authority authorised the start of exploitation: the formalized alternative to REINFO.",
        "Que la autoridad regional autorizó el inicio de la explotación: la alternativa formalizada al REINFO.",
        "", "", "",
        [
            ("D.L. 1105", "", TC, "the steps of the formalization process"),
            ("Ley 27651, Ley de Formalización y Promoción de la Pequeña Minería y la Minería Artesanal", "", TC, ""),
        ],
    ),
    "MINING_RIGHT": (
        "The right to mine the site: a concession title, or an exploitation contract with its holder.",
        "El derecho a explotar el lugar: título de concesión o contrato de explotación con su titular.",
        "", "", "",
        [
            ("T.U.O. de la Ley General de Minería, D.S. 014-92-EM", "", False, "mining concessions"),
            ("D.L. 1336", "", TC, "exploitation contracts between concession holders and miners in formalization"),
        ],
    ),
    "VIGENCIA_PAY": (
        "That the annual fee keeping the concession in force was paid for the year.",
        "Que se pagó el derecho de vigencia del año, que mantiene la concesión.",
        "supporting",
        "Supports the reviewer's check of the right to mine (MINING_RIGHT): a concession whose fee is unpaid lapses.",
        "Apoya la revisión del derecho a explotar (MINING_RIGHT): una concesión sin pago de vigencia caduca.",
        [("T.U.O. de la Ley General de Minería, D.S. 014-92-EM", "", False, "derecho de vigencia")],
    ),
    "PPM_PMA": (
        "The producer's legal category: small producer (PPM) or artisanal producer (PMA), and its limits.",
        "La categoría legal del productor: pequeño productor minero (PPM) o productor minero artesanal (PMA).",
        "supporting",
        "Supports the reviewer's check of the formalization record and of the volumes declared against the category's limits.",
        "Apoya la revisión de la formalización y de los volúmenes declarados frente a los límites de la categoría.",
        [
            ("Ley 27651, Ley de Formalización y Promoción de la Pequeña Minería y la Minería Artesanal", "", False, ""),
            ("D.S. 013-2002-EM", "", TC, "regulation of Ley 27651"),
        ],
    ),
    "SITE_GEO": (
        "Where the site is, and that it lies in the mining corridor, outside protected areas and not in a river.",
        "Dónde está el lugar, y que está en el corredor minero, fuera de áreas protegidas y fuera del río.",
        "", "", "",
        [
            ("D.U. 012-2010", "", False, "the mining zone of Madre de Dios"),
            ("OECD Due Diligence Guidance, Supplement on Gold", "", TC, "knowing the mine of origin"),
        ],
    ),
    "ANP_COMPAT": (
        "That SERNANP found mining compatible with the protected area's buffer zone the site lies in.",
        "Que el SERNANP opinó que la minería es compatible con la zona de amortiguamiento donde está el lugar.",
        "supporting",
        "Supports the zoning check (SITE_GEO) of a site in a protected area's buffer zone; not needed elsewhere.",
        "Apoya la revisión de zonificación (SITE_GEO) de un lugar en zona de amortiguamiento; no se pide fuera de ella.",
        [("Ley 26834, Ley de Áreas Naturales Protegidas", "", False, ""), ("D.S. 038-2001-AG", "", TC, "its regulation")],
    ),
    "IGAFOM": (
        "That the site has the environmental instrument for formalization (corrective and preventive parts).",
        "Que el lugar cuenta con el instrumento de gestión ambiental para la formalización (correctivo y preventivo).",
        "", "", "",
        [
            ("D.L. 1336", "", False, "creates the IGAFOM"),
            ("D.S. 038-2017-EM", "", TC, "regulation of the IGAFOM"),
            ("D.S. 012-2025-EM", "", TC, "deadline of the formalization process"),
        ],
    ),
    "ENV_CERT": (
        "That an environmental impact study or instrument for the project was approved.",
        "Que se aprobó el estudio o instrumento de impacto ambiental del proyecto.",
        "", "", "",
        [("Ley 27446, Ley del Sistema Nacional de Evaluación del Impacto Ambiental", "", False, "")],
    ),
    "CLOSURE_EVID": (
        "That worked-out ground at the site was reclaimed: hectares, photos with location, seen at a visit.",
        "Que se rehabilitó el terreno trabajado: hectáreas, fotos georreferenciadas, vistas en una visita.",
        "supporting",
        "Supports the field verification (SITE_VISIT) and the environmental instrument's closure measures.",
        "Apoya la verificación de campo (SITE_VISIT) y las medidas de cierre del instrumento ambiental.",
        [
            ("Ley 28090, Ley que regula el Cierre de Minas", "", False, ""),
            ("Fairmined Standard for Gold v2.0", "", TC, "reclamation"),
        ],
    ),
    "ORG_SUNARP": (
        "That the organisation exists as a legal entity and who may represent it.",
        "Que la organización existe como persona jurídica y quién la representa.",
        "", "", "",
        [
            ("Ley 26887, Ley General de Sociedades", "", False, "companies"),
            ("Ley General de Cooperativas", "", TC, "cooperatives; the exact norm to confirm"),
        ],
    ),
    "ORG_MEMBERS": (
        "Who the members and workers are: nobody under 18, and how many are women and men.",
        "Quiénes son los socios y trabajadores: nadie menor de 18 años, y cuántas mujeres y hombres.",
        "", "", "",
        [
            ("Ley 27337, Código de los Niños y Adolescentes", "", False, "minimum age for work"),
            ("Fairmined Standard for Gold v2.0", "", TC, "the organisation knows its members"),
        ],
    ),
    "GRIEVANCE": (
        "That workers and neighbours have a known way to raise a complaint and get an answer.",
        "Que trabajadores y vecinos tienen una vía conocida para presentar quejas y recibir respuesta.",
        "good_practice",
        "Good practice kept on file; the policy in force does not require it. A later version may.",
        "Buena práctica que se archiva; la política vigente no la exige. Una versión posterior podría exigirla.",
        [
            ("OECD Due Diligence Guidance", "", TC, "grievance mechanism (step 1)"),
            ("CRAFT Code", "", TC, ""),
        ],
    ),
    "NO_CHILD_DECL": (
        "The producer's sworn statement that no child works at its sites.",
        "La declaración jurada del productor de que ningún menor trabaja en sus lugares.",
        "", "", "",
        [
            ("OECD Due Diligence Guidance, Annex II", "", False, "the worst forms of child labour"),
            ("ILO Convention 182", "", False, "worst forms of child labour"),
            ("Ley 27337, Código de los Niños y Adolescentes", "", False, ""),
        ],
    ),
    "OHS_PROG": (
        "That the producer has an occupational health and safety programme with a risk assessment.",
        "Que el productor tiene un programa de seguridad y salud ocupacional con evaluación de riesgos.",
        "supporting",
        "Supports the reviewer's check of training (OHS_TRAINING) and protective equipment (PPE_RECORD).",
        "Apoya la revisión de capacitaciones (OHS_TRAINING) y equipos de protección (PPE_RECORD).",
        [
            ("Ley 29783, Ley de Seguridad y Salud en el Trabajo", "", False, ""),
            ("D.S. 024-2016-EM", "", False, "occupational health and safety in mining"),
        ],
    ),
    "OHS_TRAINING": (
        "That workers were trained in occupational health and safety: dates, attendees, topics.",
        "Que los trabajadores recibieron capacitación en seguridad y salud: fechas, asistentes, temas.",
        "", "", "",
        [
            ("Ley 29783, Ley de Seguridad y Salud en el Trabajo", "", False, ""),
            ("D.S. 024-2016-EM", "", False, ""),
        ],
    ),
    "PPE_RECORD": (
        "That every worker received protective equipment.",
        "Que cada trabajador recibió equipos de protección personal.",
        "", "", "",
        [
            ("Ley 29783, Ley de Seguridad y Salud en el Trabajo", "", False, ""),
            ("D.S. 024-2016-EM", "", False, ""),
        ],
    ),
    "HG_DECL": (
        "The producer's sworn statement on whether and how it uses mercury.",
        "La declaración jurada del productor sobre si usa mercurio y cómo.",
        "", "", "",
        [("Minamata Convention on Mercury", "article 7, annex C", False, "artisanal and small-scale gold mining")],
    ),
    "HG_FREE_PROCESS": (
        "That gold is recovered at the site without mercury: gravity equipment and borax smelting.",
        "Que el oro se recupera sin mercurio en el lugar: equipos gravimétricos y fundición con bórax.",
        "", "", "",
        [
            ("Minamata Convention on Mercury", "article 7, annex C", False, ""),
            ("Fairmined Standard for Gold v2.0", "", TC, "the Ecological gold requirements"),
        ],
    ),
    "SITE_VISIT": (
        "What a support organisation or auditor saw at the site: practices, findings.",
        "Lo que una organización de apoyo o un auditor vio en el lugar: prácticas, hallazgos.",
        "", "", "",
        [
            ("OECD Due Diligence Guidance, Supplement on Gold", "", TC, "on-the-ground assessment"),
            ("LBMA Responsible Gold Guidance", "", TC, ""),
        ],
    ),
    "PROD_DECL": (
        "How many grams the site produced each month of the semester (confirmed by a reviewer).",
        "Cuántos gramos produjo el lugar en cada mes del semestre (confirmados por un revisor).",
        "production",
        "Feeds the mass balance: lots and forward offers are checked against the confirmed grams (docs/provenance.md).",
        "Alimenta el balance de masa: los lotes y las ofertas a futuro se comparan con los gramos confirmados.",
        [
            ("D.S. 018-2017-EM", "", TC, "semester production declaration to stay in the REINFO"),
            ("OECD Due Diligence Guidance, Supplement on Gold", "", TC, "production consistent with sales"),
        ],
    ),
    "CRAFT_REPORT": (
        "The producer's self-assessment against the CRAFT Code, with its mitigation plan.",
        "La autoevaluación del productor frente al Código CRAFT, con su plan de mitigación.",
        "", "", "",
        [("CRAFT Code", "", False, "")],
    ),
    "CERT_FAIRMINED": (
        "That the producer is Fairmined certified (and, with its flag, Fairmined Ecological).",
        "Que el productor está certificado Fairmined (y, con su indicación, Fairmined Ecológico).",
        "", "", "",
        [("Fairmined Standard for Gold from Artisanal and Small-scale Mining v2.0", "", False, "")],
    ),
    "CERT_FAIRTRADE": (
        "That the producer is Fairtrade certified for gold.",
        "Que el productor está certificado Fairtrade para oro.",
        "", "", "",
        [("Fairtrade Standard for Gold and Associated Precious Metals for ASM", "", TC, "version to confirm")],
    ),
    "LOT_ASSAY": (
        "What one lot holds: grams, gold and silver in parts per thousand, the method.",
        "Lo que contiene un lote: gramos, oro y plata en milésimas, el método.",
        "per_lot",
        "Describes one lot (docs/provenance.md); it meets no requirement of the producer.",
        "Describe un lote (docs/provenance.md); no cumple ningún requisito del productor.",
        [("LBMA Responsible Gold Guidance", "", TC, "")],
    ),
    "LOT_ORIGIN": (
        "Where and when one lot was produced: the site and the production period.",
        "Dónde y cuándo se produjo un lote: el lugar y el periodo de producción.",
        "per_lot",
        "Describes one lot (docs/provenance.md); it meets no requirement of the producer.",
        "Describe un lote (docs/provenance.md); no cumple ningún requisito del productor.",
        [
            ("OECD Due Diligence Guidance, Supplement on Gold", "", False, "origin of the gold"),
            ("D.L. 1107", "", TC, "control of the trade of gold in Peru"),
        ],
    ),
    "KYC_COMPANY_REG": (
        "That the buyer exists as a company, where, and that it is active.",
        "Que el comprador existe como empresa, dónde, y que está activa.",
        "", "", "",
        [
            ("LBMA Responsible Gold Guidance", "", TC, "know your counterparty"),
            ("D.L. 1107", "", TC, "traders of gold"),
        ],
    ),
    "KYC_UBO": (
        "Who owns or controls the buyer: every person with 10 % or more.",
        "Quién es dueño o controla al comprador: toda persona con 10 % o más.",
        "", "", "",
        [("LBMA Responsible Gold Guidance", "", TC, "the 10 % threshold for mined gold")],
    ),
    "KYC_SANCTIONS": (
        "That the buyer, its directors and owners are on no sanctions list.",
        "Que el comprador, sus directores y dueños no figuran en listas de sanciones.",
        "", "", "",
        [("LBMA Responsible Gold Guidance", "", TC, "")],
    ),
    "KYC_DD_POLICY": (
        "That the buyer has a responsible sourcing policy covering the OECD Annex II risks.",
        "Que el comprador tiene una política de abastecimiento responsable que cubre los riesgos del Anexo II de la OCDE.",
        "", "", "",
        [("OECD Due Diligence Guidance", "Annex II", False, "a supply chain policy (step 1)")],
    ),
}

NO_NO_EXPIRY = ["CERT_FAIRMINED", "CERT_FAIRTRADE"]  # certificates always carry an end date
FORMALIZATION = ("formalization", dt.date(2025, 12, 31), dt.date(2025, 1, 1), "D.S. 012-2025-EM")
FORMALIZATION_SOURCE = (
    "Seeded with the catalogue (docs/domain.md): the last extension of the formalization process known; "
    "the date the decree took effect is to confirm, the row counts from the policy's first day."
)
WOMEN_LED_REQUIREMENTS = ["MEMBER_REGISTER", "IDENTITY"]


def seed(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    EvidenceBasis = apps.get_model("compliance", "EvidenceBasis")
    ValidityDeadline = apps.get_model("compliance", "ValidityDeadline")
    Claim = apps.get_model("compliance", "Claim")
    Requirement = apps.get_model("compliance", "Requirement")
    for code, (proves_en, proves_es, purpose, note_en, note_es, basis) in CATALOGUE.items():
        if not EvidenceType.objects.filter(pk=code).exists():
            continue
        EvidenceType.objects.filter(pk=code).update(
            proves_en=proves_en,
            proves_es=proves_es,
            purpose=purpose,
            purpose_note_en=note_en,
            purpose_note_es=note_es,
        )
        EvidenceBasis.objects.filter(evidence_type_id=code).delete()
        for position, (citation, clause, to_confirm, note) in enumerate(basis, start=1):
            EvidenceBasis.objects.create(
                evidence_type_id=code,
                position=position,
                citation=citation,
                clause=clause,
                to_confirm=to_confirm,
                note=note,
            )
    EvidenceType.objects.filter(pk__in=NO_NO_EXPIRY).update(allows_no_expiry=False)
    code, deadline, effective_from, norm = FORMALIZATION
    ValidityDeadline.objects.update_or_create(
        code=code,
        effective_from=effective_from,
        defaults={"deadline": deadline, "norm": norm, "source": FORMALIZATION_SOURCE},
    )
    EvidenceType.objects.filter(pk="IGAFOM").update(validity="deadline", deadline_code=code, validity_days=None)
    claim = Claim.objects.filter(pk="women_led").first()
    if claim is not None:
        claim.requirements.set(Requirement.objects.filter(pk__in=WOMEN_LED_REQUIREMENTS))


def unseed(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    apps.get_model("compliance", "EvidenceBasis").objects.filter(evidence_type_id__in=list(CATALOGUE)).delete()
    EvidenceType.objects.filter(pk="IGAFOM").update(validity="no_expiry", deadline_code="")
    apps.get_model("compliance", "ValidityDeadline").objects.filter(code=FORMALIZATION[0]).delete()
    claim = apps.get_model("compliance", "Claim").objects.filter(pk="women_led").first()
    if claim is not None:
        claim.requirements.clear()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_catalogue_basis_deadlines")]

    operations = [migrations.RunPython(seed, unseed)]
