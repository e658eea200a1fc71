"""Pre-scan speed: throughput of `Scanner.scan_text` and latency of one 50 KB item.

A standalone script (not a test). No database, no Django: only the scanning core, on one
core (sched_setaffinity), on generated text (lib.corpus, seeded).

    .venv/bin/python benchmarks/scan_throughput.py            # ~4 MB of text, 300 items
    .venv/bin/python benchmarks/scan_throughput.py --mb 8 --items 1000

Figures and targets (issue: confidentiality and privacy pre-scan):
  * throughput of scan_text on one core with a 10,000-word dictionary   ≥ 10 MB/s
  * p95 of one 50 KB item (title + HTML body + extracted attachment text) ≤ 50 ms
MB are 10^6 bytes of the text in UTF-8 (a CJK character is 3 bytes). Every figure is
given in wall-clock time and in CPU time of this process (see lib/timing.py).
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter

from lib import bootstrap, corpus
from lib.timing import Clock, RunClock, Samples

THROUGHPUT_TARGET_MB_S = 10.0
P95_TARGET_MS = 50.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=4.0, help="MB of text for throughput (4)")
    parser.add_argument("--items", type=int, default=300, help="50 KB items for latency (300)")
    parser.add_argument("--words", type=int, default=10_000, help="dictionary size (10000)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput passes (3)")
    parser.add_argument("--seed", type=int, default=20240301)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    run = RunClock()
    bootstrap.use_repository()
    from scanning.engine import Scanner, WordList

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    info = bootstrap.machine()
    print(f"{bootstrap.machine_line(info)}; pinned to one core")
    rnd = random.Random(args.seed)

    t0 = time.perf_counter()
    docs = [corpus.document(rnd, 64_000) for _ in range(max(1, int(args.mb * 1e6 / 64_000)))]
    corpus_bytes = sum(len(d.encode("utf-8")) for d in docs)
    corpus_chars = sum(len(d) for d in docs)
    words = corpus.dictionary(rnd, args.words, "".join(docs[:4]))
    items = [corpus.item(rnd) for _ in range(args.items)]
    print(f"generated {len(docs)} documents, {corpus_bytes / 1e6:.2f} MB "
          f"({corpus_chars / 1e6:.2f} M characters), {len(words)} dictionary words, "
          f"{len(items)} items in {time.perf_counter() - t0:.1f} s")

    with Clock() as build:
        scanner = Scanner([WordList("敏感词", "warning", tuple(words[: len(words) // 2])),
                           WordList("禁止公开", "blocking", tuple(words[len(words) // 2:]))],
                          public_numbers=["0391-6172345"])

    # throughput: whole passes over the corpus; the best pass is the least disturbed one
    scanner.scan_text(docs[0], "warm-up")
    passes, by_kind = Samples(), Counter()
    for _ in range(args.repeat):
        with Clock() as clock:
            found = [scanner.scan_text(d, "attachment:x.txt") for d in docs]
        passes.add(clock)
    for findings in found:
        by_kind.update(f.kind for f in findings)
    best_wall, best_cpu = min(passes.wall) / 1000, min(passes.cpu) / 1000
    throughput, throughput_cpu = corpus_bytes / best_wall / 1e6, corpus_bytes / best_cpu / 1e6

    html_docs = [corpus.as_html(d) for d in docs[: max(1, len(docs) // 4)]]
    html_bytes = sum(len(h.encode("utf-8")) for h in html_docs)
    with Clock() as html:
        for h in html_docs:
            scanner.scan_html(h)

    # 50 KB items, as the automatic scan sees one: title, HTML body, attachment text
    item_bytes = [sum(len(part.encode("utf-8")) for part in it) for it in items]
    for title, body, attachment in items[:10]:
        scanner.scan_text(title, "title")
        scanner.scan_html(body)
        scanner.scan_text(attachment, "attachment:附件.docx")
    latency = Samples()
    for title, body, attachment in items:
        with Clock() as clock:
            scanner.scan_text(title, "title")
            scanner.scan_html(body)
            scanner.scan_text(attachment, "attachment:附件.docx")
        latency.add(clock)
    p95 = latency.p(95)

    print(f"\nscanner build ({len(words)} words + markings): {build.wall_ms:.0f} ms wall, "
          f"{build.cpu_ms:.0f} ms CPU")
    print(f"scan_text: {corpus_bytes / 1e6:.2f} MB, {sum(by_kind.values())} findings per pass; "
          f"best pass {best_wall:.3f} s wall / {best_cpu:.3f} s CPU, median "
          f"{statistics.median(passes.wall) / 1000:.3f} s wall of {args.repeat}")
    print("  findings by kind: " + ", ".join(f"{k} {n}" for k, n in by_kind.most_common()))
    print(f"  throughput {throughput:.1f} MB/s wall, {throughput_cpu:.1f} MB/s CPU; "
          f"{corpus_chars / best_wall / 1e6:.1f} M characters/s")
    print(f"scan_html: {html_bytes / 1e6:.2f} MB of HTML: {html_bytes / html.wall_ms / 1e3:.1f} "
          f"MB/s wall, {html_bytes / html.cpu_ms / 1e3:.1f} MB/s CPU (HTML parsing included)")
    print(f"item of {statistics.mean(item_bytes) / 1000:.0f} KB (title + HTML body + "
          f"attachment text), {len(items)} items: {latency.line()}, "
          f"max {max(latency.wall):.1f} ms wall")

    ok_throughput = throughput >= THROUGHPUT_TARGET_MB_S
    ok_p95 = p95 <= P95_TARGET_MS
    print("\nSUMMARY  pre-scan")
    print(f"  throughput, {args.words:,}-word dictionary, one core: {throughput:6.1f} MB/s wall "
          f"({throughput_cpu:.1f} MB/s CPU)   target ≥ {THROUGHPUT_TARGET_MB_S:.0f} MB/s   "
          f"{'ok' if ok_throughput else 'MISSED'}")
    print(f"  50 KB item p95: {p95:6.1f} ms wall ({latency.p(95, 'cpu'):.1f} ms CPU), p50 "
          f"{latency.p(50):.1f} ms wall   target ≤ {P95_TARGET_MS:.0f} ms   "
          f"{'ok' if ok_p95 else 'MISSED'}")
    print(f"  run: {run.line()}")
    return 0 if ok_throughput and ok_p95 else 1


if __name__ == "__main__":
    sys.exit(main())
