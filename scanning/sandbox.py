"""Reading one attachment in a child process with hard limits (the worker's extractor).

`extract`'s limits are cooperative: they bound what its own loops do, but not a parser
that runs away inside a C library or a reader slower than the deadline. Here the text is
extracted by `python -m scanning.sandbox` in a fresh process which first limits its own
address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) and is killed by the parent when the
wall-clock limit passes. Whatever stops it that way — out of memory, out of CPU, killed —
is reported as "unscanned: too large", never as clean. A fresh process also works from a
Celery prefork pool process (whose daemon processes may not fork `multiprocessing`
children).

Protocol: stdin is one JSON line (filename, limits) followed by the file's bytes; stdout
is one JSON object: {"text", "gaps", "peak_rss_kb"} or {"error", "code", "reason",
"peak_rss_kb"}.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from .extract import TOO_LARGE, Extracted, Limits, TooLarge, UnreadableAttachment

ROOT = Path(__file__).resolve().parent.parent

# Address space of the child: the interpreter, lxml, python-docx, openpyxl and pypdf need
# about 150 MB of it before reading anything.
DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024
COMMAND = [sys.executable, "-m", "scanning.sandbox"]
# The wall-clock limit is the attachment's seconds plus the child's start-up.
STARTUP_SECONDS = 2


def extract_in_child(filename: str, data: bytes, limits: Limits, *,
                     memory_bytes: int = DEFAULT_MEMORY_BYTES) -> Extracted:
    """`extract.extract_text` in a child process; raises UnreadableAttachment/TooLarge."""
    return run_child(filename, data, limits, memory_bytes=memory_bytes)[0]


def run_child(filename: str, data: bytes, limits: Limits, *,
              memory_bytes: int = DEFAULT_MEMORY_BYTES) -> tuple[Extracted, int]:
    """(extracted, the child's peak resident memory in KiB)."""
    header = json.dumps({"filename": filename, "max_bytes": limits.max_bytes,
                         "max_elements": limits.max_elements,
                         "max_seconds": limits.max_seconds,
                         "memory_bytes": memory_bytes}).encode() + b"\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(COMMAND, cwd=ROOT, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _err = process.communicate(header + data, timeout=limits.max_seconds + STARTUP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the child and any helper it started
        process.communicate()
        raise TooLarge(f"not read within {limits.max_seconds:g} s") from None
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    if process.returncode != 0 or not isinstance(answer, dict):
        if process.returncode and process.returncode < 0:  # killed: SIGXCPU, SIGKILL
            raise TooLarge(f"stopped by a resource limit (signal {-process.returncode})")
        raise UnreadableAttachment(f"could not be read (reader exited with "
                                   f"{process.returncode})")
    if "error" in answer:
        error = (TooLarge if answer["code"] == TOO_LARGE else UnreadableAttachment)("")
        error.reason = answer["reason"]
        error.args = (answer["reason"],)
        error.peak_rss_kb = int(answer["peak_rss_kb"])
        raise error
    return Extracted(answer["text"], tuple(answer["gaps"])), int(answer["peak_rss_kb"])


def _peak_rss_kb() -> int:
    """This process's peak resident memory since it started the sandbox's program.

    Linux's getrusage keeps, across exec, the peak of the process it was forked from (the
    whole web or worker process); VmHWM belongs to the program running now."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child() -> None:
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    memory = int(header["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = max(1, int(header["max_seconds"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    data = stdin.read()
    limits = Limits(max_bytes=int(header["max_bytes"]),
                    max_elements=int(header["max_elements"]),
                    max_seconds=float(header["max_seconds"]))
    from .extract import extract_text

    try:
        extracted = extract_text(header["filename"], data, limits)
        answer = {"text": extracted.text, "gaps": list(extracted.gaps)}
    except UnreadableAttachment as exc:
        answer = {"error": True, "code": exc.code, "reason": exc.reason}
    except MemoryError:
        answer = {"error": True, "code": TOO_LARGE,
                  "reason": f"unscanned: too large (needs more than {memory} bytes of memory)"}
    except Exception as exc:
        answer = {"error": True, "code": "unreadable",
                  "reason": f"could not be read ({type(exc).__name__}: {exc})"}
    del data
    answer["peak_rss_kb"] = _peak_rss_kb()
    sys.stdout.buffer.write(json.dumps(answer).encode("ascii"))
    sys.stdout.flush()


if __name__ == "__main__":
    _child()
