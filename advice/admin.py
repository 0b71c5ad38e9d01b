"""Admin for the content: languages, topics with every translation inline, keywords, and review.

Saving a translation on a topic's page stores a draft (advice.review.draft_save); the
published text beside it keeps going out until a clinician who did not write the draft
approves it on the "texts awaiting review" page, which shows the exact message first.
"""

from __future__ import annotations

import difflib
import html
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from advice import previews, review
from advice.encoding import GSM7_BASIC, GSM7_EXTENDED, fill_placeholders, render_sms_text, sms_size, split_segments
from advice.models import Keyword, Language, Passage, Source, TextDraft, Topic, TopicTranslation
from advice.voice import SAY_MAX_CHARACTERS, needs_voice_text, placeholders, spoken_seconds

if TYPE_CHECKING:
    HistoryAdmin = admin.ModelAdmin
else:  # the library is untyped; it is a ModelAdmin with history and revert views
    from simple_history.admin import SimpleHistoryAdmin as HistoryAdmin


def size_template(segments: int) -> str:
    # Literal strings, so that makemessages finds them.
    return ngettext(
        "%(encoding)s, %(characters)d characters, %(segments)d segment",
        "%(encoding)s, %(characters)d characters, %(segments)d segments",
        segments,
    )


def describe_sms(text: str) -> str:
    """ "GSM-7, 232 characters, 2 segments", and the characters that force UCS-2 if any."""
    body = render_sms_text(text or "")
    size = sms_size(body)
    summary = size_template(size.segments) % {
        "encoding": size.encoding,
        "characters": size.characters,
        "segments": size.segments,
    }
    costly = sorted({char for char in body if char not in GSM7_BASIC and char not in GSM7_EXTENDED})
    if costly:
        summary += " " + str(_("(UCS-2 because of: %(chars)s)")) % {"chars": " ".join(costly)}
    return summary


def describe_voice(text: str) -> str:
    """ "about 25 seconds spoken, 412 characters", and a warning past one <Say>'s limit."""
    if not text.strip():
        return "-"
    summary = gettext("about %(seconds)d seconds spoken, %(characters)d characters") % {
        "seconds": spoken_seconds(text),
        "characters": len(text),
    }
    if len(text) > SAY_MAX_CHARACTERS:
        summary += " " + gettext("(too long for one call prompt: at most %(max)d characters)") % {
            "max": SAY_MAX_CHARACTERS
        }
    return summary


def word_diff(old: str, new: str) -> SafeString:
    """The new text with the words that changed marked: removed words struck, added words underlined."""
    before, after = old.split(), new.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(html.escape(" ".join(after[j1:j2])))
            continue
        if i2 > i1:
            parts.append(f'<del style="background:#fdd">{html.escape(" ".join(before[i1:i2]))}</del>')
        if j2 > j1:
            parts.append(f'<ins style="background:#dfd">{html.escape(" ".join(after[j1:j2]))}</ins>')
    return mark_safe(" ".join(parts))  # noqa: S308 - every word is escaped above


def _who(user: Any) -> str:
    return user.get_username() if user is not None else gettext("the system")


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


# Example values for the placeholders, so that a preview reads like a real message.
PREVIEW_VALUES = {
    "times": "08:30, 21:00",
    "start": "22:00",
    "end": "07:00",
    "input": "25:99",
    "example": "08:30 21:00",
    "quiet": "22:00-07:00",
    "max": "4",
    "date": "28/02/2027",
}


def preview_body(text: str, language: str) -> str:
    """The exact message a person receives: placeholders filled with examples, rendered as sent."""
    params = dict(PREVIEW_VALUES)
    zone = TopicTranslation.objects.filter(topic__slug=Topic.ZONE_LOCAL, language_id=language).first()
    params["zone"] = zone.sms_text if zone else "Belgian time"
    return render_sms_text(fill_placeholders(text, params))


def preview_segments(text: str, language: str) -> list[str]:
    """The parts a phone shows, as the network splits the message."""
    return split_segments(preview_body(text, language))


def render_preview(text: str, language: str) -> SafeString:
    segments = preview_segments(text, language)
    rows = format_html_join(
        "",
        '<li><pre style="white-space:pre-wrap;margin:0 0 .5em">{}</pre></li>',
        ((segment,) for segment in segments),
    )
    return format_html(
        "<div>{}</div><ol>{}</ol>",
        ngettext("%(count)d part on the phone", "%(count)d parts on the phone", len(segments))
        % {"count": len(segments)},
        rows,
    )


