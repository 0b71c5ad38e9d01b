"""Clinical and wording corrections to the seeded texts (issue 7), and two new topics.

Every correction was re-read against the leaflet (../shared/seed/leg-cramps-leaflet.txt):
- heat: keeps the leaflet's condition, salt and sugar "in case of intense efforts and very
  high temperatures", worded as the prevention topic words it; never "or".
- cramp: "You can also (do) massage your muscle" becomes massage it or have it massaged, and
  the same section's line is added, worded as the doctor topic words it: painful cramps very
  often, or cramps that disturb sleep, mean seeing a doctor (naming the doctor keyword).
- doctor: split in two so that every language fits in three SMS segments (French needs
  "thyroïdienne" and "œdème", which cost UCS-2): `doctor` keeps when to see a doctor and
  what the doctor can do; the new `doctor-exam` says what the doctor examines, with
  "tenderness" as pain on pressure and "presence of fluid" as fluid retention, worded as in
  `causes`. The menu lists it and the heat keywords.
- lay words: NL "langdurige" (reads as chronic) -> "aanhoudende" (sustained); NL
  "gehydrateerd" -> drinking enough; DE "Kontraktionen" -> "Verkrampfungen"; FR "sels" ->
  "sels minéraux"; FR menu in standard French, keywords with the accents GSM-7 has (É), not
  ARRÊT (Ê costs UCS-2); FR "Bon retour" (safe trip home) -> "Bon retour parmi nous" (welcome
  back); NL "Herinneringen aan" (memories of) -> "Herinneringen ingeschakeld".
- cost: the NL texts that need "cafeïne" and the FR texts that need "français" are reworded
  to fit their budget (tests/test_content_budget.py), never misspelt.
- zone-local: a service text, "Belgian time" in each language, that fills {zone} of
  reminders-on for people in the service's home zone instead of "Europe/Brussels".
Hedges are kept ("zouden", "souffriraient", "sollen"); nothing is added that the leaflet does
not say.

An admin's edit in production is never overwritten. Each change names OLD, the text exactly as
0002 and 0004 left it (0004 added a reminder line to each menu), and NEW; a translation (or a
topic's name or leaflet passage) is changed only where it still equals OLD. An edited text is
kept and logged, for an editor to correct by hand. Reversing puts OLD back only where the text
still equals NEW, and removes the two new topics.

This migration is frozen: later content changes are made in the admin or in new migrations.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from django.db import migrations

logger = logging.getLogger(__name__)

# slug -> language -> (OLD, NEW)
TEXTS = {
    "cramp": {
        "en": (
            "Leg cramp? You can relax the contracted muscle by stretching it:\n"
            "- Put your weight on the affected leg and bend the knee to stretch your calf.\n"
            "- If you are in bed, pull your toes towards you.\n"
            "You can also massage the muscle.",
            "Leg cramp? You can relax the contracted muscle by stretching it:\n"
            "- Put your weight on the affected leg and bend the knee to stretch your calf.\n"
            "- If you are in bed, pull your toes towards you.\n"
            "You can also massage the muscle or have it massaged.\n"
            "See your doctor if you have painful cramps very often or if they disturb your sleep. More: text DOCTOR.",
        ),
        "nl": (
            "Kramp in uw been? U kunt de samengetrokken spier ontspannen door ze te rekken:\n"
            "- Zet uw gewicht op het aangedane been en buig de knie om uw kuit te rekken.\n"
            "- Ligt u in bed, trek dan uw tenen naar u toe.\n"
            "U kunt de spier ook masseren.",
            "Kramp in uw been? U kunt de samengetrokken spier ontspannen door ze te rekken:\n"
            "- Zet uw gewicht op het aangedane been en buig de knie om uw kuit te rekken.\n"
            "- Ligt u in bed, trek dan uw tenen naar u toe.\n"
            "U kunt de spier ook masseren of laten masseren.\n"
            "Hebt u heel vaak pijnlijke krampen of storen ze uw slaap? Raadpleeg dan uw arts. Meer info: stuur DOKTER.",
        ),
        "fr": (
            "Crampe à la jambe ? Vous pouvez détendre le muscle contracté en l'étirant :\n"
            "- Mettez votre poids sur la jambe atteinte et pliez le genou pour étirer le mollet.\n"
            "- Au lit, tirez vos orteils vers vous.\n"
            "Vous pouvez aussi masser le muscle.",
            "Crampe à la jambe ? Vous pouvez détendre le muscle contracté en l'étirant :\n"
            "- Mettez votre poids sur la jambe atteinte et pliez le genou pour étirer le mollet.\n"
            "- Au lit, tirez vos orteils vers vous.\n"
            "Vous pouvez aussi masser le muscle ou le faire masser.\n"
            "Consultez votre médecin si vous avez très souvent des crampes douloureuses ou si elles perturbent "
            "votre sommeil. En savoir plus : envoyez MÉDECIN.",
        ),
        "de": (
            "Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen:\n"
            "- Verlagern Sie Ihr Gewicht auf das betroffene Bein und beugen Sie das Knie, um die Wade zu dehnen.\n"
            "- Im Bett können Sie Ihre Zehen zu sich heranziehen.\n"
            "Sie können den Muskel auch massieren.",
            "Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen:\n"
            "- Verlagern Sie Ihr Gewicht auf das betroffene Bein und beugen Sie das Knie, um die Wade zu dehnen.\n"
            "- Im Bett können Sie Ihre Zehen zu sich heranziehen.\n"
            "Sie können den Muskel auch massieren oder massieren lassen.\n"
            "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf stören. "
            "Mehr dazu: Senden Sie ARZT.",
        ),
    },
    "about": {
        "nl": (
            "Beenkrampen zijn langdurige, pijnlijke samentrekkingen van de beenspieren, meestal van de kuit, "
            "soms van de voet of de dij. Ze treden vaak 's nachts en bij het ontwaken op. Een kramp begint plots: "
            "de spier is hard en pijnlijk en u kunt ze niet gebruiken. Meestal gaat de kramp vanzelf over. "
            "Krampen komen op alle leeftijden voor, maar vooral bij ouderen. Vrouwen zouden er vaker last van "
            "hebben, vooral tijdens de zwangerschap.",
            "Beenkrampen zijn aanhoudende, pijnlijke samentrekkingen van de beenspieren, meestal van de kuit, "
            "soms van de voet of de dij. Ze treden vaak 's nachts en bij het ontwaken op. Een kramp begint plots: "
            "de spier is hard en pijnlijk en u kunt ze niet gebruiken. Meestal gaat de kramp vanzelf over. "
            "Krampen komen op alle leeftijden voor, maar vooral bij ouderen. Vrouwen zouden er vaker last van "
            "hebben, vooral tijdens de zwangerschap.",
        ),
        # Four segments before; three now: "âge" would cost UCS-2, so "jeunes et moins jeunes" stays.
        "fr": (
            "Les crampes aux jambes sont des contractions prolongées et douloureuses des muscles de la jambe, "
            "le plus souvent du mollet, parfois du pied ou de la cuisse. Elles surviennent souvent la nuit et au "
            "réveil. Une crampe commence brusquement : le muscle est dur et douloureux et vous ne pouvez pas "
            "l'utiliser. En général, elle passe spontanément. Les crampes touchent jeunes et moins jeunes, "
            "mais surtout les seniors. Les femmes en souffriraient plus souvent, surtout pendant la grossesse.",
            "Les crampes aux jambes sont des contractions prolongées et douloureuses des muscles, "
            "le plus souvent du mollet, parfois du pied ou de la cuisse. Elles surviennent souvent la nuit et au "
            "réveil. Une crampe commence brusquement : le muscle est dur et douloureux et vous ne pouvez pas "
            "l'utiliser. En général, elle passe spontanément. Elles touchent jeunes et moins jeunes, "
            "mais surtout les seniors. Les femmes, surtout enceintes, en souffriraient plus souvent.",
        ),
        "de": (
            "Beinkrämpfe sind anhaltende, schmerzhafte Kontraktionen der Beinmuskeln, meist der Wade, "
            "manchmal des Fußes oder Oberschenkels. Sie treten oft nachts und beim Aufwachen auf. Ein Krampf "
            "kommt plötzlich: Der Muskel ist hart und schmerzt, und Sie können ihn nicht benutzen. Meist vergeht "
            "er von selbst. Krämpfe betreffen Menschen jeden Alters, vor allem aber ältere Menschen. Frauen sollen "
            "häufiger betroffen sein, besonders in der Schwangerschaft.",
            "Beinkrämpfe sind anhaltende, schmerzhafte Verkrampfungen der Beinmuskeln, meist der Wade, "
            "manchmal des Fußes oder Oberschenkels. Sie treten oft nachts und beim Aufwachen auf. Ein Krampf "
            "kommt plötzlich: Der Muskel ist hart und schmerzt, und Sie können ihn nicht benutzen. Meist vergeht "
            "er von selbst. Krämpfe betreffen Menschen jeden Alters, vor allem aber ältere Menschen. Frauen sollen "
            "häufiger betroffen sein, besonders in der Schwangerschaft.",
        ),
    },
    "prevention": {
        # "cafeïne" costs UCS-2 (67 characters a segment): reworded to fit three segments.
        "nl": (
            "U kunt beenkrampen voorkomen door voldoende te drinken, zodat u goed gehydrateerd bent. Het is "
            "aangeraden minder alcohol en cafeïne te gebruiken. Bij zware inspanningen en zeer hoge temperaturen "
            "is het ook aangeraden zout en suiker aan het water toe te voegen.",
            "U kunt beenkrampen voorkomen door voldoende te drinken. Beperk best alcohol en cafeïne. Bij zware "
            "inspanning en zeer hoge temperaturen is het ook aangeraden zout en suiker aan het water toe te voegen.",
        ),
    },
    "doctor": {
        "en": (
            "See your doctor if you have painful cramps very often or if they disturb your sleep. The "
            "doctor will examine your legs (skin, blood circulation, tenderness, fluid or varicose veins, muscle "
            "condition) and take a blood sample to measure, among other things, salts, blood sugar and thyroid "
            "function. If the doctor finds a cause, they will treat it. Medicines for muscle cramps often have "
            "side effects and are not very effective.",
            "See your doctor if you have painful cramps very often or if they disturb your sleep. If the doctor "
            "finds a cause, they will treat it. Medicines for muscle cramps often have side effects and are not "
            "very effective. Text EXAM for what the doctor examines.",
        ),
        "nl": (
            "Hebt u heel vaak pijnlijke krampen of storen ze uw slaap? Raadpleeg dan uw arts. De arts "
            "onderzoekt uw benen (huid, bloedsomloop, gevoeligheid, vocht of spataders, toestand van de spieren) "
            "en neemt een bloedstaal om onder meer de zouten, de bloedsuiker en de schildklierwerking te meten. "
            "Vindt de arts een oorzaak, dan behandelt hij die. Geneesmiddelen tegen spierkrampen hebben vaak "
            "bijwerkingen en zijn weinig doeltreffend.",
            "Hebt u heel vaak pijnlijke krampen of storen ze uw slaap? Raadpleeg dan uw arts. Vindt de arts een "
            "oorzaak, dan behandelt hij die. Geneesmiddelen tegen spierkrampen hebben vaak bijwerkingen en zijn "
            "weinig doeltreffend. Stuur ONDERZOEK om te weten wat de arts onderzoekt.",
        ),
        # Seven UCS-2 segments before; three GSM-7 now (the UCS-2 part moved to doctor-exam).
        "fr": (
            "Consultez votre médecin si vous avez très souvent des crampes douloureuses ou si elles "
            "perturbent votre sommeil. Il examinera vos jambes (peau, circulation sanguine, sensibilité, "
            "liquide ou varices, état des muscles) et fera une prise de sang pour mesurer notamment les sels, "
            "la glycémie et la fonction thyroïdienne. S'il trouve une cause, il la traitera. Les médicaments "
            "contre les crampes musculaires ont souvent des effets secondaires et sont peu efficaces.",
            "Consultez votre médecin si vous avez très souvent des crampes douloureuses ou si elles "
            "perturbent votre sommeil. S'il trouve une cause, il la traitera. Les médicaments contre les crampes "
            "musculaires ont souvent des effets secondaires et sont peu efficaces. Envoyez EXAMEN pour savoir "
            "ce que le médecin examine.",
        ),
        "de": (
            "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf "
            "stören. Der Arzt untersucht Ihre Beine (Haut, Durchblutung, Druckempfindlichkeit, Flüssigkeit oder "
            "Krampfadern, Zustand der Muskeln) und nimmt Blut ab, um unter anderem Salze, Blutzucker und "
            "Schilddrüsenfunktion zu messen. Findet er eine Ursache, behandelt er diese. Medikamente gegen "
            "Muskelkrämpfe haben oft Nebenwirkungen und sind wenig wirksam.",
            "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder diese Ihren Schlaf "
            "stören. Findet er eine Ursache, behandelt er diese. Medikamente gegen Muskelkrämpfe haben oft "
            "Nebenwirkungen und sind wenig wirksam. Senden Sie UNTERSUCHUNG, um zu erfahren, was der Arzt "
            "untersucht.",
        ),
    },
    # The leaflet: "In case of intense efforts and very high temperatures, it is also advisable to add
    # salt and sugar to the water." The old texts said "very high temperatures or intense effort".
    "heat": {
        "en": (
            "Very high temperatures or intense effort: you can prevent leg cramps by drinking enough to stay "
            "well hydrated. In these conditions it is also advisable to add salt and sugar to the water. Text CRAMP "
            "for what to do during a cramp.",
            "You can prevent leg cramps by drinking enough to stay well hydrated. In case of intense effort and "
            "very high temperatures, it is also advisable to add salt and sugar to the water. Text CRAMP for what "
            "to do during a cramp.",
        ),
        "nl": (
            "Zeer hoge temperaturen of zware inspanning: u kunt beenkrampen voorkomen door voldoende te "
            "drinken, zodat u goed gehydrateerd bent. In die omstandigheden is het ook aangeraden zout en suiker aan "
            "het water toe te voegen. Stuur KRAMP voor wat te doen bij kramp.",
            "U kunt beenkrampen voorkomen door voldoende te drinken. Bij zware inspanning en zeer hoge "
            "temperaturen is het ook aangeraden zout en suiker aan het water toe te voegen. Stuur KRAMP voor wat "
            "te doen bij kramp.",
        ),
        "fr": (
            "Températures très élevées ou efforts intenses : vous pouvez prévenir les crampes aux jambes en "
            "buvant suffisamment pour bien vous hydrater. Dans ces conditions, il est aussi conseillé d'ajouter du "
            "sel et du sucre à l'eau. Envoyez CRAMPE pour savoir que faire en cas de crampe.",
            "Vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous hydrater. En cas "
            "d'efforts intenses et de températures très élevées, il est aussi conseillé d'ajouter du sel et du "
            "sucre à l'eau. Envoyez CRAMPE pour savoir que faire en cas de crampe.",
        ),
        "de": (
            "Sehr hohe Temperaturen oder starke Anstrengung: Sie können Beinkrämpfen vorbeugen, indem Sie "
            "genug trinken, um ausreichend mit Flüssigkeit versorgt zu sein. Unter diesen Bedingungen ist es "
            "außerdem ratsam, dem Wasser Salz und Zucker zuzusetzen. Senden Sie KRAMPF für Hilfe bei einem Krampf.",
            "Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit Flüssigkeit versorgt "
            "zu sein. Bei starker Anstrengung und sehr hohen Temperaturen ist es außerdem ratsam, dem Wasser Salz "
            "und Zucker zuzusetzen. Senden Sie KRAMPF für Hilfe bei einem Krampf.",
        ),
    },
    # Two new lines (heat, doctor-exam) in two segments: words that explain themselves (CAUSES,
    # PREVENT, MAGNESIUM) lose their echo ("CAUSES - causes"), some explanations are shorter.
    "menu": {
        "en": (
            "Leg cramp advice. Text a word:\nCRAMP - what to do now\nABOUT - what cramps are\n"
            "CAUSES - causes\nPREVENT - prevention\nDOCTOR - when to see a doctor\nMAGNESIUM - magnesium\n"
            "SOURCE - where this advice comes from\nREMIND - reminders to drink\n"
            "STOP - no more messages\nNL FR DE EN - language",
            "Leg cramp advice. Text a word:\nCRAMP - what to do now\nABOUT - what cramps are\nCAUSES\nPREVENT\n"
            "HEAT - heat and effort\nDOCTOR - when to see a doctor\nEXAM - what the doctor examines\nMAGNESIUM\n"
            "SOURCE - where this advice comes from\nREMIND - reminders\nSTOP - no more messages\n"
            "NL FR DE EN - language",
        ),
        "nl": (
            "Advies bij beenkrampen. Stuur een woord:\nKRAMP - wat nu doen\nUITLEG - wat krampen zijn\n"
            "OORZAAK - oorzaken\nVOORKOMEN - voorkomen\nDOKTER - wanneer naar de arts\nMAGNESIUM - magnesium\n"
            "BRON - waar dit advies vandaan komt\nHERINNER - herinneringen om te drinken\n"
            "STOP - geen berichten meer\nNL FR DE EN - taal",
            "Advies bij beenkrampen. Stuur een woord:\nKRAMP - wat te doen\nUITLEG - wat krampen zijn\nOORZAAK\n"
            "VOORKOMEN\nHITTE - hitte en inspanning\nDOKTER - wanneer naar de arts\n"
            "ONDERZOEK - wat de arts onderzoekt\nMAGNESIUM\nBRON - bron van dit advies\n"
            "HERINNER - herinneringen\nSTOP - geen berichten meer\nNL FR DE EN - taal",
        ),
        "fr": (
            "Conseils crampes aux jambes. Envoyez un mot :\nCRAMPE - que faire\nDEFINITION - les crampes, "
            "c'est quoi\nCAUSES - causes\nPREVENTION - prévention\nMEDECIN - quand consulter\nMAGNESIUM - "
            "magnésium\nSOURCE - d'où viennent ces conseils\nRAPPEL - rappels pour boire\n"
            "ARRET - ne plus recevoir de messages\nNL FR DE EN - langue",
            "Crampes aux jambes. Envoyez un mot :\nCRAMPE - que faire\nDÉFINITION - qu'est-ce qu'une crampe\n"
            "CAUSES\nPRÉVENTION\nCHALEUR - chaleur et efforts\nMÉDECIN - quand consulter\n"
            "EXAMEN - l'examen du médecin\nMAGNÉSIUM\nSOURCE - source des conseils\nRAPPEL - rappels\n"
            "STOP - ne plus rien recevoir\nNL FR DE EN - langue",
        ),
        "de": (
            "Rat bei Beinkrämpfen. Senden Sie ein Wort:\nKRAMPF - was tun\nERKLÄRUNG - was Krämpfe sind\n"
            "URSACHEN - Ursachen\nVORBEUGEN - Vorbeugung\nARZT - wann zum Arzt\nMAGNESIUM - Magnesium\n"
            "QUELLE - woher diese Ratschläge stammen\nERINNERUNG - Trink-Erinnerungen\n"
            "STOPP - keine Nachrichten mehr\nNL FR DE EN - Sprache",
            "Rat bei Beinkrämpfen. Senden Sie ein Wort:\nKRAMPF - was tun\nERKLÄRUNG - was Krämpfe sind\n"
            "URSACHEN\nVORBEUGEN\nHITZE - Hitze und Anstrengung\nARZT - wann zum Arzt\n"
            "UNTERSUCHUNG - was der Arzt prüft\nMAGNESIUM\nQUELLE - Herkunft der Ratschläge\n"
            "ERINNERUNG\nSTOPP - keine Nachrichten mehr\nNL FR DE EN - Sprache",
        ),
    },
    "opted-in": {
        "fr": (
            "Bon retour : vous recevrez à nouveau les messages de ce service. Envoyez AIDE pour le menu, "
            "ARRET pour ne plus les recevoir.",
            "Bon retour parmi nous : vous recevrez à nouveau les messages de ce service. Envoyez AIDE pour le "
            "menu, STOP pour ne plus les recevoir.",
        ),
    },
    # "français" costs UCS-2: one segment of 70 characters instead of two.
    "language-changed": {
        "fr": (
            "Vous recevrez désormais les messages en français. Envoyez AIDE pour le menu.",
            "Les messages seront désormais en français. Envoyez AIDE pour le menu.",
        ),
    },
    "reminders-on": {
        "nl": (
            "Herinneringen aan: u krijgt een korte herinnering om {times} ({zone}). Andere uren? Stuur "
            "HERINNER en de nieuwe uren, bv. HERINNER 9 12u30 17. PAUZE om te pauzeren, STOP om te stoppen.",
            "Herinneringen ingeschakeld: u krijgt een korte herinnering om {times} ({zone}). Andere uren? Stuur "
            "HERINNER en de nieuwe uren, bv. HERINNER 9 12u30 17. PAUZE om te pauzeren, STOP om te stoppen.",
        ),
    },
    "reminder-drink": {
        "nl": (
            "Herinnering: u kunt beenkrampen voorkomen door voldoende te drinken, zodat u goed gehydrateerd bent.",
            "Herinnering: u kunt beenkrampen voorkomen door voldoende te drinken.",
        ),
    },
    # "cafeïne" costs UCS-2: one segment is 70 characters.
    "reminder-alcohol-caffeine": {
        "nl": (
            "Herinnering: om beenkrampen te voorkomen is het aangeraden minder alcohol en cafeïne te gebruiken.",
            "Herinnering: beperk best alcohol en cafeïne om krampen te voorkomen.",
        ),
    },
}

# slug -> field -> (OLD, NEW): what editors and reviewers read about a topic.
# An independent review of these corrections (translation and clinical reading) found more:
# English "during intense effort and at very high temperatures" reads as two situations (one
# condition, as the leaflet and the other languages say); diuretics unexplained in French and
# English where Dutch and German explain them; French ARRET misspelt (Ê costs UCS-2: STOP,
# also a French stop word, instead); a German comma before "oder".
REVIEWED = {
    "prevention": {
        "en": (
            "You can prevent leg cramps by drinking enough to stay well hydrated. It is advisable to drink "
            "less alcohol and caffeine. During intense effort and at very high temperatures, it is also "
            "advisable to add salt and sugar to the water.",
            "You can prevent leg cramps by drinking enough to stay well hydrated. It is advisable to drink "
            "less alcohol and caffeine. In case of intense effort and very high temperatures, it is also "
            "advisable to add salt and sugar to the water.",
        ),
    },
    "reminder-salt-sugar": {
        "en": (
            "Reminder: during intense effort and at very high temperatures, it is advisable to add salt and "
            "sugar to the water.",
            "Reminder: in case of intense effort and very high temperatures, it is advisable to add salt and "
            "sugar to the water.",
        ),
    },
    "causes": {
        "en": (
            "Possible causes of leg cramps:\n- lack of sodium (part of salt)\n- lack of oxygen in the "
            "muscles (e.g. intense exertion)\n- sudden movement after a long rest\n- dehydration\n- diuretics\n"
            "- cholesterol-lowering medicines (statins)\n- fluid retention in the legs (oedema)\n- pregnancy\n"
            "- disorders of the nerves of the leg\nBut most of the time, no trigger is found.",
            "Possible causes of leg cramps:\n- lack of sodium (part of salt)\n- lack of oxygen in the "
            "muscles (e.g. intense exertion)\n- sudden movement after a long rest\n- dehydration\n"
            "- diuretics (water tablets)\n"
            "- cholesterol-lowering medicines (statins)\n- fluid retention in the legs (oedema)\n- pregnancy\n"
            "- disorders of the nerves of the leg\nBut most of the time, no trigger is found.",
        ),
        "fr": (
            "Causes possibles des crampes aux jambes :\n- manque de sodium (composant du sel)\n"
            "- manque d'oxygène dans les muscles (p. ex. effort intense)\n- mouvement brusque après un long "
            "repos\n- déshydratation\n- diurétiques\n- médicaments qui diminuent le cholestérol (statines)\n"
            "- rétention d'eau dans les jambes (oedème)\n- grossesse\n- troubles des nerfs de la jambe\n"
            "Mais le plus souvent, aucun facteur déclenchant n'est identifié.",
            "Causes possibles des crampes aux jambes :\n- manque de sodium (composant du sel)\n"
            "- manque d'oxygène dans les muscles (p. ex. effort intense)\n- mouvement brusque après un long "
            "repos\n- déshydratation\n- diurétiques (médicaments qui font uriner)\n"
            "- médicaments qui diminuent le cholestérol (statines)\n"
            "- rétention d'eau dans les jambes (oedème)\n- grossesse\n- troubles des nerfs de la jambe\n"
            "Mais le plus souvent, aucun facteur déclenchant n'est identifié.",
        ),
    },
    "reminders-on": {
        "fr": (
            "Rappels actifs : vous recevrez un court rappel à {times} ({zone}). Pour changer les heures, "
            "envoyez RAPPEL et les nouvelles heures, p. ex. RAPPEL 9h 12h30 17h. PAUSE pour suspendre, ARRET pour ne plus "
            "rien recevoir.",
            "Rappels activés : vous recevrez un court rappel à {times} ({zone}). Pour changer les heures, "
            "envoyez RAPPEL et les nouvelles heures, p. ex. RAPPEL 9h 12h30 17h. PAUSE pour suspendre, STOP pour ne plus "
            "rien recevoir.",
        ),
    },
    "reminders-none": {
        "de": (
            "Sie haben keine Erinnerungen. Senden Sie ERINNERUNG für eine Erinnerung um {times}, oder "
            "ERINNERUNG und Ihre eigenen Zeiten.",
            "Sie haben keine Erinnerungen. Senden Sie ERINNERUNG für eine Erinnerung um {times} oder "
            "ERINNERUNG und Ihre eigenen Zeiten.",
        ),
    },
}
for _slug, _by_language in REVIEWED.items():
    TEXTS.setdefault(_slug, {}).update(_by_language)

TOPIC_FIELDS = {
    "cramp": {
        "source": (
            "What can you do? You can relax the contracted muscle by stretching it. Put your weight on the "
            "affected leg and bend the knee to stretch your calf; if you are in bed, you can pull your toes towards "
            "you. You can also massage your muscle.",
            "What can you do? You can relax the contracted muscle by stretching it. Put your weight on the "
            "affected leg and bend the knee to stretch your calf; if you are in bed, you can pull your toes towards "
            "you. You can also (do) massage your muscle. If you have painful cramps very often or if they interfere "
            "with your sleep, you should see your doctor.",
        ),
    },
    "doctor": {
        "name": ("When to see a doctor, and what the doctor does", "When to see a doctor, and what the doctor can do"),
        "source": (
            "If you have painful cramps very often or if they interfere with your sleep, you should see your "
            "doctor. How is the diagnosis made? (whole section) What can your doctor do? If he finds a cause for "
            "your cramps, the doctor will treat that cause. Medicines for muscle cramps often have side effects "
            "and are not very effective.",
            "If you have painful cramps very often or if they interfere with your sleep, you should see your "
            "doctor. What can your doctor do? If he finds a cause for your cramps, the doctor will treat that "
            "cause. Medicines for muscle cramps often have side effects and are not very effective.",
        ),
    },
    "reminder-salt-sugar": {
        "name": (
            "Reminder: salt and sugar in heat or intense effort",
            "Reminder: salt and sugar in intense effort and very high temperatures",
        ),
    },
}

NEW_TOPICS = [
    {
        "slug": "doctor-exam",
        "kind": "advice",
        "name": "What the doctor examines",
        "position": 5,  # after "doctor" (same position, then by slug)
        "source": "How is the diagnosis made? The doctor will examine your legs: skin, blood circulation, "
        "tenderness, presence of fluid or varicose veins, and muscle condition. He will take a blood sample to "
        "measure, among other things, salts, blood sugar (blood sugar) and thyroid function.",
        "sms": {
            "en": "The doctor will examine your legs (skin, blood circulation, tenderness, fluid retention or "
            "varicose veins, muscle condition) and take a blood sample to measure, among other things, salts "
            "(minerals), blood sugar and thyroid function.",
            "nl": "De arts onderzoekt uw benen (huid, bloedsomloop, drukpijn, vochtophoping of spataders, toestand "
            "van de spieren) en neemt een bloedstaal om onder meer de zouten (mineralen), de bloedsuiker en de "
            "schildklierwerking te meten.",
            # "thyroïdienne" and "œdème" cost UCS-2: three segments of 67 characters.
            "fr": "Le médecin examine vos jambes : peau, circulation, douleur à la pression, œdème, varices, état "
            "musculaire. Une prise de sang mesure notamment les sels minéraux, la glycémie et la fonction "
            "thyroïdienne.",
            "de": "Der Arzt untersucht Ihre Beine (Haut, Durchblutung, Druckempfindlichkeit, Wassereinlagerungen "
            "oder Krampfadern, Zustand der Muskeln) und nimmt Blut ab, um unter anderem Salze (Mineralstoffe), "
            "Blutzucker und Schilddrüsenfunktion zu messen.",
        },
        "keywords": {"en": ["EXAM"], "nl": ["ONDERZOEK"], "fr": ["EXAMEN"], "de": ["UNTERSUCHUNG"]},
        # ONDERZOEK and UNTERSUCHUNG also mean research ("Wat zegt het onderzoek over magnesium?",
        # "Untersuchungen zu Magnesium"): they name this topic only as the whole message.
        "whole_message_only": {"ONDERZOEK", "UNTERSUCHUNG"},
    },
    {
        "slug": "zone-local",
        "kind": "system",
        "name": "The service's home time zone, as readers say it ({zone} in reminders-on)",
        "position": 12,
        "source": "",
        "sms": {"en": "Belgian time", "nl": "Belgische tijd", "fr": "heure belge", "de": "belgische Zeit"},
        "keywords": {},
    },
]


def _normalize(word: str) -> str:
    # Frozen copy of advice.text.normalize_text as it was when this migration was written.
    folded = unicodedata.normalize("NFKD", word.casefold())
    without_accents = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", without_accents).strip()


def _replace(row, field: str, before: str, after: str, label: str) -> None:
    """Set `field` to `after` only where it still is `before`: an admin's edit stays."""
    current = getattr(row, field)
    if current == after:
        return
    if current != before:
        logger.warning("%s is not the text this migration expects (edited in the admin?): left as it is", label)
        return
    setattr(row, field, after)
    row.save()


