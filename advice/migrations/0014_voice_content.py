"""Issue 10's content: every voice text and voice prompt in Dutch, French, German and English.

Written for listening (short sentences, numbers as words, no abbreviations, symbols, brackets
or keyword lists): each voice text says what the topic's SMS text says (as 0002, 0004, 0006
and later corrections left it) and nothing more, with the leaflet's hedges and conditions
(../shared/seed/leg-cramps-leaflet.txt); only what the SMS texts ask people to text (DOCTOR,
EXAM, CRAMP) is left out. Dutch as spoken in Belgium (u), French (vous), German (Sie),
British English.

- Language: the speech recognition code (Twilio's closest models: nl-NL, fr-FR, de-DE,
  en-GB); the <Say> language and voice where still empty.
- Topic.voice_digit: 1 cramp, 2 prevention, 3 causes, 4 doctor, 5 about, 6 magnesium, 7 heat
  (0, 8 and 9 are the menu's own).
- TopicTranslation.voice_label: the topic's words in the spoken menu line ({label}).
- voice_text for every advice and reminder topic, only where empty.
- The voice prompts as service messages (kind "system", protected like the others). Their SMS
  text holds the same words: the model requires one, and a kind of their own would be offered
  to advisories and have no SMS budget (reminders/ and messaging/ know only three kinds).
  {digit} is filled with the key's numeral, which the voice reads in its language.
- Governance as 0010: each text written here is recorded as approved by the system with a
  review date and a first history version; topics keep citing their passages.

Reversing removes the prompts and the drafts and history this migration wrote, and empties
only the voice texts and labels still equal to what it wrote.

This migration is frozen: later content changes are made in the admin or in new migrations.
"""

import re

import django.core.validators
from django.db import migrations, models
from django.utils import timezone

import advice.models
from advice.provenance import cited_positions, split_passages

NOTE = "voice content written by migration 0014: approved by the system"
REVIEW_YEARS = 3  # settings.CONTENT_REVIEW_YEARS's default: a migration does not read settings

VOICE_SETTINGS = {
    # code: (<Say> language, voice, speech recognition)
    "nl": ("nl-BE", "Polly.Lisa-Neural", "nl-NL"),
    "fr": ("fr-BE", "Polly.Isabelle-Neural", "fr-FR"),
    "de": ("de-DE", "Polly.Vicki-Neural", "de-DE"),
    "en": ("en-GB", "Polly.Amy-Neural", "en-GB"),
}

DIGITS = {"cramp": 1, "prevention": 2, "causes": 3, "doctor": 4, "about": 5, "magnesium": 6, "heat": 7}

LABELS = {
    "cramp": {
        "en": "what to do during a cramp",
        "nl": "hulp bij kramp",
        "fr": "savoir que faire pendant une crampe",
        "de": "Hilfe bei einem Krampf",
    },
    "prevention": {
        "en": "how to prevent cramps",
        "nl": "advies om krampen te voorkomen",
        "fr": "savoir comment prévenir les crampes",
        "de": "Hinweise zur Vorbeugung",
    },
    "causes": {
        "en": "the causes of cramps",
        "nl": "de oorzaken van krampen",
        "fr": "connaître les causes des crampes",
        "de": "Informationen zu den Ursachen",
    },
    "doctor": {
        "en": "when to see a doctor",
        "nl": "advies over wanneer u best naar de arts gaat",
        "fr": "savoir quand consulter un médecin",
        "de": "Hinweise zum Arztbesuch",
    },
    "about": {
        "en": "what leg cramps are",
        "nl": "uitleg over beenkrampen",
        "fr": "savoir ce que sont les crampes aux jambes",
        "de": "eine Erklärung zu Beinkrämpfen",
    },
    "magnesium": {
        "en": "magnesium",
        "nl": "informatie over magnesium",
        "fr": "en savoir plus sur le magnésium",
        "de": "Informationen zu Magnesium",
    },
    "heat": {
        "en": "advice on heat and intense effort",
        "nl": "advies bij hitte en zware inspanning",
        "fr": "savoir que faire en cas de chaleur et d'efforts intenses",
        "de": "Hinweise bei Hitze und starker Anstrengung",
    },
    "doctor-exam": {
        "en": "what the doctor examines",
        "nl": "informatie over het onderzoek door de arts",
        "fr": "savoir ce que le médecin examine",
        "de": "Informationen zur Untersuchung beim Arzt",
    },
    "source": {
        "en": "where this advice comes from",
        "nl": "de bron van dit advies",
        "fr": "savoir d'où viennent ces conseils",
        "de": "Informationen zur Herkunft dieser Ratschläge",
    },
}

