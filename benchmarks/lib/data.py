"""Bulk history: many copies of items that the real services took through the pipeline.

A benchmark first builds a few items through the service layer (create, submit, approve …)
in every state it needs. `ItemCopier` then copies them as often as it is asked to. What it
writes are the rows those services wrote, read back through the ORM and written again by
COPY, every key between copied rows pointing at the copy:

    the publication, its channel links, scan reports and findings, its review rounds
    (viewflow's Process and workflow's ReviewProcess), their tasks and task links, and
    its releases.

Columns come from the models and each value is prepared by its field, as bulk_create
would; ids come from each table's own sequence. So a new column is copied without a
change here. (COPY rather than bulk_create: it nearly halved the time spent writing the
copied rows, measured at 1,000 items, and bulk_create refuses ReviewProcess, a
multi-table child of viewflow's Process.)

The audit events of each copy are recorded again through `audit.services.record`, many
events per call inside one transaction, so the chain, its sequence and every hash are the
project's own (this module knows nothing of how a hash is computed). They carry the time
they were recorded, not the template's. Rows that point at a template but are not copied
(e.g. notices) are counted by `ItemCopier.skipped`, so the output can say so.

`insert_select` is for plain generated rows in bulk (the statistics benchmark);
`copy_rows` writes model instances by COPY (the reminder sweep's open items).
"""

import time
from collections import Counter, defaultdict

ITEM = "publications.publication"  # the subject_type of an event about an item


