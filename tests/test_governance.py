"""Content governance: drafts, four-eyes approval, history, provenance, roles."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from advice import review
from advice.models import Keyword, Source, TextDraft, Topic, TopicTranslation
from advice.selectors import keyword_index_clear, topic_text
from tests.support.people import make_contact, plan

pytestmark = pytest.mark.django_db

NEW_EN = "Cramp? Stretch the muscle gently and walk a little."

STORAGE_LINE = "\nWe store your number. Text FORGET to erase it."  # under a new number's first reply


def member(name: str, *groups: str, superuser: bool = False) -> User:
    if superuser:
        user = User.objects.create_superuser(name, f"{name}@example.org", "pw")
    else:
        user = User.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor() -> User:
    return member("erin", "editors")


@pytest.fixture
def clinician() -> User:
    return member("claire", "clinicians")


def cramp_en() -> TopicTranslation:
    return TopicTranslation.objects.get(topic__slug="cramp", language="en")


def topic_form_data(client: Client, topic: Topic, changes: dict[str, str]) -> dict[str, Any]:
    """The topic page's form as a browser would post it, with some translations changed by language."""
    page = client.get(f"/admin/advice/topic/{topic.pk}/change/")
    form = page.context["adminform"].form
    data: dict[str, Any] = {k: v for k, v in form.initial.items() if v is not None and k != "passages"}
    data["passages"] = [p.pk for p in topic.passages.all()]
    translations = page.context["inline_admin_formsets"][0].formset
    count = len(translations.forms)
    data.update({"translations-TOTAL_FORMS": count, "translations-INITIAL_FORMS": translations.initial_form_count()})
    for i, f in enumerate(translations.forms):
        language = f.instance.language_id or f.initial.get("language")
        data[f"translations-{i}-id"] = f.instance.pk or ""
        data[f"translations-{i}-topic"] = topic.pk
        data[f"translations-{i}-language"] = language
        data[f"translations-{i}-sms_text"] = changes.get(language, f.initial.get("sms_text", f.instance.sms_text))
        data[f"translations-{i}-voice_text"] = f.initial.get("voice_text", f.instance.voice_text)
        data[f"translations-{i}-voice_label"] = f.initial.get("voice_label", f.instance.voice_label)
    keywords = page.context["inline_admin_formsets"][1].formset
    data.update({"keywords-TOTAL_FORMS": len(keywords.forms), "keywords-INITIAL_FORMS": keywords.initial_form_count()})
    for i, f in enumerate(keywords.forms):
        data[f"keywords-{i}-id"] = f.instance.pk
        data[f"keywords-{i}-topic"] = topic.pk
        for field in ["word", "language", "action"]:
            data[f"keywords-{i}-{field}"] = getattr(f.instance, field if field != "language" else "language_id")
        if f.instance.whole_message_only:
            data[f"keywords-{i}-whole_message_only"] = "on"
    return data


def test_it_seeds_every_text_published_and_approved_by_the_system() -> None:
    translation = cramp_en()
    approval = review.last_approval(translation)

    assert approval is not None and approval.author is None and approval.reviewer is None
    assert approval.sms_text == translation.sms_text
    assert translation.review_due is not None
    assert not TextDraft.objects.filter(status=TextDraft.Status.PENDING).exists()


def test_it_creates_the_three_roles() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"editors", "clinicians", "operators"}
    assert Group.objects.get(name="clinicians").permissions.filter(codename="approve_textdraft").exists()
    assert not Group.objects.get(name="editors").permissions.filter(codename="approve_textdraft").exists()


