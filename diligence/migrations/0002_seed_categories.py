"""The red-flag categories at launch, with the text each comes from. Afterwards they are data: staff keep them in
the admin (audited); a new category is a row, never a code change."""

from django.db import migrations

OECD = "OECD Due Diligence Guidance for Responsible Supply Chains of Minerals (3rd ed., 2016)"
GOLD = "OECD DDG, Supplement on Gold"

CATEGORIES = [
    {
        "code": "conflict_financing",
        "name_es": "Financiamiento de conflictos o de grupos armados",
        "name_en": "Conflict financing or support to armed groups",
        "description_en": "Direct or indirect support to non-state armed groups, or to public or private security "
        "forces that illegally control mine sites, routes or actors, or tax or extort them.",
        "description_es": "Apoyo directo o indirecto a grupos armados no estatales, o a fuerzas de seguridad públicas "
        "o privadas que controlan ilegalmente minas, rutas o actores, o les cobran o extorsionan.",
        "source": f"{OECD}, Annex II, paras. 3-10",
    },
    {
        "code": "serious_abuses",
        "name_es": "Abusos graves (tortura, trabajo forzoso, peores formas de trabajo infantil...)",
        "name_en": "Serious abuses (torture, forced labour, worst forms of child labour...)",
        "description_en": "Torture, cruel, inhuman or degrading treatment; forced or compulsory labour; the worst "
        "forms of child labour; other gross human rights violations such as widespread sexual violence.",
        "description_es": "Tortura, tratos crueles, inhumanos o degradantes; trabajo forzoso u obligatorio; las peores "
        "formas de trabajo infantil; otras violaciones graves de derechos humanos como la violencia sexual "
        "generalizada.",
        "source": f"{OECD}, Annex II, paras. 1-2; ILO Conventions 29 and 182",
    },
    {
        "code": "child_labour",
        "name_es": "Trabajo infantil",
        "name_en": "Child labour",
        "description_en": "Children working at the site or plant, below the minimum age or in hazardous work.",
        "description_es": "Niñas o niños trabajando en el sitio o la planta, por debajo de la edad mínima o en "
        "trabajo peligroso.",
        "source": f"{OECD}, Annex II, para. 1; ILO Conventions 138 and 182; Peru, D.S. 003-2010-MIMDES",
    },
    {
        "code": "protected_area",
        "name_es": "Sitio en un área natural protegida o su zona de amortiguamiento",
        "name_en": "Site in a protected natural area or its buffer zone",
        "description_en": "Gold extracted inside a protected natural area (such as the Tambopata National Reserve) "
        "or where mining is not allowed in its buffer zone.",
        "description_es": "Oro extraído dentro de un área natural protegida (como la Reserva Nacional Tambopata) o "
        "donde la minería no está permitida en su zona de amortiguamiento.",
        "source": f"{GOLD}, red flags of the origin of gold; Peru, Ley 26834 and D.Leg. 1100",
    },
    {
        "code": "mercury_contrary_to_claim",
        "name_es": "Uso de mercurio contrario a lo declarado",
        "name_en": "Mercury use contrary to the claim",
        "description_en": "Signs of mercury use (amalgamation, burning) where the gold is offered as mercury-free.",
        "description_es": "Indicios de uso de mercurio (amalgamación, quema) donde el oro se ofrece como libre de "
        "mercurio.",
        "source": "Minamata Convention on Mercury, art. 7 and Annex C; Fairmined Standard for Gold, 4.5",
    },
    {
        "code": "sanctions_hit",
        "name_es": "Coincidencia con listas de sanciones",
        "name_en": "Sanctions list match",
        "description_en": "The organisation, an owner or a representative matches a sanctions or watch list.",
        "description_es": "La organización, un propietario o un representante coincide con una lista de sanciones o "
        "de vigilancia.",
        "source": f"{OECD}, Annex II, para. 13; UN Security Council and OFAC consolidated lists",
    },
    {
        "code": "inconsistent_documents",
        "name_es": "Documentos inconsistentes",
        "name_en": "Inconsistent documents",
        "description_en": "Documents that contradict each other or the facts observed (names, dates, coordinates, "
        "weights), or that look altered.",
        "description_es": "Documentos que se contradicen entre sí o con los hechos observados (nombres, fechas, "
        "coordenadas, pesos), o que parecen alterados.",
        "source": f"{OECD}, Annex II, paras. 11-12 (fraudulent misrepresentation of origin)",
    },
    {
        "code": "unexplained_volume",
        "name_es": "Volumen sin explicación",
        "name_en": "Unexplained volume",
        "description_en": "More gold than the site's known production capacity or declared production explains.",
        "description_es": "Más oro del que explican la capacidad conocida de producción del sitio o la producción "
        "declarada.",
        "source": f"{GOLD}, red flag circumstances (production inconsistent with the known reserves or capacity)",
    },
    {
        "code": "money_laundering",
        "name_es": "Lavado de activos",
        "name_en": "Money laundering",
        "description_en": "Cash payments that cannot be explained, third-party payments, or other signs that gold "
        "is used to launder money.",
        "description_es": "Pagos en efectivo que no se explican, pagos de terceros u otros indicios de que el oro se "
        "usa para lavar activos.",
        "source": f"{OECD}, Annex II, para. 13; {GOLD}; FATF, Money laundering and terrorist financing risks "
        "and vulnerabilities associated with gold (2015)",
    },
    {
        "code": "illegal_title",
        "name_es": "Título o derecho minero ilegal",
        "name_en": "Illegal mining title or right",
        "description_en": "No valid concession or agreement with its holder, a title obtained unlawfully, or "
        "mining outside the formalisation process (REINFO).",
        "description_es": "Sin concesión válida ni contrato con su titular, un título obtenido ilegalmente, o "
        "minería fuera del proceso de formalización (REINFO).",
        "source": f"{GOLD}, red flags of the origin of gold (illegal mining); Peru, D.Leg. 1105 and D.Leg. 1293",
    },
]


def seed(apps, schema_editor):
    RedFlagCategory = apps.get_model("diligence", "RedFlagCategory")
    for position, row in enumerate(CATEGORIES, start=1):
        RedFlagCategory.objects.update_or_create(code=row["code"], defaults={**row, "position": position})


class Migration(migrations.Migration):
    dependencies = [("diligence", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
