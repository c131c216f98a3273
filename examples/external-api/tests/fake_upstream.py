"""A fake upstream for the quote service's tests: good, error, garbage and
slow answers, over HTTP and (given a certificate) HTTPS.

    python3 fake_upstream.py [--http PORT] [--https PORT --cert FILE --key FILE]

Paths:
  /quote      200, a good quote (with extra white space to fold)
  /error      500, a JSON error
  /garbage    200, HTML instead of JSON
  /wrong      200, JSON without a quote
  /slow       the good quote after SLOW seconds (?seconds=N, default 5)
  /count      how many requests it has answered, as plain text
Python's standard library only: it runs on the lab's python-slim base.
"""
import argparse
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

GOOD = {"id": 7, "quote": "Simplicity is prerequisite\n  for reliability.", "author": "Edsger W. Dijkstra"}
count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (the standard library's name)
        global count
        with lock:
            count += 1
        url = urlparse(self.path)
        if url.path == "/quote":
            self.answer(200, GOOD)
        elif url.path == "/error":
            self.answer(500, {"message": "the fake upstream failed on purpose"})
        elif url.path == "/garbage":
            self.answer(200, "<html><body>this is not JSON</body></html>", "text/html")
        elif url.path == "/wrong":
            self.answer(200, {"text": 42})
        elif url.path == "/slow":
            seconds = float(parse_qs(url.query).get("seconds", ["5"])[0])
            time.sleep(seconds)
            self.answer(200, GOOD)
        elif url.path == "/count":
            self.answer(200, f"{count}\n", "text/plain")
        else:
            self.answer(404, {"message": "no such path"})

    def log_message(self, format, *args):  # noqa: A002 (the standard library's name)
        sys.stdout.write("fake-upstream: %s %s\n" % (self.address_string(), format % args))
        sys.stdout.flush()


def serve(server):
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=8000)
    parser.add_argument("--https", type=int)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    options = parser.parse_args()
    servers = [ThreadingHTTPServer(("0.0.0.0", options.http), Handler)]
    if options.https:
        tls = ThreadingHTTPServer(("0.0.0.0", options.https), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.cert, options.key)
        tls.socket = context.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    print("fake-upstream: listening on", ", ".join(str(s.server_address[1]) for s in servers), flush=True)
    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
