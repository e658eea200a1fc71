"""Serve the demo agency's outside world on 127.0.0.1 until interrupted: the fake WeChat API
its 微信公众号 channel is configured for, and the webhook receiver of its county media apps.
`make run` starts this beside the web server.

The embedded mode has no beat: while it runs, this also sends what is due every
`--sweep-every` seconds (a release whose first attempt found the channels not yet up, a
retry whose time has come), as the beat's sweeper does in production."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from agencies.models import Channel, ChannelKind
from demo.channels import DemoWebhookReceiver, fake_wechat, webhook_port, wechat_port
from demo.management.commands.seed_demo import AGENCY
from releases.tasks import sweep_outbox


class Command(BaseCommand):
    help = "Run the demo's fake WeChat API and webhook receiver on 127.0.0.1 (Ctrl-C stops)."

    def add_arguments(self, parser):
        parser.add_argument("--sweep-every", type=float, default=30.0,
                            help="seconds between sweeps of due releases (0: never)")

    def handle(self, *args, sweep_every=30.0, **options):
        channels = Channel.objects.filter(agency__code=AGENCY[0])
        wechat = channels.filter(kind=ChannelKind.WECHAT).first()
        hooks = {c.code: (c.config or {}).get("secret") for c in
                 channels.filter(kind=ChannelKind.WEBHOOK)}
        if wechat is None or not (wechat.config or {}).get("secret"):
            raise CommandError("The demo agency is not seeded: run `manage.py seed_demo` first.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            with fake_wechat(wechat.config["secret"], port=wechat_port()) as server, \
                    DemoWebhookReceiver({k: v for k, v in hooks.items() if v},
                                        port=webhook_port()) as receiver:
                self.stdout.write(f"Demo channels: WeChat API {server.base_url}, "
                                  f"webhooks {receiver.url}/<channel>")
                self._sweep()
                while not stop.wait(sweep_every or None):
                    self._sweep()
        except OSError as error:  # a port taken by another demo
            raise CommandError(f"Cannot serve the demo channels: {error}") from error
        except KeyboardInterrupt:
            pass

    def _sweep(self):
        try:
            sent = sweep_outbox()
        except Exception as error:  # noqa: BLE001 - the demo keeps serving; the next sweep retries
            self.stderr.write(f"sweep failed: {error}")
        else:
            if sent["deliveries"] or sent["retractions"]:
                self.stdout.write(f"sent {sent['deliveries']} due deliveries, "
                                  f"{sent['retractions']} retractions")
        finally:
            close_old_connections()
