"""Active-disclosure statistics and the annual report (built by a later issue)."""