def test_it_keeps_sending_the_published_text_while_a_draft_waits(editor: User, text: Any, outbox: list[Any]) -> None:
    published = cramp_en().sms_text
    editor_page = logged_in(editor)
    topic = Topic.objects.get(slug="cramp")

    response = editor_page.post(
        f"/admin/advice/topic/{topic.pk}/change/", topic_form_data(editor_page, topic, {"en": NEW_EN})
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    draft = TextDraft.objects.get(status=TextDraft.Status.PENDING)
    assert (draft.sms_text, draft.author) == (NEW_EN, editor)
    assert cramp_en().sms_text == published
    text("CRAMP", sender="+447700900123")
    assert outbox[-1].body == published + STORAGE_LINE


def test_it_sends_the_new_text_once_a_clinician_approves_it(
    editor: User, clinician: User, text: Any, outbox: list[Any]
) -> None:
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None

    response = logged_in(clinician).post(
        f"/admin/advice/textdraft/{draft.pk}/change/", {"comment": "", "_approve": "1"}
    )

    assert response.status_code == 302
    assert cramp_en().sms_text == NEW_EN
    text("CRAMP", sender="+447700900123")
    assert outbox[-1].body == NEW_EN + STORAGE_LINE
    draft.refresh_from_db()
    assert (draft.status, draft.reviewer) == (TextDraft.Status.APPROVED, clinician)
    assert cramp_en().review_due == datetime.date(2029, 6, 10)  # CONTENT_REVIEW_YEARS after the fixed clock


def test_it_refuses_an_author_approving_their_own_draft_even_as_superuser(text: Any, outbox: list[Any]) -> None:
    boss = member("boss", superuser=True)
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=boss)
    assert draft is not None

    response = logged_in(boss).post(f"/admin/advice/textdraft/{draft.pk}/change/", {"comment": "", "_approve": "1"})

    assert response.status_code == 200
    assert "four-eyes rule" in response.content.decode()
    with pytest.raises(ValidationError):
        review.draft_approve(draft=draft, reviewer=boss)
    assert cramp_en().sms_text != NEW_EN
    draft.refresh_from_db()
    assert draft.status == TextDraft.Status.PENDING


def test_the_database_refuses_a_draft_approved_by_its_author(editor: User) -> None:
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None

    with pytest.raises(IntegrityError), transaction.atomic():
        TextDraft.objects.filter(pk=draft.pk).update(reviewer=editor, status=TextDraft.Status.APPROVED)


def test_the_database_refuses_a_keyword_approved_by_whoever_changed_it(editor: User) -> None:
    keyword = Keyword.objects.get(normalized="kramp", language="nl")

    with pytest.raises(IntegrityError), transaction.atomic():
        Keyword.objects.filter(pk=keyword.pk).update(changed_by=editor, approved_by=editor)


def test_an_editor_cannot_approve(editor: User) -> None:
    other = member("otto", "editors")
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=other)
    assert draft is not None

    with pytest.raises(PermissionDenied):
        review.draft_approve(draft=draft, reviewer=editor)
    response = logged_in(editor).post(f"/admin/advice/textdraft/{draft.pk}/change/", {"_approve": "1"})
    assert response.status_code == 403
    assert cramp_en().sms_text != NEW_EN


def test_a_clinician_sends_a_draft_back_with_a_comment(editor: User, clinician: User) -> None:
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None
    page = logged_in(clinician)

    refused = page.post(f"/admin/advice/textdraft/{draft.pk}/change/", {"comment": "", "_return": "1"})
    assert refused.status_code == 200
    page.post(f"/admin/advice/textdraft/{draft.pk}/change/", {"comment": "Say which muscle.", "_return": "1"})

    draft.refresh_from_db()
    assert (draft.status, draft.comment) == (TextDraft.Status.RETURNED, "Say which muscle.")
    assert cramp_en().sms_text != NEW_EN
    topic = Topic.objects.get(slug="cramp")
    assert "Say which muscle." in logged_in(editor).get(f"/admin/advice/topic/{topic.pk}/change/").content.decode()


