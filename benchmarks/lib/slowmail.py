"""An e-mail backend for the benchmark's workers that takes as long as a mail server
would: BENCH_MAIL_MS milliseconds per message (connection, EHLO, STARTTLS, MAIL, RCPT,
DATA over a real network; sleeping, so it costs no CPU), then drops the message.

Set as EMAIL_BACKEND=lib.slowmail.SlowMailBackend in the workers' environment (the
benchmarks directory on their PYTHONPATH) by release_throughput.py --paced-mail-ms.
"""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class SlowMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        delay = float(os.environ.get("BENCH_MAIL_MS", "0")) / 1000
        for _message in email_messages:
            time.sleep(delay)
        return len(email_messages)
