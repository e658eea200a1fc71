"""The audit trail is append-only in PostgreSQL and any tampering is found by the verifier."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import Error as DatabaseError

from audit.hashing import hash_of
from audit.models import AuditChain, AuditEvent
from testsupport.factories import approve_through, create_item, submitted_item

pytestmark = pytest.mark.django_db

TRIGGER = "audit_event_append_only"


@pytest.fixture
def trail(org):
    """Three items and their reviews: a dozen events in the agency's chain."""
    create_item(org, title="草稿")
    approve_through(org, submitted_item(org, title="已审"), "head_office", "secrecy")
    submitted_item(org, "drafter_construction", title="待审")
    events = list(AuditEvent.objects.filter(agency=org.agency).order_by("seq"))
    assert len(events) >= 8
    return events


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def check_deferred_constraints_now():
    """Django's foreign keys are deferred; PostgreSQL will not ALTER a table with checks pending."""
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    raw("SET CONSTRAINTS ALL DEFERRED")


def with_trigger_disabled(sql, params=()):
    check_deferred_constraints_now()
    raw(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    try:
        return raw(sql, params)
    finally:
        check_deferred_constraints_now()
        raw(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")


def verify(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit_trail", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_fails(*args) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_trail", *args, stdout=io.StringIO(), stderr=err)
    return str(excinfo.value), err.getvalue()


def names_seq(text, seq) -> bool:
    return re.search(rf"#{seq}(?!\d)", text) is not None


# --- the database refuses changes -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET comment = '已篡改' WHERE id = %s",
    "UPDATE audit_auditevent SET hash = repeat('0', 64) WHERE id = %s",
    "DELETE FROM audit_auditevent WHERE id = %s",
], ids=["update-comment", "update-hash", "delete"])
def test_postgres_refuses_update_and_delete_of_an_audit_event(org, trail, sql):
    target = trail[2]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            raw(sql, [target.pk])
    stored = AuditEvent.objects.get(pk=target.pk)
    assert (stored.comment, stored.hash) == (target.comment, target.hash)
    assert AuditEvent.objects.filter(agency=org.agency).count() == len(trail)
    verify("--agency", org.agency.code)


@pytest.mark.postgres
def test_postgres_refuses_bulk_changes_through_the_orm(org, trail):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(agency=org.agency).update(comment="")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(agency=org.agency, seq__gt=3).delete()
    assert AuditEvent.objects.filter(agency=org.agency).count() == len(trail)
    verify("--agency", org.agency.code)


@pytest.mark.postgres
def test_postgres_refuses_truncating_the_audit_trail(org, trail):
    check_deferred_constraints_now()
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == len(trail)


# --- the verifier finds tampering ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("column", "value"), [
    ("comment", "'同意（事后补写）'"),
    ("action", "'withhold'"),
    ("actor_username", "'leader'"),
    ("tier", "'leadership_review'"),
    ("round", "round + 1"),
    ("fingerprint", "repeat('a', 64)"),
    ("data", "'{\"basis\": \"state_secret\"}'::jsonb"),
    ("at", "at - interval '1 day'"),
    # the auditor's pages and CSV show the actor from its id (observed on main: changing it
    # moved a drafter's withdrawal onto the auditor and verification said OK)
    ("actor_id", "(SELECT id FROM agencies_user WHERE username = 'auditor')"),
    ("hash_form", "1"),
    ("subject_id", "NULL"),
    ("subject_id", "subject_id + 1"),
    ("subject_type", "''"),
    ("subject_type", "'agencies.channel'"),
])
def test_event_altered_behind_the_triggers_back_is_named_by_the_verifier(org, trail, column,
                                                                         value):
    target = trail[4]
    changed = with_trigger_disabled(
        f"UPDATE audit_auditevent SET {column} = {value} WHERE id = %s", [target.pk])
    assert changed == 1
    assert getattr(AuditEvent.objects.get(pk=target.pk), column) != getattr(target, column)
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, target.seq), message
    assert org.agency.code in message
    assert names_seq(err, target.seq) and "altered" in err, err
    assert not any(names_seq(message, e.seq) for e in trail if e.seq != target.seq)


@pytest.mark.postgres
def test_event_rewritten_with_a_fresh_hash_breaks_the_link_from_the_next_event(org, trail):
    target, following = trail[3], trail[4]
    target.comment = "同意（事后补写）"
    forged = hash_of(target)
    with_trigger_disabled("UPDATE audit_auditevent SET comment = %s, hash = %s WHERE id = %s",
                          [target.comment, forged, target.pk])
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, following.seq), message
    assert "does not link" in err


@pytest.mark.postgres
def test_event_deleted_from_the_middle_is_reported_missing(org, trail):
    target = trail[5]
    assert with_trigger_disabled("DELETE FROM audit_auditevent WHERE id = %s", [target.pk]) == 1
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, target.seq), message
    assert "missing" in err and names_seq(err, target.seq), err


@pytest.mark.postgres
def test_first_event_deleted_is_reported_missing(org, trail):
    assert with_trigger_disabled("DELETE FROM audit_auditevent WHERE id = %s",
                                 [trail[0].pk]) == 1
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, 1), message
    assert "missing" in err


@pytest.mark.postgres
def test_last_event_deleted_is_detected(org, trail):
    last = trail[-1]
    assert with_trigger_disabled("DELETE FROM audit_auditevent WHERE id = %s", [last.pk]) == 1
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, last.seq), message
    assert "missing" in err, err


