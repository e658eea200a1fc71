"""Legacy Office and WPS files (.doc, .wps, .xls, .et) through LibreOffice, when installed.

`soffice --headless --convert-to` turns a text document into UTF-8 text and a spreadsheet
into .xlsx, which `extract` then reads with the same limits as any upload. LibreOffice is
found on PATH (`soffice`); without it the file is listed unscanned, saying so. The
conversion runs with its own throw-away profile (two conversions at once would otherwise
fight over the user's profile lock) and is killed when it takes longer than the
attachment's time limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .limits import Limits, TooLarge, UnreadableAttachment

_TARGETS = {".doc": (".txt", "txt:Text (encoded):UTF8"),
            ".wps": (".txt", "txt:Text (encoded):UTF8"),
            ".xls": (".xlsx", "xlsx"),
            ".et": (".xlsx", "xlsx")}


def soffice() -> str | None:
    return shutil.which("soffice")


def convert_legacy(ext: str, data: bytes, limits: Limits) -> tuple[str, bytes]:
    """(extension of the converted file, its bytes), or UnreadableAttachment."""
    program = soffice()
    modern = ".docx" if _TARGETS[ext][0] == ".txt" else ".xlsx"
    if program is None:
        raise UnreadableAttachment(
            f"legacy {ext} format cannot be scanned (LibreOffice is not installed); "
            f"convert it to {modern}")
    target_ext, target = _TARGETS[ext]
    with tempfile.TemporaryDirectory(prefix="scan-legacy-") as work:
        source = Path(work) / f"attachment{ext}"
        source.write_bytes(data)
        out = Path(work) / "out"
        command = [program, "--headless", "--norestore", "--nologo",
                   f"-env:UserInstallation={Path(work, 'profile').as_uri()}",
                   "--convert-to", target, "--outdir", str(out), str(source)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            process.wait(timeout=limits.max_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # soffice starts helpers of its own
            process.wait()
            raise TooLarge(
                f"LibreOffice did not convert it within {limits.max_seconds:g} s") from None
        result = out / f"attachment{target_ext}"
        if process.returncode != 0 or not result.is_file():
            raise UnreadableAttachment(
                f"legacy {ext} file could not be converted by LibreOffice "
                f"(damaged or password-protected?)")
        if result.stat().st_size > limits.max_bytes:
            raise TooLarge(f"converted text is more than {limits.max_bytes} bytes")
        return target_ext, result.read_bytes()