def render_comparison(translation: TopicTranslation) -> SafeString:
    """Published text and pending draft side by side, changed words marked, sizes, who and when."""
    draft = review.pending_draft(translation)
    approval = review.last_approval(translation)
    published = format_html(
        "<strong>{}</strong><pre style='white-space:pre-wrap'>{}</pre><div>{}</div><div>{}</div>",
        gettext("Published (what is sent)"),
        translation.sms_text or "-",
        describe_sms(translation.sms_text) if translation.sms_text else "",
        gettext("written by %(author)s, approved by %(reviewer)s on %(when)s, review due %(due)s")
        % {
            "author": _who(approval.author),
            "reviewer": _who(approval.reviewer),
            "when": _when(approval.reviewed_at),
            "due": translation.review_due or "-",
        }
        if approval
        else "",
    )
    if draft is None:
        proposed = format_html("<em>{}</em>", gettext("No draft awaiting review."))
    else:
        proposed = format_html(
            "<strong>{}</strong><div style='white-space:pre-wrap;font-family:monospace'>{}</div><div>{}</div>"
            "<div>{}</div><div><a href='{}'>{}</a></div>",
            gettext("Draft awaiting review"),
            word_diff(translation.sms_text, draft.sms_text),
            describe_sms(draft.sms_text),
            gettext("written by %(author)s on %(when)s")
            % {"author": _who(draft.author), "when": _when(draft.created_at)},
            reverse("admin:advice_textdraft_change", args=[draft.pk]),
            gettext("Review this draft"),
        )
    flag = ""
    if translation.needs_review:
        flag = format_html(
            '<p style="color:#ba2121"><strong>{}</strong></p>',
            gettext("Its source passage changed: a clinician must approve it again."),
        )
    returned = translation.drafts.filter(status=TextDraft.Status.RETURNED).first()
    sent_back = ""
    if returned is not None and (draft is None or (returned.reviewed_at and returned.reviewed_at > draft.created_at)):
        sent_back = format_html(
            "<p><strong>{}</strong> {}</p>",
            gettext("Sent back by %(reviewer)s:") % {"reviewer": _who(returned.reviewer)},
            returned.comment,
        )
    return format_html(
        '{}{}<table style="width:100%"><tr><td style="width:50%;vertical-align:top">{}</td>'
        '<td style="vertical-align:top">{}</td></tr></table>',
        flag,
        sent_back,
        published,
        proposed,
    )


