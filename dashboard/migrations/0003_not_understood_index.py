"""An index for the dashboard's list of texts not understood, on the message log's table.

The list reads the newest inbound messages whose note is exactly "not understood: menu"
(advice.conversation.decide) within a period: a partial index on their creation time makes
that a short index scan instead of a walk through every message of the period (measured in
bench/dashboard.py). It is created here, in raw SQL that both SQLite and PostgreSQL accept,
so that the messaging app's models and migrations stay as they are: the dashboard reads the
message log, it does not change its shape.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS dashboard_not_understood_idx ON messaging_message (created_at) "
    "WHERE direction = 'in' AND note = 'not understood: menu'"
)
DROP = "DROP INDEX IF EXISTS dashboard_not_understood_idx"


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0002_roles"), ("messaging", "0008_message_contact")]

    operations = [migrations.RunSQL(CREATE, DROP)]
