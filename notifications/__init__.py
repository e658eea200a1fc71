"""In-app and e-mail notices of review and release events, written by the actions that
cause them (`notifications.services.notify_*`)."""