VOICE_TEXTS = {
    "cramp": {
        "en": "Leg cramp? You can relax the contracted muscle by stretching it. Put your weight on the affected "
        "leg, and bend the knee to stretch your calf. If you are in bed, pull your toes towards you. You can also "
        "massage the muscle, or have it massaged. See your doctor if you have painful cramps very often, or if "
        "they disturb your sleep.",
        "nl": "Kramp in uw been? U kunt de samengetrokken spier ontspannen door ze te rekken. Zet uw gewicht op "
        "het aangedane been, en buig de knie om uw kuit te rekken. Ligt u in bed, trek dan uw tenen naar u toe. "
        "U kunt de spier ook masseren, of laten masseren. Hebt u heel vaak pijnlijke krampen, of storen ze uw "
        "slaap? Raadpleeg dan uw arts.",
        "fr": "Une crampe à la jambe ? Vous pouvez détendre le muscle contracté en l'étirant. Mettez votre poids "
        "sur la jambe atteinte, et pliez le genou pour étirer le mollet. Si vous êtes au lit, tirez vos orteils "
        "vers vous. Vous pouvez aussi masser le muscle, ou le faire masser. Consultez votre médecin si vous avez "
        "très souvent des crampes douloureuses, ou si elles perturbent votre sommeil.",
        "de": "Ein Krampf im Bein? Sie können den verkrampften Muskel lösen, indem Sie ihn dehnen. Verlagern Sie "
        "Ihr Gewicht auf das betroffene Bein und beugen Sie das Knie, um die Wade zu dehnen. Im Bett können Sie "
        "Ihre Zehen zu sich heranziehen. Sie können den Muskel auch massieren oder massieren lassen. Gehen Sie "
        "zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder wenn diese Ihren Schlaf stören.",
    },
    "about": {
        "en": "Leg cramps are prolonged, painful contractions of the leg muscles. Most often they affect the "
        "calf, sometimes the foot or the thigh. They often come at night and on waking. A cramp starts "
        "suddenly. The muscle is hard and painful, and you cannot use it. A cramp usually goes away on its own. "
        "Cramps affect people of all ages, but especially older people. Women seem to suffer from them more "
        "often, especially during pregnancy.",
        "nl": "Beenkrampen zijn aanhoudende, pijnlijke samentrekkingen van de beenspieren. Meestal gaat het om de "
        "kuit, soms om de voet of de dij. Ze treden vaak op tijdens de nacht en bij het ontwaken. Een kramp "
        "begint plots. De spier is hard en pijnlijk, en u kunt ze niet gebruiken. Meestal gaat de kramp vanzelf "
        "over. Krampen komen op alle leeftijden voor, maar vooral bij ouderen. Vrouwen zouden er vaker last van "
        "hebben, vooral tijdens de zwangerschap.",
        "fr": "Les crampes aux jambes sont des contractions prolongées et douloureuses des muscles. Elles "
        "touchent le plus souvent le mollet, parfois le pied ou la cuisse. Elles surviennent souvent la nuit et "
        "au réveil. Une crampe commence brusquement. Le muscle est dur et douloureux, et vous ne pouvez pas "
        "l'utiliser. En général, la crampe passe spontanément. Les crampes touchent les personnes de tout âge, "
        "mais surtout les personnes âgées. Les femmes en souffriraient plus souvent, surtout pendant la "
        "grossesse.",
        "de": "Beinkrämpfe sind anhaltende, schmerzhafte Verkrampfungen der Beinmuskeln. Meist ist die Wade "
        "betroffen, manchmal der Fuß oder der Oberschenkel. Die Krämpfe treten oft nachts und beim Aufwachen auf. Ein "
        "Krampf kommt plötzlich. Der Muskel ist hart und schmerzt, und Sie können ihn nicht benutzen. Meist "
        "vergeht der Krampf von selbst. Krämpfe betreffen Menschen jeden Alters, vor allem aber ältere Menschen. "
        "Frauen sollen häufiger betroffen sein, besonders in der Schwangerschaft.",
    },
    "causes": {
        "en": "Here are the possible causes of leg cramps. A lack of sodium, which is part of salt. A lack of "
        "oxygen in the muscles, for example with intense exertion. A sudden movement after a long rest. "
        "Dehydration. Diuretics, also called water tablets. Medicines that lower cholesterol, called statins. "
        "Fluid retention in the legs, called oedema. Pregnancy. And disorders of the nerves of the leg. But "
        "most of the time, no trigger is found.",
        "nl": "Dit zijn de mogelijke oorzaken van beenkrampen. Een tekort aan natrium, een bestanddeel van zout. "
        "Een zuurstoftekort in de spieren, bijvoorbeeld bij zware inspanning. Een plotse beweging na lange "
        "rust. Uitdroging. Plastabletten, ook diuretica genoemd. Geneesmiddelen die de cholesterol verlagen, de "
        "statines. Vochtophoping in de benen, ook oedeem genoemd. Zwangerschap. En aandoeningen van de zenuwen "
        "van het been. Maar meestal wordt geen uitlokkende factor gevonden.",
        "fr": "Voici les causes possibles des crampes aux jambes. Un manque de sodium, un composant du sel. Un "
        "manque d'oxygène dans les muscles, par exemple lors d'un effort intense. Un mouvement brusque après un "
        "long repos. La déshydratation. Les diurétiques, des médicaments qui font uriner. Les médicaments qui "
        "diminuent le cholestérol, les statines. La rétention d'eau dans les jambes, appelée œdème. La "
        "grossesse. Et des troubles des nerfs de la jambe. Mais le plus souvent, aucun facteur déclenchant n'est "
        "identifié.",
        "de": "Das sind die möglichen Ursachen von Beinkrämpfen. Natriummangel. Natrium ist ein Bestandteil von "
        "Salz. Sauerstoffmangel in den Muskeln, zum Beispiel bei starker Anstrengung. Eine plötzliche Bewegung "
        "nach langer Ruhe. Flüssigkeitsmangel. Entwässernde Medikamente, die Diuretika. Cholesterinsenkende "
        "Medikamente, die Statine. Wassereinlagerungen in den Beinen, die Ödeme. Eine Schwangerschaft. Und "
        "Erkrankungen der Beinnerven. Meist wird aber kein Auslöser gefunden.",
    },
    "prevention": {
        "en": "You can prevent leg cramps by drinking enough to stay well hydrated. It is advisable to drink less "
        "alcohol and caffeine. In case of intense effort and very high temperatures, it is also advisable to add "
        "salt and sugar to the water.",
        "nl": "U kunt beenkrampen voorkomen door voldoende te drinken. Beperk best alcohol en cafeïne. Bij zware "
        "inspanning en zeer hoge temperaturen is het ook aangeraden zout en suiker aan het water toe te voegen.",
        "fr": "Vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous hydrater. Il est "
        "conseillé de réduire la consommation d'alcool et de caféine. En cas d'efforts intenses et de "
        "températures très élevées, il est aussi conseillé d'ajouter du sel et du sucre à l'eau.",
        "de": "Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit Flüssigkeit "
        "versorgt zu sein. Es ist ratsam, weniger Alkohol und Koffein zu sich zu nehmen. Bei starker "
        "Anstrengung und sehr hohen Temperaturen ist es außerdem ratsam, dem Wasser Salz und Zucker zuzusetzen.",
    },
    "doctor": {
        "en": "See your doctor if you have painful cramps very often, or if they disturb your sleep. If the doctor "
        "finds a cause, they will treat it. Medicines for muscle cramps often have side effects, and are not very "
        "effective.",
        "nl": "Hebt u heel vaak pijnlijke krampen, of storen ze uw slaap? Raadpleeg dan uw arts. Vindt de arts een "
        "oorzaak, dan behandelt hij die. Geneesmiddelen tegen spierkrampen hebben vaak bijwerkingen, en ze zijn "
        "weinig doeltreffend.",
        "fr": "Consultez votre médecin si vous avez très souvent des crampes douloureuses, ou si elles perturbent "
        "votre sommeil. S'il trouve une cause, il la traitera. Les médicaments contre les crampes musculaires ont "
        "souvent des effets secondaires, et ils sont peu efficaces.",
        "de": "Gehen Sie zu Ihrem Arzt, wenn Sie sehr oft schmerzhafte Krämpfe haben oder wenn diese Ihren Schlaf "
        "stören. Findet er eine Ursache, behandelt er diese. Medikamente gegen Muskelkrämpfe haben oft "
        "Nebenwirkungen und sind wenig wirksam.",
    },
    "doctor-exam": {
        "en": "The doctor will examine your legs: the skin, the blood circulation, tenderness, fluid retention or "
        "varicose veins, and the condition of the muscles. The doctor will also take a blood sample. Among "
        "other things, it is used to measure the salts, also called minerals, the blood sugar, and the thyroid "
        "function.",
        "nl": "De arts onderzoekt uw benen: de huid, de bloedsomloop, drukpijn, vochtophoping of spataders, en de "
        "toestand van de spieren. De arts neemt ook een bloedstaal. Daarmee meet de arts onder meer de zouten, "
        "ook mineralen genoemd, de bloedsuiker en de schildklierwerking.",
        "fr": "Le médecin examine vos jambes : la peau, la circulation sanguine, la douleur à la pression, un œdème, des "
        "varices, et l'état des muscles. Une prise de sang permet de mesurer notamment les sels minéraux, le sucre dans le "
        "sang et la fonction de la thyroïde.",
        "de": "Der Arzt untersucht Ihre Beine: die Haut, die Durchblutung, die Druckempfindlichkeit, "
        "Wassereinlagerungen oder Krampfadern, und den Zustand der Muskeln. Er nimmt außerdem Blut ab. Damit misst "
        "er unter anderem die Salze, also die Mineralstoffe, den Blutzucker und die Schilddrüsenfunktion.",
    },
    "magnesium": {
        "en": "The effect of magnesium supplements has often been studied, but the results are contradictory. To "
        "date, nothing proves that they work. Preferably discuss this with your doctor.",
        "nl": "Het effect van magnesiumsupplementen is vaak onderzocht, maar de resultaten zijn tegenstrijdig. "
        "Tot nu toe bewijst niets dat ze werken. Bespreek dit bij voorkeur met uw arts.",
        "fr": "L'effet des suppléments de magnésium a souvent été étudié, mais les résultats sont "
        "contradictoires. Jusqu'à présent, rien ne prouve leur efficacité. Parlez-en de préférence avec votre "
        "médecin.",
        "de": "Die Wirkung von Magnesiumpräparaten wurde oft untersucht, aber die Ergebnisse sind "
        "widersprüchlich. Bis heute beweist nichts ihre Wirksamkeit. Besprechen Sie dies am besten mit Ihrem "
        "Arzt.",
    },
    "source": {
        "en": "This advice comes from the patient leaflet on leg cramps by E B Practice Net. It is based on a "
        "foreign clinical practice guideline from two thousand and thirteen, updated on the twenty-eighth of "
        "February two thousand and seventeen, and adapted to the Belgian context on the fifteenth of May two "
        "thousand and nineteen.",
        "nl": "Dit advies komt uit de folder over beenkrampen van E B Practice Net. Die folder is gebaseerd op een "
        "buitenlandse klinische praktijkrichtlijn uit tweeduizend dertien, bijgewerkt op achtentwintig februari "
        "tweeduizend zeventien, en aangepast aan de Belgische context op vijftien mei tweeduizend negentien.",
        "fr": "Ces conseils viennent de la fiche sur les crampes aux jambes publiée par E B Practice Net. Elle est "
        "basée sur un guide de pratique clinique étranger de deux mille treize, mis à jour le vingt-huit février "
        "deux mille dix-sept, et adapté au contexte belge le quinze mai deux mille dix-neuf.",
        "de": "Diese Ratschläge stammen aus dem Merkblatt zu Beinkrämpfen von E B Practice Net. Es beruht auf "
        "einer ausländischen klinischen Leitlinie aus dem Jahr zweitausenddreizehn. Sie wurde am "
        "achtundzwanzigsten Februar zweitausendsiebzehn aktualisiert und am fünfzehnten Mai "
        "zweitausendneunzehn an den belgischen Kontext angepasst.",
    },
    "heat": {
        "en": "You can prevent leg cramps by drinking enough to stay well hydrated. In case of intense effort and "
        "very high temperatures, it is also advisable to add salt and sugar to the water.",
        "nl": "U kunt beenkrampen voorkomen door voldoende te drinken. Bij zware inspanning en zeer hoge "
        "temperaturen is het ook aangeraden zout en suiker aan het water toe te voegen.",
        "fr": "Vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous hydrater. En cas "
        "d'efforts intenses et de températures très élevées, il est aussi conseillé d'ajouter du sel et du "
        "sucre à l'eau.",
        "de": "Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit Flüssigkeit "
        "versorgt zu sein. Bei starker Anstrengung und sehr hohen Temperaturen ist es außerdem ratsam, dem "
        "Wasser Salz und Zucker zuzusetzen.",
    },
    "reminder-drink": {
        "en": "A reminder. You can prevent leg cramps by drinking enough to stay well hydrated.",
        "nl": "Ter herinnering: U kunt beenkrampen voorkomen door voldoende te drinken.",
        "fr": "Un rappel. Vous pouvez prévenir les crampes aux jambes en buvant suffisamment pour bien vous hydrater.",
        "de": "Zur Erinnerung: Sie können Beinkrämpfen vorbeugen, indem Sie genug trinken, um ausreichend mit "
        "Flüssigkeit versorgt zu sein.",
    },
    "reminder-alcohol-caffeine": {
        "en": "A reminder. To prevent leg cramps, it is advisable to drink less alcohol and caffeine.",
        "nl": "Ter herinnering: Om krampen te voorkomen, beperkt u best alcohol en cafeïne.",
        "fr": "Un rappel. Pour prévenir les crampes aux jambes, il est conseillé de réduire la consommation "
        "d'alcool et de caféine.",
        "de": "Zur Erinnerung: Um Beinkrämpfen vorzubeugen, ist es ratsam, weniger Alkohol und Koffein zu sich "
        "zu nehmen.",
    },
    "reminder-salt-sugar": {
        "en": "A reminder. In case of intense effort and very high temperatures, it is advisable to add salt and "
        "sugar to the water.",
        "nl": "Ter herinnering: Bij zware inspanningen en zeer hoge temperaturen is het aangeraden zout en suiker "
        "aan het water toe te voegen.",
        "fr": "Un rappel. En cas d'efforts intenses et de températures très élevées, il est conseillé d'ajouter "
        "du sel et du sucre à l'eau.",
        "de": "Zur Erinnerung: Bei starker Anstrengung und sehr hohen Temperaturen ist es ratsam, dem Wasser "
        "Salz und Zucker zuzusetzen.",
    },
    "reminder-stretch": {
        "en": "A reminder. If a cramp comes, you can relax the muscle by stretching it.",
        "nl": "Ter herinnering: Krijgt u kramp, dan kunt u de spier ontspannen door ze te rekken.",
        "fr": "Un rappel. En cas de crampe, vous pouvez détendre le muscle en l'étirant.",
        "de": "Zur Erinnerung: Bei einem Krampf können Sie den Muskel lösen, indem Sie ihn dehnen.",
    },
}

