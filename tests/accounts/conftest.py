import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings, monkeypatch):
    """These tests check many passwords: a fast hasher for them (PBKDF2 costs ~0.3 s each)."""
    from django.contrib.auth.hashers import make_password

    from testsupport import factories

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(factories, "_PASSWORD_HASH", make_password(factories.PASSWORD))
