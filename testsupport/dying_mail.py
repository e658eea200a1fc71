"""An e-mail backend for worker subprocesses: the mail server accepts each message (it is
appended to the file `DYING_MAIL_FILE`), and the first time the process is then killed
(SIGKILL, as the OOM killer or a lost machine does) before it can record the sending."""

import os
import signal

from django.core.mail.backends.base import BaseEmailBackend


class DiesAfterTheFirstAcceptedMessage(BaseEmailBackend):
    def send_messages(self, email_messages):
        path = os.environ["DYING_MAIL_FILE"]
        with open(path, "a") as sent:
            for message in email_messages:
                sent.write(f"{message.to[0]} {message.extra_headers.get('Message-ID', '')}\n")
        marker = path + ".died"
        if not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return len(email_messages)