def test_the_review_list_shows_what_awaits_review_and_the_draft_page_previews_it(editor: User, clinician: User) -> None:
    menu = TopicTranslation.objects.get(topic__slug=Topic.REMINDERS_ON, language="en")
    draft = review.draft_save(
        translation=menu, sms_text=menu.sms_text + " Reply PAUSE to pause.", voice_text="", author=editor
    )
    assert draft is not None
    page = logged_in(clinician)

    listing = page.get("/admin/advice/textdraft/").content.decode()
    detail = page.get(f"/admin/advice/textdraft/{draft.pk}/change/").content.decode()

    assert f"/admin/advice/textdraft/{draft.pk}/change/" in listing
    assert "08:30, 21:00" in detail and "{times}" not in detail.split("What a person receives")[-1]
    assert '<ins style="background:#dfd">Reply PAUSE to pause.</ins>' in detail
    assert "part on the phone" in detail or "parts on the phone" in detail


def test_the_topic_page_shows_published_and_draft_side_by_side(editor: User) -> None:
    review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    topic = Topic.objects.get(slug="cramp")

    page = logged_in(editor).get(f"/admin/advice/topic/{topic.pk}/change/").content.decode()

    assert "Published (what is sent)" in page and "Draft awaiting review" in page
    assert "written by erin" in page
    assert "approved by the system" in page
    assert "You can relax the contracted muscle by stretching it." in page  # its passage, beside it


def test_it_restores_an_earlier_version_as_a_draft(editor: User, clinician: User) -> None:
    original = cramp_en().sms_text
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None
    review.draft_approve(draft=draft, reviewer=clinician)
    topic = Topic.objects.get(slug="cramp")
    oldest = TopicTranslation.history.filter(id=cramp_en().pk).order_by("history_id").first()  # type: ignore[attr-defined]
    assert oldest is not None and oldest.sms_text == original

    history = logged_in(editor).get(f"/admin/advice/topic/{topic.pk}/texts-history/")
    assert history.status_code == 200 and NEW_EN.split()[-1] in history.content.decode()
    logged_in(editor).post(f"/admin/advice/topic/{topic.pk}/texts-history/", {"history_id": oldest.history_id})

    restored = TextDraft.objects.get(status=TextDraft.Status.PENDING)
    assert (restored.sms_text, restored.author) == (original, editor)
    assert cramp_en().sms_text == NEW_EN  # until approved


def test_a_new_source_version_flags_exactly_the_translations_whose_passages_changed(clinician: User) -> None:
    first = Source.objects.get(title="Leg cramps", version=1)
    changed = first.full_text.replace(
        "The effect of magnesium supplements has often been studied",
        "The effect of magnesium supplements has been studied in new trials",
    )

    second = review.source_register(title="Leg cramps", publisher="ebpracticenet", full_text=changed)

    assert second.version == 2 and second.sha256 != first.sha256
    flagged = set(TopicTranslation.objects.filter(needs_review=True).values_list("topic__slug", flat=True))
    assert flagged == {"magnesium"}
    assert TopicTranslation.objects.filter(needs_review=True).count() == 4
    assert set(Topic.objects.get(slug="cramp").passages.values_list("source__version", flat=True)) == {2}
    waiting = TextDraft.objects.get(
        translation__topic__slug="magnesium", translation__language="nl", status=TextDraft.Status.PENDING
    )
    review.draft_approve(draft=waiting, reviewer=clinician)
    assert not TopicTranslation.objects.get(topic__slug="magnesium", language="nl").needs_review


def test_a_keyword_saved_in_the_admin_works_only_once_approved(
    editor: User, clinician: User, text: Any, outbox: list[Any]
) -> None:
    magnesium = Topic.objects.get(slug="magnesium")
    logged_in(editor).post(
        "/admin/advice/keyword/add/", {"word": "KRAMPPIL", "language": "nl", "action": "topic", "topic": magnesium.pk}
    )
    keyword = Keyword.objects.get(word="KRAMPPIL")
    assert keyword.pending_review

    reply = text("KRAMPPIL")
    assert reply is not None and reply.topic.slug != "magnesium"

    logged_in(clinician).post(
        "/admin/advice/keyword/", {"action": "approve", "_selected_action": [keyword.pk], "index": 0}
    )
    keyword_index_clear()
    reply = text("KRAMPPIL", sender="+32470999888")
    assert reply is not None and reply.topic.slug == "magnesium"


