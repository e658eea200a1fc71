"""In-app and e-mail notices, reminders and deadlines (built by a later issue)."""
