"""Signed checkpoints of the chain head, kept outside the database: a rewritten or rewound
chain that the hash chain alone cannot expose fails against the last checkpoint."""

import base64
import io

import pytest
from django.core.management import call_command

from audit import checkpoints
from audit.hashing import hash_of
from audit.models import AuditChain
from audit.verification import Break, verify_chain
from testsupport.factories import create_item

from .test_audit_trail import with_trigger_disabled

pytestmark = pytest.mark.django_db


def test_the_head_is_signed_kept_outside_the_database_and_published(org, chain, client,
                                                                     settings):
    checkpoint = checkpoints.write_checkpoint(org.agency)
    assert (checkpoint.seq, checkpoint.hash) == (chain[-1].seq, chain[-1].hash)
    kept = settings.AUDIT_CHECKPOINT_DIR / org.agency.code
    assert sorted(p.name for p in kept.iterdir()) == [f"{checkpoint.seq}.txt", "latest.txt"]
    response = client.get(f"/gk/{org.agency.code}/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.splitlines()[:3] == [f"gov-disclosure audit {org.agency.code}",
                                     str(chain[-1].seq), chain[-1].hash]
    # anyone holding the published key can check it
    key = client.get(f"/gk/{org.agency.code}/checkpoint/key").content.decode().strip()
    assert key == response["X-Checkpoint-Key"]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    published = Ed25519PublicKey.from_public_bytes(base64.b64decode(key))
    assert checkpoints.parse(text, key=published) == checkpoint
    assert verify_chain(org.agency).ok


def test_an_agency_without_a_checkpoint_has_no_checkpoint_page(org, client):
    assert client.get(f"/gk/{org.agency.code}/checkpoint").status_code == 404


def test_an_unchanged_head_is_not_signed_again_and_a_new_one_is(org, chain, settings):
    first = checkpoints.write_checkpoint(org.agency)
    assert checkpoints.write_checkpoint(org.agency) == first
    create_item(org, title="又一条")
    second = checkpoints.write_checkpoint(org.agency)
    assert second.seq == first.seq + 1
    assert len(list((settings.AUDIT_CHECKPOINT_DIR / org.agency.code).glob("*.txt"))) == 3


def test_a_forged_or_damaged_checkpoint_is_refused(org, chain, settings):
    checkpoints.write_checkpoint(org.agency)
    latest = settings.AUDIT_CHECKPOINT_DIR / org.agency.code / "latest.txt"
    text = latest.read_text()
    lines = text.split("\n")
    lines[1] = str(int(lines[1]) - 1)  # someone lowers the signed size to hide a rewind
    latest.write_text("\n".join(lines))
    report = verify_chain(org.agency)
    assert not report.ok and report.kind == Break.BAD_CHECKPOINT
    other_key = checkpoints.new_key_text()
    settings.AUDIT_SIGNING_KEY = other_key  # signed by another key: not ours
    latest.write_text(text)
    with pytest.raises(checkpoints.CheckpointError):
        checkpoints.latest(org.agency.code)


@pytest.mark.postgres
def test_history_rewritten_and_rehashed_with_the_projects_own_hash_fails_the_checkpoint(
        org, chain):
    """Observed on main: rewriting an event and re-hashing it and every later one (and the
    head) with the project's own unkeyed hash verified OK."""
    checkpoints.write_checkpoint(org.agency)
    prev = chain[2].prev_hash
    for event in chain[2:]:
        if event.seq == chain[2].seq:
            event.comment = "同意（事后改写）"
        event.prev_hash = prev
        event.hash = hash_of(event)
        prev = event.hash
        with_trigger_disabled(
            "UPDATE audit_auditevent SET comment = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.comment, event.prev_hash, event.hash, event.pk])
    AuditChain.objects.filter(agency=org.agency).update(last_hash=prev)
    assert verify_chain(org.agency, checkpoint=None).ok  # the chain alone cannot tell
    report = verify_chain(org.agency)
    assert not report.ok and report.kind == Break.CHECKPOINT
    assert report.seq == chain[-1].seq


@pytest.mark.postgres
def test_a_tail_deleted_with_the_head_moved_back_fails_the_checkpoint(org, chain):
    """Observed on main: deleting the last events and moving the chain head back verified OK."""
    checkpoints.write_checkpoint(org.agency)
    keep = chain[-3]
    with_trigger_disabled("DELETE FROM audit_auditevent WHERE agency_id = %s AND seq > %s",
                          [org.agency.pk, keep.seq])
    AuditChain.objects.filter(agency=org.agency).update(last_seq=keep.seq, last_hash=keep.hash)
    assert verify_chain(org.agency, checkpoint=None).ok  # the chain alone cannot tell
    report = verify_chain(org.agency)
    assert not report.ok and report.kind == Break.CHECKPOINT
    out = io.StringIO()
    with pytest.raises(Exception, match="verification failed"):
        call_command("verify_audit_trail", stdout=out, stderr=out)
    assert "checkpoint" in out.getvalue()


def test_the_command_signs_every_agency_and_beat_runs_it(org, other_org, chain, settings):
    create_item(other_org)
    out = io.StringIO()
    call_command("write_checkpoints", stdout=out)
    assert "signed the chain heads of 2 agencies" in out.getvalue()
    assert checkpoints.public_key_text() in out.getvalue()
    schedule = settings.CELERY_BEAT_SCHEDULE["sign-audit-checkpoints"]
    assert schedule["task"] == "audit.tasks.write_checkpoints"
    new_key = io.StringIO()
    call_command("write_checkpoints", "--new-key", stdout=new_key)
    assert len(base64.b64decode(new_key.getvalue().strip())) == 32


def test_a_damaged_checkpoint_of_one_agency_does_not_stop_signing_the_others(
        org, other_org, chain, settings):
    create_item(other_org)
    checkpoints.write_checkpoint(org.agency)
    latest = settings.AUDIT_CHECKPOINT_DIR / org.agency.code / "latest.txt"
    damaged = latest.read_text().replace("\n\n—", "\n\n— x")
    latest.write_text(damaged)
    out = io.StringIO()
    call_command("write_checkpoints", stdout=out)
    assert "signed the chain heads of 1 agencies" in out.getvalue()
    assert checkpoints.latest(other_org.agency.code) is not None
    assert latest.read_text() == damaged  # kept as evidence, reported by verification
    assert verify_chain(org.agency).kind == Break.BAD_CHECKPOINT