@pytest.mark.postgres
def test_every_event_deleted_is_detected(org, trail):
    with_trigger_disabled("DELETE FROM audit_auditevent WHERE agency_id = %s", [org.agency.pk])
    message, err = verify_fails("--agency", org.agency.code)
    assert names_seq(message, 1), message
    assert "missing" in err


@pytest.mark.postgres
def test_tampering_in_one_agency_fails_the_run_and_names_only_that_agency(org, other_org,
                                                                          trail):
    submitted_item(other_org)
    target = trail[1]
    with_trigger_disabled("UPDATE audit_auditevent SET comment = 'x' WHERE id = %s",
                          [target.pk])
    err = io.StringIO()
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_trail", stdout=out, stderr=err)
    message = str(excinfo.value)
    assert f"{org.agency.code} event #{target.seq}" in message
    assert other_org.agency.code not in message
    assert f"{other_org.agency.code}: OK" in out.getvalue()
    verify("--agency", other_org.agency.code)


# --- an intact chain -------------------------------------------------------------------


def test_intact_chain_passes_and_reports_ok_with_the_event_count(org, trail):
    out, err = verify("--agency", org.agency.code)
    assert out.strip() == f"{org.agency.code}: OK, {len(trail)} events"
    assert err == ""


def test_every_event_links_to_the_one_before_it(org, trail):
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert trail[0].prev_hash == ""
    for before, after in zip(trail, trail[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in trail:
        assert event.hash == hash_of(event)
    head = AuditChain.objects.get(agency=org.agency)
    assert (head.last_seq, head.last_hash) == (trail[-1].seq, trail[-1].hash)


def test_each_agency_has_its_own_chain_starting_at_one(org, other_org):
    create_item(org)
    create_item(other_org)
    submitted_item(org)
    submitted_item(other_org)
    for agency in (org.agency, other_org.agency):
        events = list(AuditEvent.objects.filter(agency=agency).order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == ""
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash
    # create, create, submit and the pre-scan at submit
    assert AuditEvent.objects.filter(agency=org.agency).count() == 4
    assert AuditEvent.objects.filter(agency=other_org.agency).count() == 4
    out, _ = verify()
    assert f"{org.agency.code}: OK, 4 events" in out
    assert f"{other_org.agency.code}: OK, 4 events" in out


def test_agency_without_events_verifies_as_an_empty_chain(org):
    out, _ = verify("--agency", org.agency.code)
    assert out.strip() == f"{org.agency.code}: OK, 0 events"


def test_unknown_agency_fails_with_a_clear_message(org):
    with pytest.raises(CommandError, match="unknown agency: no_such_agency"):
        call_command("verify_audit_trail", "--agency", "no_such_agency",
                     stdout=io.StringIO(), stderr=io.StringIO())


# --- tampering with the chain head, and a chain that grows during the walk -----------

@pytest.mark.postgres
def test_head_moved_back_over_existing_events_is_detected(org, trail):
    """Observed on main: a chain head moved back verified OK once the events past it were
    deleted too; moved back alone it must not pass either."""
    middle = trail[4]
    AuditChain.objects.filter(agency=org.agency).update(last_seq=middle.seq,
                                                        last_hash=middle.hash)
    message, err = verify_fails("--agency", org.agency.code)
    assert "beyond the chain head" in err, err
    assert names_seq(err, trail[-1].seq), err


@pytest.mark.postgres
def test_the_walk_read_in_small_chunks_checks_every_event_and_finds_a_gap_in_a_later_chunk(
        org, trail, monkeypatch):
    """The chain is read by keyset chunks (no server-side cursor, which a PgBouncer in
    transaction mode cannot keep): chunk edges must neither skip nor repeat an event."""
    from audit import verification

    monkeypatch.setattr(verification, "CHUNK", 3)
    assert verification.verify_chain(org.agency).events == len(trail)
    target = trail[7]  # in the third chunk
    assert with_trigger_disabled("DELETE FROM audit_auditevent WHERE id = %s", [target.pk]) == 1
    report = verification.verify_chain(org.agency)
    assert not report.ok and report.seq == target.seq, report


def test_events_appended_while_the_walk_runs_do_not_make_an_intact_chain_look_truncated(
        org, trail, monkeypatch):
    """Observed on main: the walk read the head after the events, so on a busy system an
    intact chain was reported truncated."""
    from audit import verification

    checked, appended = verification.hash_of, []

    def append_meanwhile(event):
        if not appended:  # while the first event is checked, a request appends to the chain
            appended.append(create_item(org, title="核对期间新建"))
        return checked(event)

    monkeypatch.setattr(verification, "hash_of", append_meanwhile)
    report = verification.verify_chain(org.agency)
    monkeypatch.undo()
    assert report.ok, report
    assert report.events == len(trail)
    assert verification.verify_chain(org.agency).events == len(trail) + 1


def test_new_events_are_hashed_in_the_current_form_over_every_shown_column(org, trail):
    from audit.hashing import CURRENT_FORM

    assert {e.hash_form for e in trail} == {CURRENT_FORM}
    event = trail[2]  # a submit: by a person (the scan after it is the system's)
    assert event.actor_id is not None
    original = event.hash
    event.actor_id = org["auditor"].pk
    assert hash_of(event) != original