PROMPT_SOURCE = "Voice prompt, not from the leaflet: spoken on calls, never texted."
# slug: (name for editors, position, {language: words}); {start} is the language's START word.
PROMPTS = {
    "voice-greeting": (
        "Voice: greeting",
        {
            "en": "Welcome to the leg cramp advice line.",
            "nl": "Welkom bij de infolijn over beenkrampen.",
            "fr": "Bienvenue sur la ligne d'information sur les crampes aux jambes.",
            "de": "Willkommen beim Telefondienst zu Beinkrämpfen.",
        },
    ),
    "voice-language-option": (
        "Voice: one line of the language menu, in its own language and voice: {digit}",
        {
            "en": "For English, press {digit}.",
            "nl": "Voor Nederlands, druk op {digit}.",
            "fr": "Pour le français, tapez {digit}.",
            "de": "Drücken Sie die {digit} für Deutsch.",
        },
    ),
    "voice-menu-item": (
        "Voice: one line of the topic menu: {label} {digit}",
        {
            "en": "For {label}, press {digit}.",
            "nl": "Voor {label}, druk op {digit}.",
            "fr": "Pour {label}, tapez {digit}.",
            "de": "Drücken Sie die {digit} für {label}.",
        },
    ),
    "voice-menu-end": (
        "Voice: end of the topic menu (9 another language, 0 the menu again)",
        {
            "en": "For another language, press nine. To hear this menu again, press zero.",
            "nl": "Voor een andere taal, druk op negen. Om dit menu opnieuw te horen, druk op nul.",
            "fr": "Pour une autre langue, tapez neuf. Pour réécouter ce menu, tapez zéro.",
            "de": "Für eine andere Sprache drücken Sie die Neun. Um dieses Menü noch einmal zu hören, drücken Sie "
            "die Null.",
        },
    ),
    "voice-menu-speech": (
        "Voice: you can also say it (only where speech recognition is set)",
        {
            "en": "You can also say what you are looking for, for example: cramp.",
            "nl": "U kunt ook zeggen wat u zoekt, bijvoorbeeld: kramp.",
            "fr": "Vous pouvez aussi dire ce que vous cherchez, par exemple : crampe.",
            "de": "Sie können auch sagen, was Sie suchen, zum Beispiel: Krampf.",
        },
    ),
    "voice-after-topic": (
        "Voice: after a topic (1 again, 2 as a text message, 0 the menu)",
        {
            "en": "To hear this again, press one. To receive it as a text message, press two. To go back to the "
            "menu, press zero.",
            "nl": "Om dit opnieuw te horen, druk op één. Om het als tekstbericht te ontvangen, druk op twee. Om "
            "terug te gaan naar het menu, druk op nul.",
            "fr": "Pour réécouter ce message, tapez un. Pour le recevoir par SMS, tapez deux. Pour "
            "revenir au menu, tapez zéro.",
            "de": "Um das noch einmal zu hören, drücken Sie die Eins. Um es als Textnachricht zu erhalten, "
            "drücken Sie die Zwei. Um zum Menü zurückzukehren, drücken Sie die Null.",
        },
    ),
    "voice-after-topic-no-text": (
        "Voice: after a topic, no text message offered (withheld numbers)",
        {
            "en": "To hear this again, press one. To go back to the menu, press zero.",
            "nl": "Om dit opnieuw te horen, druk op één. Om terug te gaan naar het menu, druk op nul.",
            "fr": "Pour réécouter ce message, tapez un. Pour revenir au menu, tapez zéro.",
            "de": "Um das noch einmal zu hören, drücken Sie die Eins. Um zum Menü zurückzukehren, drücken Sie "
            "die Null.",
        },
    ),
    "voice-not-an-option": (
        "Voice: a key that is not an option",
        {
            "en": "Sorry, that is not an option.",
            "nl": "Sorry, dat is geen geldige keuze.",
            "fr": "Désolé, ce choix n'existe pas.",
            "de": "Diese Auswahl gibt es leider nicht.",
        },
    ),
    "voice-no-input": (
        "Voice: nothing pressed or said",
        {
            "en": "We did not hear a choice.",
            "nl": "We hebben geen keuze gehoord.",
            "fr": "Nous n'avons pas entendu de choix.",
            "de": "Wir haben leider keine Eingabe erhalten.",
        },
    ),
    "voice-goodbye": (
        "Voice: goodbye",
        {
            "en": "Thank you for calling. Goodbye.",
            "nl": "Bedankt voor uw oproep. Tot ziens.",
            "fr": "Merci pour votre appel. Au revoir.",
            "de": "Vielen Dank für Ihren Anruf. Auf Wiederhören.",
        },
    ),
    "voice-text-sent": (
        "Voice: the topic is sent as a text message",
        {
            "en": "We are sending it to you as a text message.",
            "nl": "We sturen het u als tekstbericht.",
            "fr": "Nous vous l'envoyons par SMS.",
            "de": "Wir schicken es Ihnen als Textnachricht.",
        },
    ),
    "voice-text-opted-out": (
        "Voice: no text message, the caller stopped them (names the START word)",
        {
            "en": "You have stopped text messages from this service. To receive them again, text the word {start} "
            "to this number.",
            "nl": "U hebt de tekstberichten van deze dienst stopgezet. Wilt u ze opnieuw ontvangen? Stuur dan het "
            "woord {start} in een tekstbericht naar dit nummer.",
            "fr": "Vous avez arrêté les SMS de ce service. Pour les recevoir à nouveau, envoyez le mot {start} par "
            "SMS à ce numéro.",
            "de": "Sie haben die Textnachrichten dieses Dienstes abbestellt. Um sie wieder zu erhalten, senden Sie "
            "das Wort {start} als Textnachricht an diese Nummer.",
        },
    ),
    "voice-time-limit": (
        "Voice: the call reached its maximum length",
        {
            "en": "This call has reached its maximum length. Thank you for calling. Goodbye.",
            "nl": "Dit gesprek heeft de maximale duur bereikt. Bedankt voor uw oproep. Tot ziens.",
            "fr": "Cet appel a atteint sa durée maximale. Merci pour votre appel. Au revoir.",
            "de": "Dieser Anruf hat seine Höchstdauer erreicht. Vielen Dank für Ihren Anruf. Auf Wiederhören.",
        },
    ),
}
PROMPT_POSITION = 100  # after the other service messages


