"""Load and loss checks for the notes service (examples/sqlite/tests).

    notes_load.py post   URL --count N --concurrency C --acked FILE [--seconds S]
    notes_load.py verify URL --acked FILE...

post: POSTs notes with unique texts from C threads, each on its own
keep-alive connection, until N are sent or S seconds pass. Every note the
service acknowledges (201 with its id) is appended to FILE as "id<TAB>text"
and flushed at once, so the list survives this process being cut short. A
refused or dropped connection (the container killed or stopped) is counted,
not fatal: the thread waits briefly and tries again, until the time is up
or its requests have failed for --give-up seconds (the service is gone).
Prints one line: sent, acknowledged, failed.

verify: reads every note back, 100 a page (GET /notes?limit=100&before=...),
and checks that each acknowledged id is there with its text. Exit 1 and the
first missing ids if any are lost.

Python's standard library only.
"""
import argparse
import http.client
import itertools
import json
import sys
import threading
import time
import uuid
from urllib.parse import urlparse


def connect(url):
    parsed = urlparse(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)


def post(options):
    run = uuid.uuid4().hex[:8]
    counter = itertools.count()
    lock = threading.Lock()
    stats = {"sent": 0, "acked": 0, "failed": 0, "statuses": {}}
    deadline = time.monotonic() + options.seconds
    out = open(options.acked, "a", encoding="utf-8")

    def worker():
        connection = connect(options.url)
        failing_since = None
        while time.monotonic() < deadline:
            number = next(counter)
            if number >= options.count:
                return
            text = f"load {run} note {number}: nothing acknowledged is lost"
            body = json.dumps({"text": text})
            try:
                connection.request("POST", "/notes", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    stats["sent"] += 1
                    stats["failed"] += 1
                connection.close()
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > options.give_up:
                    return
                time.sleep(0.05)
                connection = connect(options.url)
                continue
            failing_since = None
            with lock:
                stats["sent"] += 1
                stats["statuses"][response.status] = stats["statuses"].get(response.status, 0) + 1
                if response.status == 201:
                    note = json.loads(data)
                    if note.get("text") == text:
                        stats["acked"] += 1
                        out.write(f"{note['id']}\t{text}\n")
                        out.flush()
                        continue
                stats["failed"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(options.concurrency)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.close()
    elapsed = time.monotonic() - start
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(stats["statuses"].items()))
    print(f"sent {stats['sent']} acknowledged {stats['acked']} failed {stats['failed']} "
          f"in {elapsed:.1f} s with {options.concurrency} connections (statuses {statuses or 'none'})")


def verify(options):
    acked = {}
    for name in options.acked:
        with open(name, encoding="utf-8") as file:
            for line in file:
                note_id, text = line.rstrip("\n").split("\t", 1)
                acked[int(note_id)] = text
    stored = {}
    connection = connect(options.url)
    path = "/notes?limit=100"
    while path:
        connection.request("GET", path)
        response = connection.getresponse()
        page = json.loads(response.read())
        if response.status != 200:
            print(f"GET {path}: HTTP {response.status}: {page}")
            sys.exit(1)
        for note in page["notes"]:
            stored[note["id"]] = note["text"]
        path = page.get("next")
    missing = [note_id for note_id, text in acked.items() if stored.get(note_id) != text]
    if missing:
        print(f"lost {len(missing)} of {len(acked)} acknowledged notes, for example ids {sorted(missing)[:10]}")
        sys.exit(1)
    print(f"all {len(acked)} acknowledged notes are there ({len(stored)} stored)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("post")
    p.add_argument("url")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--give-up", type=float, default=1.0, help="stop a thread whose requests fail for this long")
    p.add_argument("--acked", required=True)
    v = commands.add_parser("verify")
    v.add_argument("url")
    v.add_argument("--acked", nargs="+", required=True)
    options = parser.parse_args()
    post(options) if options.command == "post" else verify(options)


if __name__ == "__main__":
    main()