@admin.register(Language)
class LanguageAdmin(HistoryAdmin[Language]):
    list_display = ["code", "name", "priority", "voice_language", "voice_name", "speech_language"]
    list_editable = ["priority"]
    ordering = ["priority", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "priority"]}),
        (_("Voice"), {"fields": ["voice_language", "voice_name", "speech_language"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Language | None = None) -> list[str]:
        return ["code"] if obj else []


class NewlineTextField(forms.CharField):
    """Browsers send a textarea's line breaks as CRLF: an unchanged text must compare equal."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n")


class TranslationForm(forms.ModelForm[TopicTranslation]):
    """Shows the pending draft, when there is one, so that an editor goes on editing it.

    A voice prompt's SMS text is not edited: it repeats the voice text (the model requires one).
    """

    prompt: str | None

    class Meta:
        model = TopicTranslation
        fields = ["language", "sms_text", "voice_text", "voice_label"]
        field_classes = {"sms_text": NewlineTextField, "voice_text": NewlineTextField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Changing the language of a published text would publish it unreviewed in another.
            self.fields["language"].disabled = True
            draft = review.pending_draft(self.instance)
            if draft is not None:
                self.initial["sms_text"] = draft.sms_text
                self.initial["voice_text"] = draft.voice_text
                self.initial["voice_label"] = draft.voice_label
        self.prompt = self._voice_prompt()
        if self.prompt is not None:
            # Never texted: the SMS text the model requires repeats the voice text on save.
            self.fields["sms_text"].required = False
            self.fields["sms_text"].disabled = True
            self.fields["sms_text"].help_text = _("A voice prompt is never texted: this repeats the voice text.")
            self.fields["voice_text"].required = True

    def _voice_prompt(self) -> str | None:
        topic_id = self.instance.topic_id
        if topic_id is None:
            return None
        slug = Topic.objects.filter(pk=topic_id).values_list("slug", flat=True).first()
        return slug if slug in Topic.VOICE_PROMPTS else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        voice = data.get("voice_text") or ""
        if len(voice) > SAY_MAX_CHARACTERS:
            self.add_error(
                "voice_text",
                ValidationError(
                    gettext("A call says at most %(max)d characters at once.") % {"max": SAY_MAX_CHARACTERS},
                    code="too_long_to_say",
                ),
            )
        if self.prompt is not None:
            expected = set(Topic.VOICE_PROMPTS[self.prompt])
            if voice and placeholders(voice) != expected:
                names = ", ".join("{" + name + "}" for name in sorted(expected)) or gettext("none")
                self.add_error(
                    "voice_text",
                    ValidationError(
                        gettext("This prompt needs exactly these words in braces: %(names)s.") % {"names": names},
                        code="placeholders",
                    ),
                )
            data["sms_text"] = voice
        return data


class TopicTranslationInline(admin.StackedInline[TopicTranslation, Topic]):
    model = TopicTranslation
    form = TranslationForm
    extra = 0
    fields = ["language", "review", "sms_text", "sms_size", "voice_text", "voice_duration", "voice_label"]
    readonly_fields = ["review", "sms_size", "voice_duration"]
    verbose_name_plural = _(
        "translations (one per language; a missing one falls back to the default language). Saving stores a "
        "draft: the published text keeps going out until a clinician approves the draft."
    )

    class Media:
        js = ["advice/sms_size.js"]  # the size, live, as an editor types

    @admin.display(description=_("published and draft"))
    def review(self, obj: TopicTranslation) -> str:
        return render_comparison(obj) if obj.pk else "-"

    @admin.display(description=_("SMS size"))
    def sms_size(self, obj: TopicTranslation) -> str:
        # sms_size.js updates this as the editor types, with the same translated wording.
        draft = review.pending_draft(obj) if obj.pk else None
        return format_html(
            '<span class="sms-size" data-one="{}" data-many="{}" data-costly="{}">{}</span>',
            size_template(1),
            size_template(2),
            _("(UCS-2 because of: %(chars)s)"),
            describe_sms(draft.sms_text if draft else obj.sms_text) if obj.pk else "-",
        )

    @admin.display(description=_("spoken duration"))
    def voice_duration(self, obj: TopicTranslation) -> str:
        draft = review.pending_draft(obj) if obj.pk else None
        return describe_voice(draft.voice_text if draft else obj.voice_text) if obj.pk else "-"

    def get_extra(self, request: HttpRequest, obj: Topic | None = None, **kwargs: Any) -> int:
        return len(_missing_languages(obj))


class KeywordInline(admin.TabularInline[Keyword, Topic]):
    model = Keyword
    fk_name = "topic"
    extra = 0
    fields = ["word", "language", "action", "whole_message_only"]
    verbose_name_plural = _("keywords that reply with this topic")


def _missing_languages(topic: Topic | None) -> list[str]:
    present = set(topic.translations.values_list("language_id", flat=True)) if topic and topic.pk else set()
    return [code for code in Language.objects.values_list("code", flat=True) if code not in present]


@admin.register(Topic)
class TopicAdmin(HistoryAdmin[Topic]):
    list_display = [
        "name",
        "slug",
        "kind",
        "voice_digit",
        "translation_sizes",
        "missing_translations",
        "missing_voice_texts",
        "awaiting_review",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "translations__sms_text"]
    inlines = [TopicTranslationInline, KeywordInline]
    readonly_fields = ["text_history", "source_passages"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "position", "general", "voice_digit", "text_history"]}),
        (_("Source"), {"fields": ["source", "source_passages", "passages"]}),
    ]
    filter_horizontal = ["passages"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).prefetch_related("translations__drafts").distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Topic | None = None) -> list[str]:
        # The code sends service messages by slug.
        fixed = ["slug", "kind"] if obj and obj.slug in Topic.SYSTEM_SLUGS else []
        return [*self.readonly_fields, *fixed]

    def has_delete_permission(self, request: HttpRequest, obj: Topic | None = None) -> bool:
        if obj is not None and obj.slug in Topic.SYSTEM_SLUGS:
            return False
        return super().has_delete_permission(request, obj)

    def get_formset_kwargs(self, request: HttpRequest, obj: Topic, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, TopicTranslationInline) and request.method == "GET":
            kwargs["initial"] = [{"language": code} for code in _missing_languages(obj)]
        return kwargs

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet[Any, Any, Any], change: bool
    ) -> None:
        if formset.model is TopicTranslation:
            self._save_translations_as_drafts(request, formset)
        elif formset.model is Keyword:
            for keyword in formset.save(commit=False):
                review.keyword_changed(keyword=keyword, author=request.user)
                keyword.save()
            for deleted in formset.deleted_objects:
                deleted.delete()
        else:
            super().save_formset(request, form, formset, change)

    def _save_translations_as_drafts(self, request: HttpRequest, formset: BaseInlineFormSet[Any, Any, Any]) -> None:
        formset.save(commit=False)  # fills new_objects, changed_objects, deleted_objects for the change log
        drafted = 0
        for translation_form in formset.forms:
            if translation_form in formset.deleted_forms or not translation_form.has_changed():
                continue
            instance = translation_form.instance
            if instance.pk is None:
                # A new language starts with nothing published: it falls back until approved.
                instance.sms_text = ""
                instance.voice_text = ""
                instance.save()
                translation = instance
            else:
                translation = TopicTranslation.objects.get(pk=instance.pk)
            draft = review.draft_save(
                translation=translation,
                sms_text=translation_form.cleaned_data["sms_text"],
                voice_text=translation_form.cleaned_data.get("voice_text", ""),
                voice_label=translation_form.cleaned_data.get("voice_label", ""),
                author=request.user,
            )
            drafted += draft is not None
        for deleted in formset.deleted_objects:
            deleted.delete()
        if drafted:
            messages.info(
                request,
                ngettext(
                    "%(count)d text saved as a draft: the published text keeps going out until a clinician "
                    "approves it.",
                    "%(count)d texts saved as drafts: the published texts keep going out until a clinician "
                    "approves them.",
                    drafted,
                )
                % {"count": drafted},
            )

    def get_urls(self) -> list[Any]:
        history = path(
            "<path:object_id>/texts-history/",
            self.admin_site.admin_view(self.texts_history_view),
            name="advice_topic_texts_history",
        )
        return [history, *super().get_urls()]

    def texts_history_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every published version of every translation, and every draft, with restore as a draft."""
        topic = get_object_or_404(Topic, pk=object_id)
        if not self.has_view_or_change_permission(request, topic):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm("advice.add_textdraft"):
                raise PermissionDenied
            version = get_object_or_404(
                TopicTranslation.history.model, pk=request.POST.get("history_id"), topic_id=topic.pk
            )
            draft = review.draft_restore(version=version, author=request.user)
            if draft is None:
                messages.info(request, gettext("That version is the published text already."))
            else:
                messages.success(
                    request, gettext("Restored as a draft: a clinician must approve it before it is sent.")
                )
            return HttpResponseRedirect(reverse("admin:advice_topic_texts_history", args=[topic.pk]))
        versions = list(
            TopicTranslation.history.model.objects.filter(topic_id=topic.pk)
            .select_related("history_user")
            .order_by("language_id", "-history_id")
        )
        rows = []
        for index, version in enumerate(versions):
            older = versions[index + 1] if index + 1 < len(versions) else None
            same = older is not None and older.language_id == version.language_id
            rows.append(
                {
                    "version": version,
                    "who": _who(version.history_user),
                    "diff": word_diff(older.sms_text if same and older else "", version.sms_text),
                }
            )
        drafts = TextDraft.objects.filter(translation__topic=topic).select_related("author", "reviewer", "translation")
        keyword_versions = Keyword.history.model.objects.filter(topic_id=topic.pk).select_related("history_user")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("History of %(topic)s") % {"topic": topic},
            "topic": topic,
            "opts": self.opts,
            "rows": rows,
            "drafts": drafts,
            "keyword_versions": keyword_versions,
            "can_restore": request.user.has_perm("advice.add_textdraft"),
        }
        return TemplateResponse(request, "admin/advice/topic/texts_history.html", context)

    @admin.display(description=_("history"))
    def text_history(self, obj: Topic) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:advice_topic_texts_history", args=[obj.pk]),
            gettext("History of texts, drafts and keywords (restore an earlier version as a draft)"),
        )

    @admin.display(description=_("passages this topic renders"))
    def source_passages(self, obj: Topic) -> str:
        if not obj.pk:
            return "-"
        rows = [
            (f"{p.source.title} v{p.source.version} §{p.position}", p.heading, p.text)
            for p in obj.passages.select_related("source")
        ]
        if not rows:
            return "-"
        return format_html_join(
            "", '<p><strong>{}</strong> <em>{}</em><br><span style="white-space:pre-wrap">{}</span></p>', rows
        )

    @admin.display(description=_("SMS size per language"))
    def translation_sizes(self, obj: Topic) -> str:
        rows = [(t.language_id, describe_sms(t.sms_text)) for t in obj.translations.all()]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj: Topic) -> str:
        present = {t.language_id for t in obj.translations.all() if t.sms_text.strip()}
        missing = [code for code in Language.objects.values_list("code", flat=True) if code not in present]
        if not missing:
            return "-"
        return format_html('<strong style="color:#ba2121">{}</strong>', ", ".join(missing))

    @admin.display(description=_("missing voice texts"))
    def missing_voice_texts(self, obj: Topic) -> str:
        if not needs_voice_text(obj):
            return "-"
        present = {t.language_id for t in obj.translations.all() if t.voice_text.strip()}
        missing = [code for code in Language.objects.values_list("code", flat=True) if code not in present]
        if not missing:
            return "-"
        return format_html('<strong style="color:#ba2121">{}</strong>', ", ".join(missing))

    @admin.display(description=_("awaiting review"))
    def awaiting_review(self, obj: Topic) -> str:
        codes = sorted(
            {
                t.language_id
                for t in obj.translations.all()
                if t.needs_review or any(d.status == TextDraft.Status.PENDING for d in t.drafts.all())
            }
        )
        return ", ".join(codes) or "-"


