"""Email backends for the fault tests, used by real worker processes (EMAIL_BACKEND=<dotted path>)."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend

IN_FLIGHT = "in-flight"


class SlowFileBackend(FileBackend):
    """The file backend, taking TANDEM_TEST_SEND_SECONDS per message.

    Before the wait it writes the reminder's id to `<EMAIL_FILE_PATH>/in-flight`,
    so a test can kill the worker while a message is certainly being sent and
    not yet written.
    """

    def send_messages(self, email_messages):
        delay = float(os.environ.get("TANDEM_TEST_SEND_SECONDS", "0"))
        marker = Path(self.file_path) / IN_FLIGHT
        for message in email_messages:
            marker.write_text(message.extra_headers.get("X-Tandem-Reminder", ""))
            time.sleep(delay)
        sent = super().send_messages(email_messages)
        marker.unlink(missing_ok=True)
        return sent
