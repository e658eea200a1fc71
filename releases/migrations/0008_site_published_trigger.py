"""Keep `Publication.site_published_at` / `site_published_on` in the database.

An item is on its agency's public column while it has a published release on a site channel
of its own agency (publicsite.selectors). The column's pages used to find that out per item
by joining every approved item of the agency to its releases and channels, then sorting
them all by the release's time: 3.9 s for the index page of an agency with 9,000 items on
its site. The two columns carry the earliest such release's time (its row's `updated_at`
if it has none) and date, NULL while there is none, so a page reads the first rows of a
partial index (publications/migrations/0007_site_published).

Triggers, not the services, write them, so that no writer of releases or channels can leave
them behind: delivery, retraction, the publisher's confirmation, the admin changing a
channel's kind or agency, a deleted row, a COPY. On PostgreSQL they are statement-level
triggers with transition tables: one UPDATE per statement, for the items whose releases
changed in a way that matters (status, time, date, channel, item), none for a lease claim.
On SQLite, row triggers do the same for the embedded mode.
"""

from django.db import migrations

# the items in `ids`, each set from its earliest published release on a site channel of
# its own agency; rows already right are not written again
PG_REFRESH = """
CREATE FUNCTION releases_refresh_site_published(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE publications_publication p
       SET site_published_at = f.at, site_published_on = f.day
      FROM publications_publication q
      LEFT JOIN LATERAL (
            SELECT COALESCE(r.published_at, r.updated_at) AS at, r.published_on AS day
              FROM releases_release r JOIN agencies_channel c ON c.id = r.channel_id
             WHERE r.publication_id = q.id AND r.status = 'published'
               AND c.kind = 'site' AND c.agency_id = q.agency_id
             ORDER BY r.published_at NULLS LAST, r.id
             LIMIT 1) f ON true
     WHERE q.id = ANY(ids) AND p.id = q.id
       AND (p.site_published_at IS DISTINCT FROM f.at
            OR p.site_published_on IS DISTINCT FROM f.day)
$$;

CREATE FUNCTION releases_release_site_published() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT publication_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT publication_id FROM old_rows);
    ELSE
        ids := ARRAY(
            SELECT n.publication_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.status, n.published_at, n.published_on, n.channel_id, n.publication_id)
                   IS DISTINCT FROM
                   (o.status, o.published_at, o.published_on, o.channel_id, o.publication_id)
            UNION
            SELECT o.publication_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.publication_id <> o.publication_id);
    END IF;
    IF cardinality(ids) > 0 THEN
        PERFORM releases_refresh_site_published(ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION releases_channel_site_published() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    ids := ARRAY(
        SELECT DISTINCT r.publication_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN releases_release r ON r.channel_id = n.id
         WHERE (n.kind, n.agency_id) IS DISTINCT FROM (o.kind, o.agency_id));
    IF cardinality(ids) > 0 THEN
        PERFORM releases_refresh_site_published(ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER releases_site_published_insert AFTER INSERT ON releases_release
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION releases_release_site_published();
CREATE TRIGGER releases_site_published_update AFTER UPDATE ON releases_release
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION releases_release_site_published();
CREATE TRIGGER releases_site_published_delete AFTER DELETE ON releases_release
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION releases_release_site_published();
CREATE TRIGGER releases_site_published_channel AFTER UPDATE ON agencies_channel
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION releases_channel_site_published();

SELECT releases_refresh_site_published(ARRAY(
    SELECT DISTINCT r.publication_id FROM releases_release r
      JOIN agencies_channel c ON c.id = r.channel_id
     WHERE r.status = 'published' AND c.kind = 'site'));
"""

PG_DROP = """
DROP TRIGGER IF EXISTS releases_site_published_channel ON agencies_channel;
DROP TRIGGER IF EXISTS releases_site_published_delete ON releases_release;
DROP TRIGGER IF EXISTS releases_site_published_update ON releases_release;
DROP TRIGGER IF EXISTS releases_site_published_insert ON releases_release;
DROP FUNCTION IF EXISTS releases_channel_site_published();
DROP FUNCTION IF EXISTS releases_release_site_published();
DROP FUNCTION IF EXISTS releases_refresh_site_published(bigint[]);
"""


def _sqlite_first(column: str) -> str:
    return f"""(SELECT {column} FROM releases_release r
                  JOIN agencies_channel c ON c.id = r.channel_id
                 WHERE r.publication_id = publications_publication.id
                   AND r.status = 'published' AND c.kind = 'site'
                   AND c.agency_id = publications_publication.agency_id
                 ORDER BY r.published_at IS NULL, r.published_at, r.id LIMIT 1)"""


SQLITE_SET = (f"UPDATE publications_publication SET "
              f"site_published_at = {_sqlite_first('COALESCE(r.published_at, r.updated_at)')}, "
              f"site_published_on = {_sqlite_first('r.published_on')}")

SQLITE_CREATE = [
    f"""CREATE TRIGGER releases_site_published_insert AFTER INSERT ON releases_release
        BEGIN {SQLITE_SET} WHERE id = NEW.publication_id; END""",
    f"""CREATE TRIGGER releases_site_published_update
        AFTER UPDATE OF status, published_at, published_on, channel_id, publication_id
        ON releases_release
        BEGIN {SQLITE_SET} WHERE id IN (NEW.publication_id, OLD.publication_id); END""",
    f"""CREATE TRIGGER releases_site_published_delete AFTER DELETE ON releases_release
        BEGIN {SQLITE_SET} WHERE id = OLD.publication_id; END""",
    f"""CREATE TRIGGER releases_site_published_channel
        AFTER UPDATE OF kind, agency_id ON agencies_channel
        BEGIN {SQLITE_SET} WHERE id IN
            (SELECT publication_id FROM releases_release WHERE channel_id = NEW.id); END""",
    f"""{SQLITE_SET} WHERE id IN (SELECT publication_id FROM releases_release
                                   WHERE status = 'published')""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS releases_site_published_{name}"
               for name in ("insert", "update", "delete", "channel")]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REFRESH, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0007_agency_digest_and_quiet_hours"),
        ("publications", "0007_site_published"),
        ("releases", "0007_list_indexes"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
