"""The locustfile of `platform_scale.py`: reviewers, drafters and citizens on the platform.

Run by `platform_scale.py` as `locust -f benchmarks/lib/platform_load.py --headless …` in
its own process (locust patches the standard library with gevent when it starts, which
the benchmark's own process must not get). Who acts, with which token or session, is
read from the JSON file named by $PLATFORM_PLAN, written by the benchmark:

* reviewers (section heads, confidentiality reviewers, leaders): the queue through the
  API (`GET /api/v1/tasks/`), a claim of one of its first unclaimed tasks (or the task
  they hold already), the approval; every few rounds the web queue page (`/app/review/`)
  with their session. A claim another reviewer won answers 409: counted as
  "claim: 409 already claimed", not as an error (the services' answer to competing
  reviewers);
* drafters: create an item (`POST /api/v1/publications/`) and submit it;
* citizens: the public column, an agency's index and released items' pages.

Every request says `X-Forwarded-Proto: https`, as the TLS proxy in front of gunicorn
would (the production settings redirect plain HTTP). Think times are scaled by
$PLATFORM_THINK (1.0: a reviewer reads an item for 4–12 s before deciding).
"""

import json
import os
import random

from locust import FastHttpUser, between, task

PLAN = json.loads(open(os.environ["PLATFORM_PLAN"]).read())
THINK = float(os.environ.get("PLATFORM_THINK", "1.0"))
PROXY = {"X-Forwarded-Proto": "https"}


def think(lo, hi):
    return between(lo * THINK, hi * THINK)


def _pop(people):
    """Each locust user plays one of the people of the plan, in turn."""
    person = people[_pop.next.setdefault(id(people), 0) % len(people)]
    _pop.next[id(people)] += 1
    return person


_pop.next = {}


class Reviewer(FastHttpUser):
    fixed_count = PLAN["counts"]["reviewers"]
    wait_time = think(1, 3)

    def on_start(self):
        self.person = _pop(PLAN["reviewers"])
        self.api = {**PROXY, "Authorization": f"Token {self.person['token']}"}
        self.web = {**PROXY, "Cookie": f"sessionid={self.person['session']}"}
        self.rounds = 0

    @task
    def review_one(self):
        self.rounds += 1
        if self.rounds % PLAN["web_queue_every"] == 0:
            with self.client.get("/app/review/", headers=self.web, name="queue page (web)",
                                 allow_redirects=False, catch_response=True) as page:
                if page.status_code != 200:  # a redirect: to the login page
                    page.failure(f"{page.status_code} {page.headers.get('Location')}")
        with self.client.get("/api/v1/tasks/", headers=self.api, name="queue (API)",
                             catch_response=True) as queue:
            if queue.status_code != 200:
                return
            tasks = queue.json()["results"]
        mine = [t for t in tasks if t["owner"] == self.person["username"]]
        free = [t for t in tasks if t["owner"] is None]
        if mine:
            chosen = mine[0]
        elif free:
            chosen = random.choice(free[:5])
            self._sleep(1, 3)  # reads the item before taking it
            with self.client.post(f"/api/v1/tasks/{chosen['id']}/claim/", headers=self.api,
                                  name="claim", catch_response=True) as claim:
                if claim.status_code == 409:
                    claim.request_meta["name"] = "claim: 409 already claimed"
                    claim.success()
                    return
                if claim.status_code != 200:
                    return
        else:
            return
        self._sleep(4, 12)  # reads the item, decides
        with self.client.post(f"/api/v1/tasks/{chosen['id']}/approve/", headers=self.api,
                              json={"comment": ""}, name=f"approve: {chosen['step']}",
                              catch_response=True) as approve:
            if approve.status_code == 409:
                approve.request_meta["name"] = f"approve: {chosen['step']}: 409"
                approve.success()

    def _sleep(self, lo, hi):
        import gevent

        gevent.sleep(random.uniform(lo * THINK, hi * THINK))


class Drafter(FastHttpUser):
    fixed_count = PLAN["counts"]["drafters"]
    wait_time = think(10, 30)

    def on_start(self):
        self.person = _pop(PLAN["drafters"])
        self.api = {**PROXY, "Authorization": f"Token {self.person['token']}"}
        self.made = 0

    @task
    def draft_and_submit(self):
        self.made += 1
        item = {"title": f"关于第{self.made}批基础设施项目的公示（{self.person['username']}）",
                "body": "<p>根据有关规定，现将项目情况公示如下。</p>",
                "section": self.person["section"], "category": self.person["category"],
                "formed_on": PLAN["today"], "channels": PLAN["channels"]}
        with self.client.post("/api/v1/publications/", headers=self.api, json=item,
                              name="create item", catch_response=True) as made:
            if made.status_code != 201:
                return
            pk = made.json()["id"]
        import gevent

        gevent.sleep(random.uniform(1 * THINK, 4 * THINK))
        self.client.post(f"/api/v1/publications/{pk}/submit/", headers=self.api, json={},
                         name="submit item")


class Citizen(FastHttpUser):
    fixed_count = PLAN["counts"]["citizens"]
    wait_time = think(1, 4)

    @task(4)
    def item_page(self):
        code, pk = random.choice(PLAN["public_items"])
        self.client.get(f"/gk/{code}/items/{pk}/", headers=PROXY, name="public item page")

    @task(1)
    def index_page(self):
        code = random.choice(PLAN["public_agencies"])
        self.client.get(f"/gk/{code}/", headers=PROXY, name="public index")
