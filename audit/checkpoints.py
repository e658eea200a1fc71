"""Signed checkpoints of each agency's chain head, kept outside the database.

The hash chain proves that no event was changed in place; it cannot prove that the whole
tail was not rewritten (re-hashed with this very code) or cut off with the head moved
back, by someone who can write to the database. A checkpoint can: every few minutes the
head of each agency's chain (its seq and hash) is signed with an Ed25519 key that lives
outside the database (`AUDIT_SIGNING_KEY`) and written to `AUDIT_CHECKPOINT_DIR`, and
the latest is published on the agency's public column (`/gk/<agency>/checkpoint`).
Verification then requires the chain to still hold that event with that hash.

The text follows the spirit of Certificate Transparency's signed tree heads and the C2SP
signed-note checkpoints: an origin line, the size (the head's seq), the head's hash, the
time, a blank line and a signature line `— <origin> <base64 signature>` over the lines
above it.
"""

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils import timezone

from .models import AuditChain

ORIGIN_PREFIX = "gov-disclosure audit"


class CheckpointError(Exception):
    """A checkpoint that cannot be read, or whose signature is not the key's."""


@dataclass(frozen=True)
class Checkpoint:
    agency_code: str
    seq: int
    hash: str
    at: dt.datetime

    @property
    def origin(self) -> str:
        return f"{ORIGIN_PREFIX} {self.agency_code}"

    def body(self) -> str:
        return (f"{self.origin}\n{self.seq}\n{self.hash}\n"
                f"{self.at.astimezone(dt.UTC).isoformat(timespec='seconds')}\n")


# --- the key ------------------------------------------------------------------------------

def private_key() -> Ed25519PrivateKey:
    """The signing key: 32 raw bytes, base64, from AUDIT_SIGNING_KEY (settings)."""
    seed = base64.b64decode(settings.AUDIT_SIGNING_KEY)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_text() -> str:
    """The verification key as published: base64 of its 32 raw bytes."""
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def new_key_text() -> str:
    """A fresh signing key in the form AUDIT_SIGNING_KEY takes."""
    return base64.b64encode(os.urandom(32)).decode()


# --- signing, reading ---------------------------------------------------------------------

def sign(checkpoint: Checkpoint) -> str:
    body = checkpoint.body()
    signature = base64.b64encode(private_key().sign(body.encode())).decode()
    return f"{body}\n— {checkpoint.origin} {signature}\n"


def parse(text: str, *, key: Ed25519PublicKey | None = None) -> Checkpoint:
    """Read a signed checkpoint and check its signature (against this installation's key
    unless `key` is given); CheckpointError if it is malformed or not signed by the key."""
    body, sep, signature_line = text.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) != 4 or not lines[0].startswith(ORIGIN_PREFIX + " "):
        raise CheckpointError("not a checkpoint")
    origin, seq, head_hash, at = lines
    parts = signature_line.strip().split(" ")
    if len(parts) < 2 or parts[0] != "—" or " ".join(parts[1:-1]) != origin:
        raise CheckpointError("no signature line for this origin")
    try:
        (key or public_key()).verify(base64.b64decode(parts[-1]), (body + "\n").encode())
        return Checkpoint(agency_code=origin[len(ORIGIN_PREFIX) + 1:], seq=int(seq),
                          hash=head_hash, at=dt.datetime.fromisoformat(at))
    except (InvalidSignature, ValueError) as error:
        raise CheckpointError(f"bad signature or field: {error}") from None


# --- storage outside the database -----------------------------------------------------

def _dir(agency_code) -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / agency_code


def latest_text(agency_code) -> str | None:
    path = _dir(agency_code) / "latest.txt"
    return path.read_text() if path.exists() else None


def latest(agency_code) -> Checkpoint | None:
    """The agency's latest checkpoint, signature checked; None if none was written yet."""
    text = latest_text(agency_code)
    return parse(text) if text is not None else None


def write_checkpoint(agency) -> Checkpoint | None:
    """Sign the agency's chain head now and keep it (one file per head, and latest.txt);
    None while the agency has no events. Unchanged heads are not signed again."""
    head = AuditChain.objects.filter(agency=agency).values_list("last_seq", "last_hash").first()
    if head is None or head[0] == 0:
        return None
    previous = latest(agency.code)
    if previous is not None and (previous.seq, previous.hash) == head:
        return previous
    checkpoint = Checkpoint(agency.code, head[0], head[1],
                            timezone.now().replace(microsecond=0))  # as the text keeps it
    text = sign(checkpoint)
    directory = _dir(agency.code)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{checkpoint.seq}.txt").write_text(text)
    temporary = directory / "latest.txt.tmp"
    temporary.write_text(text)
    temporary.replace(directory / "latest.txt")  # readers see the old or the new, whole
    return checkpoint