class KeywordForm(forms.ModelForm[Keyword]):
    class Meta:
        model = Keyword
        fields = ["word", "language", "action", "whole_message_only", "topic", "target_language"]


@admin.register(Keyword)
class KeywordAdmin(HistoryAdmin[Keyword]):
    list_display = [
        "word",
        "language",
        "action",
        "topic",
        "target_language",
        "whole_message_only",
        "normalized",
        "pending_review",
        "changed_by",
        "approved_by",
    ]
    list_filter = ["pending_review", "language", "action", "whole_message_only", "topic"]
    search_fields = ["word", "normalized"]
    list_select_related = ["language", "topic", "target_language", "changed_by", "approved_by"]
    fieldsets = [(None, {"fields": ["word", "language", "action", "whole_message_only", "topic", "target_language"]})]
    actions = ["approve"]

    def save_model(self, request: HttpRequest, obj: Keyword, form: Any, change: bool) -> None:
        review.keyword_changed(keyword=obj, author=request.user)
        super().save_model(request, obj, form, change)
        messages.info(request, gettext("The keyword takes effect once a clinician approves it."))

    @admin.action(description=_("Approve the selected keywords"), permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Keyword]) -> None:
        approved = 0
        for keyword in queryset.filter(pending_review=True):
            try:
                review.keyword_approve(keyword=keyword, reviewer=request.user)
            except ValidationError as error:
                self.message_user(request, f"{keyword}: {' '.join(error.messages)}", messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(
                request,
                ngettext("%(count)d keyword approved.", "%(count)d keywords approved.", approved) % {"count": approved},
            )

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("advice.approve_keyword")


class DraftStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(value, label) for value, label in TextDraft.Status.choices if value != TextDraft.Status.PENDING] + [
            ("all", _("all"))
        ]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": TextDraft.Status.PENDING.label,
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset.filter(status=TextDraft.Status.PENDING)
        if self.value() == "all":
            return queryset
        return queryset.filter(status=self.value())


