"""Requests through the WSGI application inside a test's transaction."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture
def in_test_transaction():
    """Requests go through the WSGI handler, whose request signals close the database
    connection (and with it the test's transaction); the test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
