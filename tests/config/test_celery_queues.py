"""Where tasks are queued and how workers take them (config.settings.base, Celery block):
deliveries on their own queue, read first; a worker holds only the task it runs."""

from config.celery import app


def queue_of(task_name):
    return app.amqp.router.route({}, task_name)["queue"].name


def test_release_tasks_are_queued_apart_from_notices_and_other_work():
    assert {queue_of(name) for name in ("releases.tasks.deliver_release",
                                        "releases.tasks.retract_release",
                                        "releases.tasks.sweep_outbox")} == {"releases"}
    assert {queue_of(name) for name in ("notifications.tasks.send_notification_emails",
                                        "notifications.messengers.forward_notices",
                                        "workflow.tasks.send_daily_digests",
                                        "scanning.tasks.scan_on_entering_secrecy_review",
                                        "audit.tasks.verify_chain_job")} == {"celery"}


def test_a_worker_reads_the_release_queue_first_and_reserves_one_task_at_a_time():
    # the queues a plain `celery worker` consumes, in the order each fetch asks them
    assert list(app.amqp.queues) == ["releases", "celery"]
    assert app.conf.broker_transport_options["queue_order_strategy"] == "priority"
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_acks_late