class ReviewForm(forms.ModelForm[TextDraft]):
    request: HttpRequest

    test_number = forms.CharField(
        label=_("your test number"),
        required=False,
        max_length=32,
        help_text=_("Your own phone, to receive this draft exactly as a person would. It is kept in the message log."),
    )

    class Meta:
        model = TextDraft
        fields = ["comment"]

    def clean_test_number(self) -> str:
        raw = str(self.cleaned_data.get("test_number") or "").strip()
        if "_send_test" not in self.data:
            return raw
        number = previews.preview_sender().number(raw) if raw else None
        if number is None:
            raise ValidationError(gettext("Enter your phone number, such as +32470123456."), code="test_number")
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        post = self.data
        if "_send_test" in post and not self.request.user.has_perm("advice.approve_textdraft"):
            raise ValidationError(gettext("Only a clinician can approve texts and keywords."), code="not_clinician")
        if "_approve" not in post and "_return" not in post:
            return data
        if self.instance.status != TextDraft.Status.PENDING:
            raise ValidationError(gettext("This draft is no longer awaiting review."), code="not_pending")
        if not self.request.user.has_perm("advice.approve_textdraft"):
            raise ValidationError(gettext("Only a clinician can approve texts and keywords."), code="not_clinician")
        if self.instance.author_id is not None and self.instance.author_id == self.request.user.pk:
            raise ValidationError(
                gettext("You wrote this change: another clinician has to approve it (four-eyes rule)."),
                code="own_change",
            )
        if "_return" in post and not (data.get("comment") or "").strip():
            raise ValidationError(
                {"comment": gettext("Say what should change: the author reads this comment.")}, code="comment_required"
            )
        return data


