"""In-app and e-mail notices of review and release events (see notifications.receivers)."""
