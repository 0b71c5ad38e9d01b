"""The storage line: "We store your number. Text FORGET to erase it." (issue 12).

A person is told, in one line under the reply, that their number is stored and which word
erases it, at two moments:
- the first reply the service ever sends them: the answer to the message that made them a
  contact (whatever it asked: a topic, the menu, a language, STOP: their number stays
  stored as opted out, so the line is true there too). Exactly once: their next message is
  not from a new contact. FORGET's own confirmation never carries it (nothing stays stored);
- every reminder confirmation (`reminders-on`, `reminders-on-call`): they have just asked to be
  texted or called daily.

The line is the system topic `privacy-notice`, in the reply's language, edited and approved
like any text. messaging.text_costs measures every text that can carry it with it, and
tests/test_content_budget.py holds them to their segment budget.
"""

from __future__ import annotations

from advice import selectors as advice_selectors
from advice.encoding import render_sms_text
from advice.models import Topic

# Never carry the line: FORGET's confirmation, and texts that are never a reply by themselves.
WITHOUT_NOTICE = frozenset({Topic.FORGOTTEN, Topic.ZONE_LOCAL, Topic.PRIVACY_NOTICE})


def can_carry_privacy_notice(slug: str, kind: str) -> bool:
    """Whether this topic's text may go out with the line (a first reply can be any reply)."""
    return kind != Topic.Kind.REMINDER and slug not in WITHOUT_NOTICE


def carries_privacy_notice(*, topic: str, first_reply: bool) -> bool:
    if topic in WITHOUT_NOTICE:
        return False
    return first_reply or topic in (Topic.REMINDERS_ON, Topic.REMINDERS_ON_CALL)


def with_privacy_notice(text: str, language: str, *, topic: str, first_reply: bool) -> str:
    """`text` (a rendered reply in `language`, answering with `topic`), with the storage line
    under it when this reply carries it: the first reply to a new contact, or a reminder
    confirmation."""
    if not carries_privacy_notice(topic=topic, first_reply=first_reply):
        return text
    notice = advice_selectors.topic_text(Topic.PRIVACY_NOTICE, language)
    if notice is None or not notice.sms_text.strip():
        return text
    return render_sms_text(f"{text}\n{notice.sms_text}")
