"""Indexes for the statistics on tables owned by the releases and publications apps.

Statistics read the published releases of an agency's channels within a year (so
the cost does not grow with the years of history), and the documents (规章,
行政规范性文件) of an agency. The indexes are created here with SQL so the other
apps' models stay as they are; the statements work on PostgreSQL and SQLite.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("disclosure", "0002_seed_holidays"),
        ("releases", "0002_channelcall_release_attempts_and_more"),
        ("publications", "0004_publication_abolishes"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS disclosure_release_published "
            "ON releases_release (channel_id, published_on) WHERE status = 'published'",
            "DROP INDEX IF EXISTS disclosure_release_published",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS disclosure_publication_documents "
            "ON publications_publication (agency_id) "
            "WHERE document_type IN ('rule', 'normative_document')",
            "DROP INDEX IF EXISTS disclosure_publication_documents",
        ),
    ]