def _review_due(today):
    try:
        return today.replace(year=today.year + REVIEW_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + REVIEW_YEARS, day=28)


def start_word(Keyword, TopicTranslation, language):
    """The language's START keyword as its opt-out confirmation names it, written as a word ("Start")."""
    words = {
        k.normalized: k.word
        for k in Keyword.objects.filter(action="start", language_id=language, pending_review=False).order_by("word")
    }
    if not words:
        return None
    opted_out = TopicTranslation.objects.filter(topic__slug="opted-out", language_id=language).first()
    named = [w.lower() for w in re.findall(r"\w+", opted_out.sms_text)] if opted_out else []
    chosen = next((words[w] for w in named if w in words), None) or next(iter(words.values()))
    return chosen.capitalize()


def _record(translation, *, now, due, HistoricalTopicTranslation, TextDraft):
    """As 0010 did: the text recorded as approved by the system, with a review date and a history version."""
    TextDraft.objects.create(
        translation=translation,
        sms_text=translation.sms_text,
        voice_text=translation.voice_text,
        voice_label=translation.voice_label,
        status="approved",
        author=None,
        reviewer=None,
        reviewed_at=now,
        note=NOTE,
    )
    translation.review_due = due  # a flag from a changed source (needs_review) stays: the SMS text is not re-read here
    translation.save()
    HistoricalTopicTranslation.objects.create(
        id=translation.pk,
        topic_id=translation.topic_id,
        language_id=translation.language_id,
        sms_text=translation.sms_text,
        voice_text=translation.voice_text,
        voice_label=translation.voice_label,
        updated_at=translation.updated_at,
        needs_review=translation.needs_review,
        review_due=due,
        history_date=now,
        history_type="~",
        history_change_reason=NOTE,
    )


