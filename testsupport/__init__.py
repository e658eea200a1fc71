"""Builders shared by the tests and the benchmarks: organisations, items in each state,
a loopback webhook receiver, real Celery workers and Redis for integration tests."""
