"""docs/statements.md lists every statement of the pipeline (create, submit, three
approvals), per action, with what it is for. This test captures them and checks the list.

After a change of the pipeline's statements, regenerate the list (explanations of the
statements that stay are kept; new ones read "(to explain)" until someone explains them):

    STATEMENTS_DOC=write DATABASE_URL=… .venv/bin/python -m pytest -n 0 \\
        tests/workflow/test_statements_doc.py
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scanning.services import scan_if_missing
from testsupport.factories import create_item, task_for
from workflow import services as review

from .test_query_counts import PINNED, PIPELINE, warm  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "statements.md"
TO_EXPLAIN = "(to explain)"
_WRITE = re.compile(r'(INSERT INTO|UPDATE|DELETE FROM) "(\w+)"')
_FROM = re.compile(r'\bFROM "(\w+)"')


def label(sql: str, depth: int) -> str:
    """What a reader recognises a statement by: its writes, or the table it reads. `depth`:
    savepoints open before it (the test's outermost one stands for BEGIN … COMMIT)."""
    s = sql.strip()
    if s.startswith("SAVEPOINT"):
        return "BEGIN" if depth == 0 else "SAVEPOINT"
    if s.startswith("RELEASE SAVEPOINT"):
        return "COMMIT" if depth == 1 else "RELEASE SAVEPOINT"
    if s.startswith(("BEGIN", "COMMIT")):
        return s
    writes = _WRITE.findall(s)
    if writes:
        text = " + ".join(f"{verb.split()[0]} {table}" for verb, table in writes)
        return ("WITH " if s.startswith("WITH") else "") + text + (
            " … SELECT" if s.startswith("INSERT") and " SELECT " in s.split("RETURNING")[0]
            and "UNNEST" not in s else "")
    lock = ""
    if "FOR UPDATE" in s:
        lock = " FOR UPDATE" + (" NOWAIT" if "NOWAIT" in s else "")
    return f"SELECT {_FROM.search(s).group(1)}" + (" UNION ALL" if " UNION " in s else "") + lock


def captured(fn) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    labels, depth = [], 0
    for query in ctx.captured_queries:
        labels.append(label(query["sql"], depth))
        if query["sql"].startswith("SAVEPOINT"):
            depth += 1
        elif query["sql"].startswith("RELEASE SAVEPOINT"):
            depth -= 1
    return labels


def pipeline(org) -> dict[str, list[str]]:
    holder = {}
    actions = {"create": captured(lambda: holder.setdefault("p", create_item(org)))}
    publication = holder["p"]
    actions["submit"] = captured(lambda: review.submit_publication(
        user=org["drafter_office"], publication_id=publication.pk))
    for action, username in (("approve (section head)", "head_office"),
                             ("approve (confidentiality)", "secrecy"),
                             ("approve (leader) + releases", "leader")):
        task = task_for(org[username], publication)
        actions[action] = captured(lambda u=username, t=task: review.approve_task(
            user=org[u], task_id=t.pk))
        if username == "head_office":
            scan_if_missing(publication.pk)
    return actions


_SECTION = re.compile(r"^## (.+) \((\d+)\)$")
_ROW = re.compile(r"^\| (\d+) \| `([^`]+)` \| (.*) \|$")


def read_doc() -> tuple[str, dict]:
    """(the text before the first action, {action: [(label, explanation)]})."""
    head, actions, current = [], {}, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := _SECTION.match(line):
            current = actions.setdefault(m.group(1), [])
        elif current is None:
            if line.startswith("## "):
                current = []
            else:
                head.append(line)
        elif m := _ROW.match(line):
            current.append((m.group(2), m.group(3)))
    return "\n".join(head).rstrip() + "\n", actions


def write_doc(head: str, measured: dict, explained: dict) -> None:
    known = {}
    for rows in explained.values():
        for text, why in rows:
            known.setdefault(text, why)
    out = [head]
    for action, labels in measured.items():
        old = explained.get(action, [])
        out += [f"\n## {action} ({len(labels)})\n", "| # | statement | what it is for |",
                "|---|---|---|"]
        for i, text in enumerate(labels):
            why = old[i][1] if i < len(old) and old[i][0] == text else known.get(text, TO_EXPLAIN)
            out.append(f"| {i + 1} | `{text}` | {why} |")
    total = sum(len(labels) for labels in measured.values())
    out.append(f"\nIn all: **{total}** statements per fully approved item.\n")
    DOC.write_text("\n".join(out), encoding="utf-8")


@pytest.mark.postgres  # PostgreSQL's statements (see test_query_counts)
def test_the_statements_doc_lists_every_statement_of_the_pipeline(warm):  # noqa: F811
    measured = pipeline(warm)
    head, explained = read_doc()
    if os.environ.get("STATEMENTS_DOC") == "write":
        write_doc(head, measured, explained)
        head, explained = read_doc()
    assert {a: [text for text, _why in rows] for a, rows in explained.items()} == measured
    assert not [text for rows in explained.values() for text, why in rows
                if why.strip() in ("", TO_EXPLAIN)]
    assert sum(len(labels) for labels in measured.values()) <= PIPELINE
    assert len(measured["create"]) == PINNED["create"]
    assert len(measured["submit"]) == PINNED["submit"]