def test_a_changed_keyword_keeps_its_approved_meaning_until_the_change_is_approved(
    editor: User, clinician: User, text: Any
) -> None:
    # A seeded keyword (no history of its own yet) moved by an editor to another topic.
    keyword = Keyword.objects.get(normalized="kuit", language="nl")
    magnesium = Topic.objects.get(slug="magnesium")
    logged_in(editor).post(
        f"/admin/advice/keyword/{keyword.pk}/change/",
        {"word": "KUIT", "language": "nl", "action": "topic", "topic": magnesium.pk},
    )
    keyword.refresh_from_db()
    assert keyword.pending_review and keyword.topic == magnesium
    keyword_index_clear()

    reply = text("KUIT")
    assert reply is not None and reply.topic.slug == "cramp"  # as approved, not the menu, not the draft

    logged_in(clinician).post(
        "/admin/advice/keyword/", {"action": "approve", "_selected_action": [keyword.pk], "index": 0}
    )
    keyword_index_clear()
    reply = text("KUIT", sender="+32470999888")
    assert reply is not None and reply.topic.slug == "magnesium"


def test_an_editor_cannot_approve_their_own_keyword_even_as_superuser() -> None:
    boss = member("boss", superuser=True)
    keyword = Keyword.objects.create(word="KRAMPPIL", language_id="nl", action="menu")
    review.keyword_changed(keyword=keyword, author=boss)
    keyword.save()

    with pytest.raises(ValidationError):
        review.keyword_approve(keyword=keyword, reviewer=boss)


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("editors", ["/admin/advice/topic/", "/admin/advice/keyword/add/"], ["/admin/contacts/contact/"]),
        ("clinicians", ["/admin/advice/textdraft/", "/admin/advice/source/add/"], ["/admin/advice/keyword/add/"]),
        ("operators", ["/admin/contacts/contact/", "/admin/messaging/message/"], ["/admin/advice/keyword/add/"]),
    ],
)
def test_each_role_reaches_its_pages_only(role: str, allowed: list[str], refused: list[str]) -> None:
    page = logged_in(member("someone", role))

    for url in allowed:
        assert page.get(url).status_code == 200, url
    for url in refused:
        assert page.get(url).status_code == 403, url


def test_the_published_text_reader_never_returns_a_draft(editor: User) -> None:
    review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)

    found = topic_text("cramp", "en")

    assert found is not None and found.sms_text != NEW_EN


def test_the_admin_lists_texts_past_their_review_date(clinician: User) -> None:
    TopicTranslation.objects.filter(topic__slug="magnesium", language="fr").update(review_due=datetime.date(2020, 1, 1))

    page = logged_in(clinician).get("/admin/advice/topictranslation/", {"review": "due"}).content.decode()

    assert "1 translation" in page
    assert "Jan. 1, 2020" in page


def test_changing_a_draft_back_to_the_published_text_withdraws_it(editor: User) -> None:
    review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)

    withdrawn = review.draft_save(
        translation=cramp_en(), sms_text=cramp_en().sms_text, voice_text=cramp_en().voice_text, author=editor
    )

    assert withdrawn is None
    assert not TextDraft.objects.filter(status=TextDraft.Status.PENDING).exists()