def _check_constraints_now(schema_editor):
    """PostgreSQL defers foreign key checks to the commit: run them now, or the schema changes
    next in this migration's transaction find "pending trigger events" on the tables."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def seed(apps, schema_editor):
    Language = apps.get_model("advice", "Language")
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    TextDraft = apps.get_model("advice", "TextDraft")
    Keyword = apps.get_model("advice", "Keyword")
    Source = apps.get_model("advice", "Source")
    HistoricalTopicTranslation = apps.get_model("advice", "HistoricalTopicTranslation")
    now = timezone.now()
    due = _review_due(timezone.localdate(now) if timezone.is_aware(now) else now.date())
    record = {"now": now, "due": due, "HistoricalTopicTranslation": HistoricalTopicTranslation, "TextDraft": TextDraft}

    for code, (say_language, voice, speech) in VOICE_SETTINGS.items():
        for language in Language.objects.filter(code=code):
            language.voice_language = language.voice_language or say_language
            language.voice_name = language.voice_name or voice
            language.speech_language = language.speech_language or speech
            language.save()
    languages = set(Language.objects.values_list("code", flat=True))

    taken = set(Topic.objects.exclude(voice_digit=None).values_list("voice_digit", flat=True))
    for slug, digit in DIGITS.items():
        if digit not in taken:
            Topic.objects.filter(slug=slug, voice_digit=None).update(voice_digit=digit)

    # Topics cite their passages since 0010; one added since without them is linked here.
    source = Source.objects.order_by("-version").first()
    for slug in VOICE_TEXTS:
        topic = Topic.objects.filter(slug=slug).first()
        if topic is None or source is None or topic.passages.exists() or not topic.source:
            continue
        positions = cited_positions(topic.source, split_passages(source.full_text))
        topic.passages.add(*source.passages.filter(position__in=positions))

    for slug, by_language in VOICE_TEXTS.items():
        for language, text in by_language.items():
            translation = TopicTranslation.objects.filter(topic__slug=slug, language_id=language).first()
            if translation is None or translation.voice_text:
                continue  # an editor's voice text stays
            translation.voice_text = text
            translation.voice_label = translation.voice_label or LABELS.get(slug, {}).get(language, "")
            _record(translation, **record)
    for slug, by_language in LABELS.items():  # labels of topics whose voice text was already there
        for language, label in by_language.items():
            TopicTranslation.objects.filter(topic__slug=slug, language_id=language, voice_label="").update(
                voice_label=label
            )

    for slug, (name, by_language) in PROMPTS.items():
        topic, _created = Topic.objects.get_or_create(
            slug=slug,
            defaults={"kind": "system", "name": name, "position": PROMPT_POSITION, "source": PROMPT_SOURCE},
        )
        for language, text in by_language.items():
            if language not in languages:
                continue
            if "{start}" in text:
                word = start_word(Keyword, TopicTranslation, language)
                if word is None:
                    continue  # no START word in this language: nothing true to say
                text = text.replace("{start}", word)
            translation, created = TopicTranslation.objects.get_or_create(
                topic=topic, language_id=language, defaults={"sms_text": text}
            )
            if not created and translation.voice_text:
                continue
            translation.sms_text = translation.sms_text or text
            translation.voice_text = text
            _record(translation, **record)
    _check_constraints_now(schema_editor)


def unseed(apps, schema_editor):
    Topic = apps.get_model("advice", "Topic")
    TopicTranslation = apps.get_model("advice", "TopicTranslation")
    TextDraft = apps.get_model("advice", "TextDraft")
    HistoricalTopicTranslation = apps.get_model("advice", "HistoricalTopicTranslation")
    Topic.objects.filter(slug__in=list(PROMPTS)).delete()
    TextDraft.objects.filter(note=NOTE).delete()
    HistoricalTopicTranslation.objects.filter(history_change_reason=NOTE).delete()
    for slug, by_language in VOICE_TEXTS.items():
        for language, text in by_language.items():
            TopicTranslation.objects.filter(topic__slug=slug, language_id=language, voice_text=text).update(
                voice_text=""
            )
    for slug, by_language in LABELS.items():
        for language, label in by_language.items():
            TopicTranslation.objects.filter(topic__slug=slug, language_id=language, voice_label=label).update(
                voice_label=""
            )
    Topic.objects.filter(slug__in=list(DIGITS)).update(voice_digit=None)
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("advice", "0013_privacy_notice"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicallanguage",
            name="speech_language",
            field=models.CharField(
                blank=True,
                help_text="Language code for understanding callers who speak, such as nl-NL; empty: keypad only.",
                max_length=16,
                verbose_name="speech recognition",
            ),
        ),
        migrations.AddField(
            model_name="historicaltopic",
            name="voice_digit",
            field=models.PositiveSmallIntegerField(
                blank=True,
                db_index=True,
                help_text="The key a caller presses for this topic (1 to 7); 0, 8 and 9 are kept for the menu itself.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(9), advice.models.validate_voice_digit],
                verbose_name="phone menu digit",
            ),
        ),
        migrations.AddField(
            model_name="historicaltopictranslation",
            name="voice_label",
            field=models.CharField(
                blank=True,
                help_text="Short, for the spoken menu ({label} in its line), such as 'what to do during a cramp'.",
                max_length=100,
                verbose_name="phone menu label",
            ),
        ),
        migrations.AddField(
            model_name="language",
            name="speech_language",
            field=models.CharField(
                blank=True,
                help_text="Language code for understanding callers who speak, such as nl-NL; empty: keypad only.",
                max_length=16,
                verbose_name="speech recognition",
            ),
        ),
        migrations.AddField(
            model_name="topic",
            name="voice_digit",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="The key a caller presses for this topic (1 to 7); 0, 8 and 9 are kept for the menu itself.",
                null=True,
                unique=True,
                validators=[django.core.validators.MaxValueValidator(9), advice.models.validate_voice_digit],
                verbose_name="phone menu digit",
            ),
        ),
        migrations.AddField(
            model_name="topictranslation",
            name="voice_label",
            field=models.CharField(
                blank=True,
                help_text="Short, for the spoken menu ({label} in its line), such as 'what to do during a cramp'.",
                max_length=100,
                verbose_name="phone menu label",
            ),
        ),
        migrations.AlterField(
            model_name="historicaltopictranslation",
            name="voice_text",
            field=models.TextField(
                blank=True,
                help_text="What a phone call says: short sentences, numbers as words, no abbreviations, symbols or keywords.",
                verbose_name="voice text",
            ),
        ),
        migrations.AlterField(
            model_name="topictranslation",
            name="voice_text",
            field=models.TextField(
                blank=True,
                help_text="What a phone call says: short sentences, numbers as words, no abbreviations, symbols or keywords.",
                verbose_name="voice text",
            ),
        ),
        migrations.AddField(
            model_name="textdraft",
            name="voice_label",
            field=models.CharField(blank=True, max_length=100, verbose_name="phone menu label"),
        ),
        migrations.RunPython(seed, unseed),
    ]
