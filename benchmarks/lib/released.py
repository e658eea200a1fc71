"""Released items at scale, generated in SQL (`lib.data.insert_select`): the data of the
statistics and of the annual report's table 二.

`organisation` makes agencies 1..A (code `bench_00001` …), each with an office section,
a drafter, 4 categories and 4 channels (site, WeChat, webhook, manual), with the ids the
generated items refer to. `released_items` then makes the items of `years` years ending
with `year`: each released on the site, 60 % also on WeChat, some on the county app and in
a newspaper (confirmed some days later); normative documents and rules, some abolished by
date and some by a later item's `abolishes`; 1 % retracted; plus `noise` (a share of the
items) that must not count (drafts, items in review, approved items with only pending or
failed releases, releases awaiting confirmation). `large_agencies` agencies (1..k) hold
`large_share` of the released items on top of their even share of the rest, as a few
big bureaux do. Plain rows only: no hash, no chain, no workflow state.
"""

from .data import insert_select

CHANNELS = [("website", "公开专栏", "site"), ("wechat", "微信公众号", "wechat"),
            ("county_media", "云上温县", "webhook"), ("city_daily", "焦作日报", "manual")]
CATEGORIES = [("work_updates", "工作动态"), ("licensing", "行政许可"), ("penalties", "行政处罚"),
              ("policies", "政策文件")]
CHUNK = 250_000  # rows per INSERT … SELECT (and per transaction)


def set_sequences(*models) -> None:
    """After rows with given ids: each table's sequence past its largest id."""
    from django.db import connection

    with connection.cursor() as cur:
        for model in models:
            table = model._meta.db_table
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")


def organisation(agencies: int, steps) -> None:
    """Agencies 1..A, office section g, drafter g, categories and channels (ids by agency)."""
    from agencies.models import Agency, Channel, Section, User
    from publications.models import Category

    a, n_chan, n_cat = agencies, len(CHANNELS), len(CATEGORIES)
    g = f"generate_series(1, {a}::bigint) AS g"
    steps("agencies", lambda: insert_select(Agency, {
        "id": "g", "code": "'bench_' || lpad(g::text, 5, '0')", "name": "'机关 ' || g"}, g))
    steps("sections", lambda: insert_select(Section, {
        "id": "g", "agency_id": "g", "code": "'office'", "name": "'办公室'"}, g))
    steps("drafters", lambda: insert_select(User, {
        "id": "g", "agency_id": "g", "section_id": "g", "username": "'drafter_' || g",
        "password": "'!'", "roles": "'[\"drafter\"]'::jsonb"}, g))
    cat_values = ", ".join(f"({k}, '{code}', '{name}')"
                           for k, (code, name) in enumerate(CATEGORIES))
    steps("categories", lambda: insert_select(Category, {
        "id": f"(g - 1) * {n_cat} + c.k + 1", "agency_id": "g", "code": "c.code",
        "name": "c.name"}, f"{g} CROSS JOIN (VALUES {cat_values}) AS c(k, code, name)"))
    chan_values = ", ".join(f"({k}, '{code}', '{name}', '{kind}')"
                            for k, (code, name, kind) in enumerate(CHANNELS))
    steps("channels", lambda: insert_select(Channel, {
        "id": f"(g - 1) * {n_chan} + c.k + 1", "agency_id": "g", "code": "c.code",
        "name": "c.name", "kind": "c.kind", "config": "'{}'::jsonb"},
        f"{g} CROSS JOIN (VALUES {chan_values}) AS c(k, code, name, kind)"))
    set_sequences(Agency, Section, User, Category, Channel)