def _correct(apps, *, forward: bool) -> None:
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    for slug, by_language in TEXTS.items():
        for language, (old, new) in by_language.items():
            before, after = (old, new) if forward else (new, old)
            for translation in TopicTranslation.objects.filter(topic__slug=slug, language_id=language):
                _replace(translation, "sms_text", before, after, f"{slug} ({language})")
    for slug, fields in TOPIC_FIELDS.items():
        for topic in Topic.objects.filter(slug=slug):
            for field, (old, new) in fields.items():
                before, after = (old, new) if forward else (new, old)
                _replace(topic, field, before, after, f"{slug}: {field}")


def apply(apps, schema_editor) -> None:
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    Keyword = apps.get_model("advice", "Keyword")
    Language = apps.get_model("advice", "Language")
    languages = set(Language.objects.values_list("code", flat=True))

    for spec in NEW_TOPICS:
        topic, _ = Topic.objects.get_or_create(
            slug=spec["slug"],
            defaults={k: spec[k] for k in ("kind", "name", "position", "source")},
        )
        for language, text in spec["sms"].items():
            if language in languages:
                TopicTranslation.objects.get_or_create(topic=topic, language_id=language, defaults={"sms_text": text})
        for language, words in spec["keywords"].items():
            for word in words:
                if language in languages:
                    Keyword.objects.get_or_create(
                        normalized=_normalize(word),
                        language_id=language,
                        defaults={
                            "word": word,
                            "action": "topic",
                            "topic": topic,
                            "whole_message_only": word in spec.get("whole_message_only", ()),
                        },
                    )
    _correct(apps, forward=True)


def revert(apps, schema_editor) -> None:
    _correct(apps, forward=False)
    apps.get_model("advice", "Topic").objects.filter(slug__in=[spec["slug"] for spec in NEW_TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("advice", "0005_keyword_whole_message_only")]

    operations = [migrations.RunPython(apply, revert)]
