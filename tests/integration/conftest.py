"""The loopback webhook receiver of the integration tests."""


import pytest

from testsupport.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver(delay=0.05) as r:
        yield r