def released_items(*, items: int, agencies: int, years: int, year: int, noise: float,
                   steps, large_agencies: int = 0, large_share: float = 0.0) -> int:
    """The items and their releases (see the module docstring); returns the items written.

    Items come in batches of consecutive ids: item g of a batch starting at `lo` spread
    over `m` agencies belongs to agency 1 + (g - lo) % m and has the "rank" r = (g - lo) / m,
    which orders that agency's items of the batch. Released on day ((g * 7919) % days) of
    the window; ranks ≡ 0 (mod 20) are normative documents (≡ 10 (mod 200): rules), rank ≡
    50 (mod 100) abolishes the document 50 ranks earlier (same agency); 1 % is retracted.
    Ids 1..`items` are released (all agencies, then the large agencies' extra share),
    the rest is noise over all agencies.
    """
    from django.db import connection

    from publications.models import Publication
    from releases.models import Release

    a, n_chan, n_cat = agencies, len(CHANNELS), len(CATEGORIES)
    first_year = year - years + 1
    days = 365 * years
    extra = round(items * large_share) if large_agencies else 0
    n_noise = int(items * noise)
    # (first id, count, agencies 1..m)
    batches = [(1, items - extra, a), (items - extra + 1, extra, large_agencies),
               (items + 1, n_noise, a)]
    pub_day = f"(DATE '{first_year}-01-01' + ((g * 7919) % {days})::int)"
    for first, count, m in batches:
        if not count:
            continue
        agency = f"(1 + (g - {first}) % {m})"
        rank = f"((g - {first}) / {m})"
        for lo in range(first, first + count, CHUNK):
            hi = min(lo + CHUNK - 1, first + count - 1)
            steps(f"publications {lo:,}–{hi:,}", lambda lo=lo, hi=hi, agency=agency,
                  rank=rank: insert_select(Publication, {
                      "id": "g", "agency_id": agency, "section_id": agency,
                      "drafter_id": agency,
                      "category_id": f"({agency} - 1) * {n_cat} + 1 + g % {n_cat}",
                      "title": "'信息 ' || g", "body": "''",
                      "status": (f"CASE WHEN g > {items} THEN (ARRAY['draft', 'in_review', "
                                 "'returned', 'withheld', 'withdrawn', 'approved'])[1 + g % 6] "
                                 "WHEN g % 100 = 7 THEN 'retracted' ELSE 'approved' END"),
                      "document_type": (f"CASE WHEN {rank} % 200 = 10 THEN 'rule' "
                                        f"WHEN {rank} % 20 = 0 THEN 'normative_document' "
                                        "ELSE '' END"),
                      "document_number": (f"CASE WHEN {rank} % 20 = 0 THEN '文〔' || g || '〕' "
                                          "ELSE '' END"),
                      "abolished_on": f"CASE WHEN {rank} % 60 = 20 THEN {pub_day} + 400 END",
                      "decision_type": ("(ARRAY['', '', 'licensing', 'penalty', 'enforcement'])"
                                        "[1 + (g / 7) % 5]"),
                      "decision_count": "1 + g % 9",
                      "fee_amount_yuan": "CASE WHEN g % 13 = 0 THEN (g % 100000) / 100.0 END",
                      "formed_on": f"{pub_day} - ((g * 31) % 40)::int",
                      "round": "1", "fingerprint": "repeat('f', 64)"},
                      f"generate_series({lo}::bigint, {hi}::bigint) AS g"))

    def releases(label, channel_k, condition, status, published_on):
        return steps(label, lambda: insert_select(Release, {
            "publication_id": "p.id", "channel_id": f"(p.agency_id - 1) * {n_chan} + {channel_k}",
            "round": "1", "fingerprint": "p.fingerprint", "status": status,
            "published_on": published_on},
            f"publications_publication AS p WHERE {condition}"))

    day_of = f"(DATE '{first_year}-01-01' + ((p.id * 7919) % {days})::int)"
    released = f"p.id <= {items}"
    counted = "CASE WHEN p.status = 'retracted' THEN 'retracted' ELSE 'published' END"
    releases("releases: website", 1, released, counted, day_of)
    releases("releases: wechat", 2, f"{released} AND p.id % 5 < 3", counted, day_of)
    releases("releases: county media", 3, f"{released} AND p.id % 7 = 1", counted,
             f"{day_of} + 1")
    releases("releases: city daily (confirmed)", 4, f"{released} AND p.id % 10 = 3", counted,
             f"{day_of} + 3 + (p.id % 9)::int")
    releases("releases: pending/failed (noise)", 1,
             f"p.id > {items} AND p.status = 'approved'",
             "(ARRAY['pending', 'failed', 'sending'])[1 + p.id % 3]", "NULL")
    releases("releases: awaiting confirmation", 4,
             f"{released} AND p.id % 10 = 5", "'awaiting_confirmation'", "NULL")
    link = Publication.abolishes.through
    for first, count, m in batches[:2]:
        if count:
            steps(f"abolishes links (ids {first:,}–)", lambda first=first, count=count, m=m:
                  insert_select(link, {
                      "from_publication_id": "g", "to_publication_id": f"g - 50 * {m}"},
                      f"generate_series({first}, {first + count - 1}::bigint) AS g "
                      f"WHERE ((g - {first}) / {m}) % 100 = 50"))
    set_sequences(Publication)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM publications_publication")
        return cur.fetchone()[0]