class ItemCopier:
    """Copies of the template items (publication ids) of one agency."""

    def __init__(self, agency, template_ids):
        from django.contrib.auth import get_user_model
        from viewflow.workflow.models import Process, Task

        from audit.models import AuditEvent
        from publications.models import Publication
        from releases.models import Release
        from scanning.models import Finding, ScanReport
        from workflow.models import ReviewProcess

        self.agency = agency
        self.Publication, self.Process, self.Task = Publication, Process, Task
        self.ReviewProcess, self.Release, self.ScanReport = ReviewProcess, Release, ScanReport
        ids = sorted(template_ids)
        assert ids, "no template items to copy"
        links = Publication.channels.through
        task_links = Task.previous.through
        assert not Publication.abolishes.through.objects.filter(
            from_publication_id__in=ids).exists(), "templates that abolish items: not copied"

        pubs = list(Publication.objects.filter(pk__in=ids).order_by("pk"))
        rounds = list(ReviewProcess.objects.filter(publication_id__in=ids).order_by("pk"))
        round_of = {r.pk: r.publication_id for r in rounds}
        tasks = list(Task.objects.filter(process_id__in=round_of).order_by("pk"))
        task_of = {t.pk: round_of[t.process_id] for t in tasks}
        reports = list(ScanReport.objects.filter(publication_id__in=ids).order_by("pk"))
        report_of = {r.pk: r.publication_id for r in reports}
        for row in (*rounds, *tasks):
            if row.artifact_object_id is not None or row.seed_object_id is not None:
                raise ValueError(f"{row!r} has an artifact or seed: ItemCopier cannot map it")
        for r in rounds:
            assert r.parent_task_id is None, f"{r!r} is a subprocess: not copied"

        # (step, model written, template rows, the template item each row belongs to)
        self.steps = [
            ("publication", Publication, pubs, lambda r: r.pk),
            ("channel link", links,
             list(links.objects.filter(publication_id__in=ids).order_by("pk")),
             lambda r: r.publication_id),
            ("scan report", ScanReport, reports, lambda r: r.publication_id),
            ("finding", Finding,
             list(Finding.objects.filter(report_id__in=report_of).order_by("pk")),
             lambda r: report_of[r.report_id]),
            ("process", Process, rounds, lambda r: r.publication_id),  # parent rows
            ("round", ReviewProcess, rounds, lambda r: r.publication_id),  # child, by COPY
            ("task", Task, tasks, lambda r: round_of[r.process_id]),
            ("task link", task_links,
             list(task_links.objects.filter(from_task_id__in=task_of).order_by("pk")),
             lambda r: task_of[r.from_task_id]),
            ("release", Release,
             list(Release.objects.filter(publication_id__in=ids).order_by("pk")),
             lambda r: r.publication_id),
        ]
        # the rows of each template item, step by step
        self.rows = {pk: defaultdict(list) for pk in ids}
        for step, _model, rows, item_of in self.steps:
            for row in rows:
                self.rows[item_of(row)][step].append(row)
        self.events = defaultdict(list)
        for event in (AuditEvent.objects.filter(agency_id=agency.pk, subject_type=ITEM,
                                                subject_id__in=ids).order_by("seq")):
            self.events[event.subject_id].append(event)
        actor_ids = {e.actor_id for events in self.events.values() for e in events}
        self.actors = get_user_model().objects.in_bulk(actor_ids - {None})
        self.templates = ids
        # keys between copied rows are mapped to the copy; any other key (agency, section,
        # people, channels, content types) is kept
        self.mapped = {Publication, Process, Task, Release, ScanReport}

    # ------------------------------------------------------------------ what is not copied

    def skipped(self) -> dict[str, int]:
        """Rows that point at a template row and are not copied, by model."""
        out = {}
        for step, model, rows, _item_of in self.steps:
            if step == "process" or model not in self.mapped or not rows:
                continue
            pks = [r.pk for r in rows]
            for rel in model._meta.related_objects:
                if rel.many_to_many or rel.related_model._meta.concrete_model in self.mapped:
                    continue
                if rel.related_model in {m for _s, m, _r, _i in self.steps}:
                    continue
                n = rel.related_model._base_manager.filter(
                    **{f"{rel.field.name}__in": pks}).count()
                if n:
                    label = rel.related_model._meta.label_lower
                    out[label] = out.get(label, 0) + n
        return out

    # ------------------------------------------------------------------ copying

    def _fields(self, model, step):
        if step == "round":  # the child's own columns (its key is the parent's)
            return list(model._meta.local_concrete_fields)
        return [f for f in model._meta.concrete_fields if not f.primary_key]

    def _clone(self, model, fields, row, maps):
        values = {}
        for f in fields:
            value = getattr(row, f.attname)
            if value is not None and f.is_relation:
                target = f.related_model._meta.concrete_model
                if target in self.mapped:
                    value = maps[target][value]
            values[f.attname] = value
        if model is self.Task and row.owner_permission_obj_pk == str(row.process_id):
            # viewflow keeps the round a task's permission is checked on, as text
            values["owner_permission_obj_pk"] = str(maps[self.Process][row.process_id])
        return model(**values)

    def _write(self, model, fields, objs, *, pk_given=False) -> None:
        copy_rows(model, fields, objs, pk_given=pk_given)

    def _event(self, event, publication, maps):
        from audit.services import Event

        data = dict(event.data or {})
        for key, model in (("release", self.Release), ("report", self.ScanReport)):
            if isinstance(data.get(key), int) and data[key] in maps[model]:
                data[key] = maps[model][data[key]]
        return Event(event.action, subject=publication, actor=self.actors.get(event.actor_id),
                     tier=event.tier, round=event.round, fingerprint=event.fingerprint,
                     comment=event.comment, data=data)

    def copy_chunk(self, units) -> Counter:
        """One transaction: a copy of template `units[k] % n` for every k."""
        from django.db import transaction

        from audit.services import record

        n = len(self.templates)
        items = [self.templates[u % n] for u in units]
        maps = [defaultdict(dict) for _ in units]  # per copy: model -> old pk -> new pk
        rows_written = Counter()
        with transaction.atomic():
            for step, model, _rows, _item_of in self.steps:
                fields = self._fields(model, step)
                objs, olds = [], []
                for k, item in enumerate(items):
                    for row in self.rows[item][step]:
                        objs.append(self._clone(model, fields, row, maps[k]))
                        olds.append((k, row.pk))
                if not objs:
                    continue
                # the child's key is its parent's, mapped already
                self._write(model, fields, objs, pk_given=(step == "round"))
                if step != "round":
                    for (k, old), obj in zip(olds, objs, strict=True):
                        maps[k][model._meta.concrete_model][old] = obj.pk
                rows_written[model._meta.db_table] += len(objs)
            publications = {}
            for k, item in enumerate(items):
                publications[k] = self.Publication(pk=maps[k][self.Publication][item])
            events = [self._event(e, publications[k], maps[k])
                      for k, item in enumerate(items) for e in self.events[item]]
            if events:
                record(agency_id=self.agency.pk, events=events)
                rows_written["audit_auditevent"] += len(events)
        return rows_written

    def copy(self, count: int, label: str, *, chunk: int = 1000, start: int = 0) -> Counter:
        """`count` copies, in transactions of `chunk` items, with a progress line per tenth."""
        total = Counter()
        t0 = time.perf_counter()
        next_report = count / 10
        for lo in range(0, count, chunk):
            hi = min(count, lo + chunk)
            total.update(self.copy_chunk(range(start + lo, start + hi)))
            if hi >= next_report or hi == count:
                elapsed = time.perf_counter() - t0
                print(f"  [{round(100 * hi / count):3d}%] {label}: {hi}/{count} items copied "
                      f"({elapsed:.1f} s, {hi / elapsed:.0f} items/s)", flush=True)
                next_report = hi + count / 10
        return total