def test_an_advisory_sends_the_published_text_while_a_draft_waits(
    editor: User, outbox: list[Any], settings: Any, django_capture_on_commit_callbacks: Any, shared_redis: str
) -> None:
    from messaging.tasks import start_senders
    from reminders import services as reminder_services

    settings.REMINDER_QUIET_HOURS = "00:00-00:00"
    person = make_contact(
        phone_number="+32470000001", language_id="nl", reminder_times=["09:00"], time_zone="Europe/Brussels"
    )
    reminder_services.plan_reschedule(plan(person))
    heat = TopicTranslation.objects.get(topic__slug=Topic.HEAT, language="nl")
    review.draft_save(translation=heat, sms_text="ONTWERP, niet goedgekeurd.", voice_text="", author=editor)
    operator = logged_in(member("olga", "operators"))

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            "/admin/reminders/broadcast/add/", {"topic": Topic.objects.get(slug="heat").pk, "_confirm": "1"}
        )
    start_senders()  # beat's task

    assert response.status_code == 302
    assert [m.body for m in outbox] == [heat.sms_text]


@pytest.mark.parametrize(
    ("language", "words"),
    [("nl", "Goedkeuren en publiceren"), ("fr", "Approuver et publier"), ("de", "Freigeben und veröffentlichen")],
)
def test_the_review_pages_speak_belgiums_languages(editor: User, clinician: User, language: str, words: str) -> None:
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None
    topic = Topic.objects.get(slug="cramp")
    page = logged_in(clinician)

    review_page = page.get(f"/admin/advice/textdraft/{draft.pk}/change/", HTTP_ACCEPT_LANGUAGE=language)
    history_page = page.get(f"/admin/advice/topic/{topic.pk}/texts-history/", HTTP_ACCEPT_LANGUAGE=language)

    assert words in review_page.content.decode()
    assert history_page.status_code == 200
    assert {"nl": "Ontwerpen", "fr": "Brouillons", "de": "Entwürfe"}[language] in history_page.content.decode()


def test_the_topic_list_shows_which_languages_await_review(editor: User) -> None:
    review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)

    page = logged_in(editor).get("/admin/advice/topic/").content.decode()

    assert '<td class="field-awaiting_review">en</td>' in page


def test_a_clinician_receives_the_draft_on_their_own_phone_before_approving(
    editor: User, clinician: User, outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    draft = review.draft_save(translation=cramp_en(), sms_text=NEW_EN, voice_text="", author=editor)
    assert draft is not None
    page = logged_in(clinician)

    refused = page.post(f"/admin/advice/textdraft/{draft.pk}/change/", {"test_number": "INFO", "_send_test": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        sent = page.post(
            f"/admin/advice/textdraft/{draft.pk}/change/", {"test_number": "0470 99 88 77", "_send_test": "1"}
        )

    assert refused.status_code == 200 and "Enter your phone number" in refused.content.decode()
    assert sent.status_code == 302 and sent["Location"] == f"/admin/advice/textdraft/{draft.pk}/change/"
    assert [(m.to, m.body) for m in outbox] == [("+32470998877", NEW_EN)]
    assert cramp_en().sms_text != NEW_EN  # a preview publishes nothing
    draft.refresh_from_db()
    assert draft.status == TextDraft.Status.PENDING


def test_a_clinician_registers_a_new_source_version_in_the_admin(clinician: User) -> None:
    first = Source.objects.get(title="Leg cramps", version=1)
    changed = first.full_text.replace("It is advisable to reduce", "It is strongly advisable to reduce")

    response = logged_in(clinician).post(
        "/admin/advice/source/add/",
        {"title": "Leg cramps", "publisher": "ebpracticenet", "guide_year": "2013", "full_text": changed},
    )

    assert response.status_code == 302
    second = Source.objects.get(title="Leg cramps", version=2)
    assert second.passages.count() == first.passages.count()
    flagged = set(TopicTranslation.objects.filter(needs_review=True).values_list("topic__slug", flat=True))
    assert flagged == {"prevention", "reminder-alcohol-caffeine"}
    page = logged_in(clinician).get(f"/admin/advice/source/{second.pk}/change/").content.decode()
    assert "It is strongly advisable to reduce" in page and second.sha256 in page