@admin.register(TextDraft)
class TextDraftAdmin(admin.ModelAdmin[TextDraft]):
    """The list of everything awaiting review, and the page where a clinician decides."""

    form = ReviewForm
    list_display = ["translation", "status", "author", "created_at", "note", "reviewer", "reviewed_at"]
    list_filter = [DraftStatusFilter, "translation__language", "translation__topic__kind"]
    list_select_related = ["translation__topic", "author", "reviewer"]
    search_fields = ["sms_text", "translation__topic__name", "translation__topic__slug"]
    readonly_fields = [
        "translation",
        "status",
        "author",
        "created_at",
        "note",
        "comparison",
        "preview",
        "passages",
        "reviewer",
        "reviewed_at",
        "decide",
        "send_test",
    ]
    fieldsets = [
        (None, {"fields": ["translation", "status", "author", "created_at", "note"]}),
        (_("What changes"), {"fields": ["comparison", "passages"]}),
        (_("What a person receives"), {"fields": ["preview", "test_number", "send_test"]}),
        (_("Review"), {"fields": ["reviewer", "reviewed_at", "comment", "decide"]}),
    ]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The decision buttons replace "save": a comment alone changes nothing.
        buttons = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().changeform_view(request, object_id, form_url, {**(extra_context or {}), **buttons})

    def get_form(self, request: HttpRequest, obj: TextDraft | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    @admin.display(description=_("published and draft"))
    def comparison(self, obj: TextDraft) -> str:
        published = obj.translation.sms_text
        return format_html(
            '<table style="width:100%"><tr><th>{}</th><th>{}</th></tr><tr>'
            '<td style="width:50%;vertical-align:top;white-space:pre-wrap">{}<br><br>{}</td>'
            '<td style="vertical-align:top;white-space:pre-wrap">{}<br><br>{}</td></tr>'
            '<tr><td colspan="2"><strong>{}</strong><br>{}<br>{}</td></tr>'
            '<tr><td colspan="2"><strong>{}</strong><br>{}</td></tr></table>',
            gettext("Published (what is sent)"),
            gettext("This draft"),
            published or "-",
            describe_sms(published) if published else "",
            word_diff(published, obj.sms_text),
            describe_sms(obj.sms_text),
            gettext("voice text"),
            word_diff(obj.translation.voice_text, obj.voice_text) or "-",
            describe_voice(obj.voice_text),
            gettext("phone menu label"),
            word_diff(obj.translation.voice_label, obj.voice_label) or "-",
        )

    @admin.display(description=_("preview"))
    def preview(self, obj: TextDraft) -> str:
        return render_preview(obj.sms_text, obj.translation.language_id)

    @admin.display(description=_("source passages"))
    def passages(self, obj: TextDraft) -> str:
        rows = [(p.heading, p.text) for p in obj.translation.topic.passages.all()]
        return format_html_join("", "<p><em>{}</em><br>{}</p>", rows) if rows else "-"

    @admin.display(description="")
    def send_test(self, obj: TextDraft) -> str:
        return format_html('<input type="submit" name="_send_test" value="{}">', gettext("Send it to my phone"))

    @admin.display(description=_("decision"))
    def decide(self, obj: TextDraft) -> str:
        if obj.status != TextDraft.Status.PENDING:
            return obj.get_status_display()
        return format_html(
            '<input type="submit" class="default" name="_approve" value="{}"> '
            '<input type="submit" name="_return" value="{}">',
            gettext("Approve and publish"),
            gettext("Send back with the comment"),
        )

    def save_model(self, request: HttpRequest, obj: TextDraft, form: Any, change: bool) -> None:
        if "_send_test" in request.POST:
            language = obj.translation.language_id
            previews.preview_sender().send(
                phone_number=form.cleaned_data["test_number"],
                body=preview_body(obj.sms_text, language),
                language=language,
                topic=obj.translation.topic,
            )
            messages.info(request, gettext("Sent to your phone: it arrives as a person would receive it."))
        elif "_approve" in request.POST:
            review.draft_approve(draft=obj, reviewer=request.user)
            messages.success(request, gettext("Published: the next message sends this text."))
        elif "_return" in request.POST:
            review.draft_return(draft=obj, reviewer=request.user, comment=form.cleaned_data["comment"])
            messages.info(request, gettext("Sent back to its author."))
        obj.refresh_from_db()

    def response_change(self, request: HttpRequest, obj: TextDraft) -> HttpResponse:
        if "_send_test" in request.POST:  # back to the same draft, to decide after reading the phone
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drafts are written on the topic's page

    def has_delete_permission(self, request: HttpRequest, obj: TextDraft | None = None) -> bool:
        return False


class ReviewDueFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("due", _("past its review date")), ("flagged", _("source changed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "due":
            return queryset.filter(review_due__lt=timezone.localdate())
        if self.value() == "flagged":
            return queryset.filter(needs_review=True)
        return queryset


@admin.register(TopicTranslation)
class PublishedTextAdmin(HistoryAdmin[TopicTranslation]):
    """Published texts, read-only: their review dates and flags. They change through drafts."""

    list_display = ["topic", "language", "needs_review", "review_due", "updated_at"]
    list_filter = [ReviewDueFilter, "needs_review", "language", "topic__kind"]
    list_select_related = ["topic", "language"]
    search_fields = ["sms_text", "topic__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PassageInline(admin.TabularInline[Passage, Source]):
    model = Passage
    extra = 0
    fields = ["position", "heading", "text"]
    readonly_fields = ["position", "heading", "text"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SourceForm(forms.ModelForm[Source]):
    class Meta:
        model = Source
        fields = ["title", "publisher", "guide_year", "updated_on", "adapted_on", "full_text"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    """Sources by version; adding one with an existing title registers its next version."""

    form = SourceForm
    list_display = ["title", "version", "publisher", "guide_year", "updated_on", "adapted_on", "registered_at"]
    inlines = [PassageInline]
    readonly_fields = ["version", "sha256", "registered_at"]

    def get_inline_instances(self, request: HttpRequest, obj: Source | None = None) -> list[Any]:
        return super().get_inline_instances(request, obj) if obj is not None else []  # passages come from the text

    def get_readonly_fields(self, request: HttpRequest, obj: Source | None = None) -> list[str]:
        if obj is None:
            return []
        return ["title", "publisher", "version", "guide_year", "updated_on", "adapted_on", "full_text", "sha256"]

    def get_fields(self, request: HttpRequest, obj: Source | None = None) -> Any:
        if obj is None:
            return list(SourceForm.Meta.fields)
        return ["title", "publisher", "version", "guide_year", "updated_on", "adapted_on", "sha256", "full_text"]

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        registered = review.source_register(
            title=obj.title,
            publisher=obj.publisher,
            full_text=obj.full_text,
            guide_year=obj.guide_year,
            updated_on=obj.updated_on,
            adapted_on=obj.adapted_on,
        )
        obj.pk = registered.pk
        obj.version = registered.version
        obj.sha256 = registered.sha256
        obj.registered_at = registered.registered_at
        flagged = TopicTranslation.objects.filter(needs_review=True).count()
        messages.info(
            request,
            gettext("Registered as version %(version)d; %(flagged)d texts now need review.")
            % {"version": registered.version, "flagged": flagged},
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # passages come from the full text

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