def copy_rows(model, fields, objs, *, pk_given=False) -> None:
    """COPY the rows; ids from the table's own sequence unless `fields` has the key.

    Each value is prepared by its field (pre_save, get_db_prep_save), as bulk_create
    would; COPY saves compiling one large INSERT per table. Also for the multi-table
    child rows bulk_create refuses (ReviewProcess: `pk_given`, the parent's key).
    """
    from django.db import connection

    q = connection.ops.quote_name
    meta = model._meta
    if not pk_given:
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)", [meta.db_table, meta.pk.column,
                                                        len(objs)])
            for obj, (pk,) in zip(objs, cur.fetchall(), strict=True):
                setattr(obj, meta.pk.attname, pk)
        fields = [meta.pk, *fields]
    columns = ", ".join(q(f.column) for f in fields)
    with connection.connection.cursor() as cur, cur.copy(
            f"COPY {q(meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection)
                            for f in fields])


def insert_select(model, given: dict[str, str], source: str) -> int:
    """INSERT INTO model's table (columns) SELECT … FROM source: generated rows, in SQL.

    For large tables of plain rows with no derived value (no hash, no chain, no viewflow
    state), e.g. the million released items of the statistics benchmark, where bulk_create
    would take many minutes. `given` maps column names to SQL expressions over `source`;
    every other NOT NULL column gets the field's default (now() for auto_now fields), so a
    column added to the model with a default needs no change here. `given` and `source`
    are literal SQL (`%` is the modulo operator there).
    """
    import json

    from django.db import connection

    columns, expressions, values = [], [], []
    for f in model._meta.local_concrete_fields:
        if f.column in given:
            columns.append(f.column)
            expressions.append(given[f.column].replace("%", "%%"))
        elif f.primary_key or f.null:
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append(f.column)
            expressions.append("now()")
        elif f.has_default() or f.empty_strings_allowed:
            default = f.get_default()
            columns.append(f.column)
            if isinstance(default, dict | list):
                expressions.append("%s::jsonb")
                values.append(json.dumps(default))
            else:
                expressions.append("%s")
                values.append(default)
        else:
            raise ValueError(f"insert_select does not know how to fill {model.__name__}."
                             f"{f.name}: give it an expression")
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (f"INSERT INTO {model._meta.db_table} ({quoted}) "
           f"SELECT {', '.join(expressions)} FROM {source.replace('%', '%%')}")
    with connection.cursor() as cur:
        cur.execute(sql, values)
        return cur.rowcount
