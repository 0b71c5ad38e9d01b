"""The leaflet's content in Dutch, French, German and English, so a fresh deployment answers at once.

Source: ../shared/seed/leg-cramps-leaflet.txt (ebpracticenet, "Leg cramps", adapted to the
Belgian context 15/05/2019). The texts say what the leaflet says and nothing more; hedges
are kept ("Women would suffer from it more often" -> "seem to", "zouden", "souffriraient",
"sollen"). French avoids letters outside GSM-7 where an equally natural wording exists
("Au lit" rather than "Si vous êtes au lit"), never by misspelling; where a correct word
needs one (thyroïdienne, cafeïne, français), the text is correct and costs UCS-2.

This migration is frozen: later content changes are made in the admin or in new migrations.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import migrations

LANGUAGES = [
    # code, name, priority, voice language, voice
    ("nl", "Nederlands", 10, "nl-BE", "Polly.Lisa-Neural"),
    ("fr", "Français", 20, "fr-BE", "Polly.Isabelle-Neural"),
    ("de", "Deutsch", 30, "de-DE", "Polly.Vicki-Neural"),
    ("en", "English", 40, "en-GB", "Polly.Amy-Neural"),
]

TOPICS = [
    {
        "slug": "cramp",
        "kind": "advice",
        "name": "What to do during a cramp",
        "position": 1,
        "source": "What can you do? You can relax the contracted muscle by stretching it. Put your weight on the "
        "affected leg and bend the knee to stretch your calf; if you are in bed, you can pull your toes towards "
        "you. You can also massage your muscle.",
        "sms": {
            "en": "Leg cramp? You can relax the contracted muscle by stretching it:\n"
            "- Put your weight on the affected leg and bend the knee to stretch your calf.\n"
            "- If you are in bed, pull your toes towards you.\n"
            "You can also massage the muscle.",
            "nl": "Kramp in uw been? U kunt de samengetrokken spier ontspannen door ze te rekken:\n"
            "- Zet uw gewicht op het aangedane been en buig de knie om uw kuit te rekken.\n"
            "- Ligt u in bed, trek dan uw tenen naar u toe.\n"
            "U kunt de spier ook masseren.",
            "fr": "Crampe à la jambe ? Vous pouvez détendre le muscle contracté en l'étirant :\n"
            "- Mettez votre poids sur la jambe atteinte et pliez le genou pour étirer le mollet.\n"
            "- Au lit, tirez vos orteils vers vous.\n"
            "Vous pouvez aussi masser le muscle.",
            "de": "Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen:\n"
            "- Verlagern Sie Ihr Gewicht auf das betroffene Bein und beugen Sie das Knie, um die Wade zu dehnen.\n"
            "- Im Bett können Sie Ihre Zehen zu sich heranziehen.\n"
            "Sie können den Muskel auch massieren.",
        },
        "keywords": {
            "en": ["CRAMP", "LEG CRAMP"],
            "nl": ["KRAMP", "BEENKRAMP", "KUITKRAMP"],
            "fr": ["CRAMPE"],
            "de": ["KRAMPF", "WADENKRAMPF", "BEINKRAMPF"],
        },
    },
    {
        "slug": "about",
        "kind": "advice",
        "name": "What leg cramps are and whom they affect",
        "position": 2,
        "source": "What is it about? / Where do we meet them? / How to recognize them? (whole sections)",
        "sms": {
            "en": "Leg cramps are prolonged, painful contractions of the leg muscles, most often the calf, "
            "sometimes the foot or thigh. They often come at night and on waking. A cramp starts suddenly: the "
            "muscle is hard and painful and you cannot use it. It usually goes away on its own. Cramps affect "
            "people of all ages, but especially the elderly. Women seem to suffer from them more often, "
            "especially during pregnancy.",
            "nl": "Beenkrampen zijn langdurige, pijnlijke samentrekkingen van de beenspieren, meestal van de kuit, "
            "soms van de voet of de dij. Ze treden vaak 's nachts en bij het ontwaken op. Een kramp begint plots: "
            "de spier is hard en pijnlijk en u kunt ze niet gebruiken. Meestal gaat de kramp vanzelf over. "
            "Krampen komen op alle leeftijden voor, maar vooral bij ouderen. Vrouwen zouden er vaker last van "
            "hebben, vooral tijdens de zwangerschap.",
            "fr": "Les crampes aux jambes sont des contractions prolongées et douloureuses des muscles de la jambe, "
            "le plus souvent du mollet, parfois du pied ou de la cuisse. Elles surviennent souvent la nuit et au "
            "réveil. Une crampe commence brusquement : le muscle est dur et douloureux et vous ne pouvez pas "
            "l'utiliser. En général, elle passe spontanément. Les crampes touchent jeunes et moins jeunes, "
            "mais surtout les seniors. Les femmes en souffriraient plus souvent, surtout pendant la grossesse.",
            "de": "Beinkrämpfe sind anhaltende, schmerzhafte Kontraktionen der Beinmuskeln, meist der Wade, "
            "manchmal des Fußes oder Oberschenkels. Sie treten oft nachts und beim Aufwachen auf. Ein Krampf "
            "kommt plötzlich: Der Muskel ist hart und schmerzt, und Sie können ihn nicht benutzen. Meist vergeht "
            "er von selbst. Krämpfe betreffen Menschen jeden Alters, vor allem aber ältere Menschen. Frauen sollen "
            "häufiger betroffen sein, besonders in der Schwangerschaft.",
        },
        "keywords": {
            "en": ["ABOUT"],
            "nl": ["UITLEG"],
            "fr": ["DEFINITION"],
            "de": ["ERKLÄRUNG"],
        },
    },
    {
        "slug": "causes",
        "kind": "advice",
        "name": "Causes",
        "position": 3,
        "source": "The following factors can cause cramps: (list). But most of the time, no triggering factor is "
        "identified.",
        "sms": {
            "en": "Possible causes of leg cramps:\n- lack of sodium (part of salt)\n- lack of oxygen in the "
            "muscles (e.g. intense exertion)\n- sudden movement after a long rest\n- dehydration\n- diuretics\n"
            "- cholesterol-lowering medicines (statins)\n- fluid retention in the legs (oedema)\n- pregnancy\n"
            "- disorders of the nerves of the leg\nBut most of the time, no trigger is found.",
            "nl": "Mogelijke oorzaken van beenkrampen:\n- tekort aan natrium (bestanddeel van zout)\n"
            "- zuurstoftekort in de spieren (bv. zware inspanning)\n- plotse beweging na lange rust\n"
            "- uitdroging\n- plastabletten (diuretica)\n- cholesterolverlagende geneesmiddelen (statines)\n"
            "- vochtophoping in de benen (oedeem)\n- zwangerschap\n- aandoeningen van de zenuwen van het been\n"
            "Maar meestal wordt geen uitlokkende factor gevonden.",
            "fr": "Causes possibles des crampes aux jambes :\n- manque de sodium (composant du sel)\n"
            "- manque d'oxygène dans les muscles (p. ex. effort intense)\n- mouvement brusque après un long "
            "repos\n- déshydratation\n- diurétiques\n- médicaments qui diminuent le cholestérol (statines)\n"
            "- rétention d'eau dans les jambes (oedème)\n- grossesse\n- troubles des nerfs de la jambe\n"
            "Mais le plus souvent, aucun facteur déclenchant n'est identifié.",
            "de": "Mögliche Ursachen von Beinkrämpfen:\n- Natriummangel (Bestandteil von Salz)\n"
            "- Sauerstoffmangel in den Muskeln (z. B. starke Anstrengung)\n- plötzliche Bewegung nach langer "
            "Ruhe\n- Flüssigkeitsmangel\n- entwässernde Medikamente (Diuretika)\n- cholesterinsenkende "
            "Medikamente (Statine)\n- Wassereinlagerungen in den Beinen (Ödeme)\n- Schwangerschaft\n"
            "- Erkrankungen der Beinnerven\nMeist wird aber kein Auslöser gefunden.",
        },
        "keywords": {
            "en": ["CAUSES", "CAUSE", "WHY"],
            "nl": ["OORZAAK", "OORZAKEN", "WAAROM"],
            "fr": ["CAUSES", "CAUSE", "POURQUOI"],
            "de": ["URSACHE", "URSACHEN", "WARUM"],
        },
    },
    {
        "slug": "prevention",
        "kind": "advice",
        "name": "Prevention",
        "position": 4,
        "source": "You can prevent muscle cramps in your legs by drinking enough to be properly hydrated. It is "
        "advisable to reduce the consumption of alcohol and caffeine. In case of intense efforts and very high "
        "temperatures, it is also advisable to add salt and sugar to the water.",
        "sms": {
            "en": "You can prevent leg cramps by drinking enough to stay well hydrated. It is advisable to drink "
            "less alcohol and caffeine. During intense effort and at very high temperatures, it is also "
            "advisable to add salt and sugar to the water.",
            "nl": "U kunt beenkrampen voorkomen door voldoende te drinken, zodat u goed gehydrateerd bent. Het is "
            "aangeraden minder alcohol en cafeïne te gebruiken. Bij zware inspanningen en zeer hoge temperaturen "
            "is het ook aangeraden zout en suiker aan het water toe te voegen.",
            "fr": "Vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous hydrater. Il "
            "est conseillé de réduire la consommation d'alcool et de caféine. En cas d'efforts intenses et de "
            "températures très élevées, il est aussi conseillé d'ajouter du sel et du sucre à l'eau.",
            "de": "Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit Flüssigkeit "
            "versorgt zu sein. Es ist ratsam, weniger Alkohol und Koffein zu sich zu nehmen. Bei starker "
            "Anstrengung und sehr hohen Temperaturen ist es außerdem ratsam, dem Wasser Salz und Zucker "
            "zuzusetzen.",
        },
        "keywords": {
            "en": ["PREVENT", "PREVENTION"],
            "nl": ["VOORKOMEN", "PREVENTIE"],
            "fr": ["PREVENTION", "PRÉVENIR"],
            "de": ["VORBEUGEN", "VORBEUGUNG"],
        },
    },
    {
        "slug": "doctor",
        "kind": "advice",
        "name": "When to see a doctor, and what the doctor does",
        "position": 5,
        "source": "If you have painful cramps very often or if they interfere with your sleep, you should see your "
        "doctor. How is the diagnosis made? (whole section) What can your doctor do? If he finds a cause for "
        "your cramps, the doctor will treat that cause. Medicines for muscle cramps often have side effects "
        "and are not very effective.",
        "sms": {
            "en": "See your doctor if you have painful cramps very often or if they disturb your sleep. The "
            "doctor will examine your legs (skin, blood circulation, tenderness, fluid or varicose veins, muscle "
            "condition) and take a blood sample to measure, among other things, salts, blood sugar and thyroid "
            "function. If the doctor finds a cause, they will treat it. Medicines for muscle cramps often have "
            "side effects and are not very effective.",
            "nl": "Hebt u heel vaak pijnlijke krampen of storen ze uw slaap? Raadpleeg dan uw arts. De arts "
            "onderzoekt uw benen (huid, bloedsomloop, gevoeligheid, vocht of spataders, toestand van de spieren) "
            "en neemt een bloedstaal om onder meer de zouten, de bloedsuiker en de schildklierwerking te meten. "
            "Vindt de arts een oorzaak, dan behandelt hij die. Geneesmiddelen tegen spierkrampen hebben vaak "
            "bijwerkingen en zijn weinig doeltreffend.",
            "fr": "Consultez votre médecin si vous avez très souvent des crampes douloureuses ou si elles "
            "perturbent votre sommeil. Il examinera vos jambes (peau, circulation sanguine, sensibilité, "
            "liquide ou varices, état des muscles) et fera une prise de sang pour mesurer notamment les sels, "
            "la glycémie et la fonction thyroïdienne. S'il trouve une cause, il la traitera. Les médicaments "
            "contre les crampes musculaires ont souvent des effets secondaires et sont peu efficaces.",
            "de": "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf "
            "stören. Der Arzt untersucht Ihre Beine (Haut, Durchblutung, Druckempfindlichkeit, Flüssigkeit oder "
            "Krampfadern, Zustand der Muskeln) und nimmt Blut ab, um unter anderem Salze, Blutzucker und "
            "Schilddrüsenfunktion zu messen. Findet er eine Ursache, behandelt er diese. Medikamente gegen "
            "Muskelkrämpfe haben oft Nebenwirkungen und sind wenig wirksam.",
        },
        "keywords": {
            "en": ["DOCTOR", "GP"],
            "nl": ["DOKTER", "ARTS", "HUISARTS"],
            "fr": ["MEDECIN", "DOCTEUR"],
            "de": ["ARZT", "ÄRZTIN", "DOKTOR"],
        },
    },
    {
        "slug": "magnesium",
        "kind": "advice",
        "name": "Magnesium",
        "position": 6,
        "source": "The effect of magnesium supplements has often been studied, but the results are contradictory. "
        "To date, nothing proves their effectiveness. Preferably discuss this with your doctor.",
        "sms": {
            "en": "The effect of magnesium supplements has often been studied, but the results are "
            "contradictory. To date, nothing proves that they work. Preferably discuss this with your doctor.",
            "nl": "Het effect van magnesiumsupplementen is vaak onderzocht, maar de resultaten zijn "
            "tegenstrijdig. Tot nu toe bewijst niets dat ze werken. Bespreek dit bij voorkeur met uw arts.",
            "fr": "L'effet des suppléments de magnésium a souvent été étudié, mais les résultats sont "
            "contradictoires. Jusqu'à présent, rien ne prouve leur efficacité. Parlez-en de préférence avec "
            "votre médecin.",
            "de": "Die Wirkung von Magnesiumpräparaten wurde oft untersucht, aber die Ergebnisse sind "
            "widersprüchlich. Bis heute beweist nichts ihre Wirksamkeit. Besprechen Sie dies am besten mit "
            "Ihrem Arzt.",
        },
        "keywords": {"en": ["MAGNESIUM"], "nl": ["MAGNESIUM"], "fr": ["MAGNÉSIUM"], "de": ["MAGNESIUM"]},
    },
    {
        "slug": "source",
        "kind": "advice",
        "name": "Where this advice comes from",
        "position": 7,
        "source": "Want to know more? Foreign clinical practice guide 'Leg cramps' (2013), updated on 02/28/2017 "
        "and adapted to the Belgian context on 05/15/2019 - ebpracticenet",
        "sms": {
            "en": "This advice comes from the patient leaflet 'Leg cramps' of ebpracticenet, based on a foreign "
            "clinical practice guideline (2013), updated on 28/02/2017 and adapted to the Belgian context on "
            "15/05/2019.",
            "nl": "Dit advies komt uit de folder over beenkrampen van ebpracticenet, gebaseerd op een buitenlandse "
            "klinische praktijkrichtlijn (2013), bijgewerkt op 28/02/2017 en aangepast aan de Belgische context op "
            "15/05/2019.",
            "fr": "Ces conseils viennent de la fiche sur les crampes aux jambes d'ebpracticenet, basée sur un guide "
            "de pratique clinique étranger (2013), mis à jour le 28/02/2017 et adapté au contexte belge le "
            "15/05/2019.",
            "de": "Diese Ratschläge stammen aus dem Merkblatt zu Beinkrämpfen von ebpracticenet, beruhend auf einer "
            "ausländischen klinischen Leitlinie (2013), aktualisiert am 28.02.2017 und am 15.05.2019 an den "
            "belgischen Kontext angepasst.",
        },
        "keywords": {"en": ["SOURCE"], "nl": ["BRON"], "fr": ["SOURCE"], "de": ["QUELLE"]},
    },
    {
        "slug": "menu",
        "kind": "system",
        "name": "Menu (HELP, and anything not understood)",
        "position": 1,
        "source": "",
        "sms": {
            "en": "Leg cramp advice. Text a word:\nCRAMP - what to do now\nABOUT - what cramps are\n"
            "CAUSES - causes\nPREVENT - prevention\nDOCTOR - when to see a doctor\nMAGNESIUM - magnesium\n"
            "SOURCE - where this advice comes from\n"
            "STOP - no more messages\nNL FR DE EN - language",
            "nl": "Advies bij beenkrampen. Stuur een woord:\nKRAMP - wat nu doen\nUITLEG - wat krampen zijn\n"
            "OORZAAK - oorzaken\nVOORKOMEN - voorkomen\nDOKTER - wanneer naar de arts\nMAGNESIUM - magnesium\n"
            "BRON - waar dit advies vandaan komt\n"
            "STOP - geen berichten meer\nNL FR DE EN - taal",
            "fr": "Conseils crampes aux jambes. Envoyez un mot :\nCRAMPE - que faire\nDEFINITION - les crampes, "
            "c'est quoi\nCAUSES - causes\nPREVENTION - prévention\nMEDECIN - quand consulter\nMAGNESIUM - "
            "magnésium\nSOURCE - d'où viennent ces conseils\nARRET - ne plus recevoir de messages\nNL FR DE EN - langue",
            "de": "Rat bei Beinkrämpfen. Senden Sie ein Wort:\nKRAMPF - was tun\nERKLÄRUNG - was Krämpfe sind\n"
            "URSACHEN - Ursachen\nVORBEUGEN - Vorbeugung\nARZT - wann zum Arzt\nMAGNESIUM - Magnesium\n"
            "QUELLE - woher diese Ratschläge stammen\n"
            "STOPP - keine Nachrichten mehr\nNL FR DE EN - Sprache",
        },
        "keywords": {
            "en": ["HELP", "INFO", "MENU"],
            "nl": ["HULP", "INFO", "MENU"],
            "fr": ["AIDE", "INFO", "MENU"],
            "de": ["HILFE", "INFO", "MENÜ"],
        },
    },
    {
        "slug": "opted-out",
        "kind": "system",
        "name": "Opt-out confirmation (STOP)",
        "position": 2,
        "source": "",
        "sms": {
            "en": "You will no longer receive messages from this service. Text START to receive them again.",
            "nl": "U ontvangt geen berichten meer van deze dienst. Stuur START om ze opnieuw te ontvangen.",
            "fr": "Vous ne recevrez plus de messages de ce service. Envoyez START pour les recevoir à nouveau.",
            "de": "Sie erhalten keine Nachrichten mehr von diesem Dienst. Senden Sie START, um sie wieder zu erhalten.",
        },
        "keywords": {
            "en": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"],
            "nl": ["STOP", "STOPPEN", "AFMELDEN", "UITSCHRIJVEN"],
            "fr": ["STOP", "ARRÊT", "ARRÊTER", "DÉSABONNER", "DÉSINSCRIRE"],
            "de": ["STOP", "STOPP", "ABMELDEN", "BEENDEN"],
        },
        "action": "stop",
    },
    {
        "slug": "opted-in",
        "kind": "system",
        "name": "Opt-in confirmation (START)",
        "position": 3,
        "source": "",
        "sms": {
            "en": "Welcome back: you will receive messages from this service again. Text HELP for the menu, STOP "
            "to stop.",
            "nl": "Welkom terug: u ontvangt opnieuw berichten van deze dienst. Stuur HULP voor het menu, STOP om "
            "te stoppen.",
            "fr": "Bon retour : vous recevrez à nouveau les messages de ce service. Envoyez AIDE pour le menu, "
            "ARRET pour ne plus les recevoir.",
            "de": "Willkommen zurück: Sie erhalten wieder Nachrichten von diesem Dienst. Senden Sie HILFE für "
            "das Menü, STOPP zum Beenden.",
        },
        "keywords": {
            "en": ["START", "UNSTOP", "YES"],
            "nl": ["START", "AANMELDEN"],
            "fr": ["START", "REPRENDRE"],
            "de": ["START", "STARTEN", "ANMELDEN"],
        },
        "action": "start",
    },
    {
        "slug": "language-changed",
        "kind": "system",
        "name": "Language changed (NL, FR, DE, EN)",
        "position": 4,
        "source": "",
        "sms": {
            "en": "From now on you will get messages in English. Text HELP for the menu.",
            "nl": "Vanaf nu krijgt u berichten in het Nederlands. Stuur HULP voor het menu.",
            "fr": "Vous recevrez désormais les messages en français. Envoyez AIDE pour le menu.",
            "de": "Ab jetzt erhalten Sie Nachrichten auf Deutsch. Senden Sie HILFE für das Menü.",
        },
        "keywords": {},
    },
]

# Words that switch language: alone ("FRANCAIS") or after a prefix ("TAAL FR", "LANGUE NL").
LANGUAGE_PREFIXES = {"en": "LANGUAGE", "nl": "TAAL", "fr": "LANGUE", "de": "SPRACHE"}
LANGUAGE_NAMES = {
    # target: {language of the word: [words]}
    "nl": {"nl": ["NEDERLANDS", "VLAAMS"], "en": ["DUTCH", "FLEMISH"], "fr": ["NÉERLANDAIS"], "de": ["NIEDERLÄNDISCH"]},
    "fr": {"nl": ["FRANS"], "en": ["FRENCH"], "fr": ["FRANÇAIS"], "de": ["FRANZÖSISCH"]},
    "de": {"nl": ["DUITS"], "en": ["GERMAN"], "fr": ["ALLEMAND"], "de": ["DEUTSCH"]},
    "en": {"nl": ["ENGELS"], "en": ["ENGLISH"], "fr": ["ANGLAIS"], "de": ["ENGLISCH"]},
}


def _normalize(word: str) -> str:
    # Frozen copy of advice.text.normalize_text as it was when this migration was written.
    folded = unicodedata.normalize("NFKD", word.casefold())
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", without_accents).strip()


def load(apps, schema_editor):
    Language = apps.get_model("advice", "Language")
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    Keyword = apps.get_model("advice", "Keyword")

    for code, name, priority, voice_language, voice_name in LANGUAGES:
        Language.objects.update_or_create(
            code=code,
            defaults={"name": name, "priority": priority, "voice_language": voice_language, "voice_name": voice_name},
        )

    def keyword(word, language, action, topic=None, target=None):
        Keyword.objects.get_or_create(
            normalized=_normalize(word),
            language_id=language,
            defaults={"word": word, "action": action, "topic": topic, "target_language_id": target},
        )

    for spec in TOPICS:
        topic, _ = Topic.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "kind": spec["kind"],
                "name": spec["name"],
                "position": spec["position"],
                "source": spec["source"],
            },
        )
        for language, text in spec["sms"].items():
            TopicTranslation.objects.update_or_create(topic=topic, language_id=language, defaults={"sms_text": text})
        action = spec.get("action") or ("menu" if spec["slug"] == "menu" else "topic")
        for language, words in spec["keywords"].items():
            for word in words:
                keyword(word, language, action, topic=topic if action == "topic" else None)

    for language, word in LANGUAGE_PREFIXES.items():
        keyword(word, language, "language")
    for target, by_language in LANGUAGE_NAMES.items():
        for language, words in by_language.items():
            for word in words:
                keyword(word, language, "language", target=target)


def unload(apps, schema_editor):
    apps.get_model("advice", "Keyword").objects.all().delete()
    apps.get_model("advice", "Topic").objects.filter(slug__in=[spec["slug"] for spec in TOPICS]).delete()
    apps.get_model("advice", "Language").objects.filter(code__in=[code for code, *_ in LANGUAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("advice", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
