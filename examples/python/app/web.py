"""The routes of the contract, as a Flask application."""
import json
import platform
import socket
import time
from datetime import datetime, timezone

from flask import Flask, Response, g, request

TEXT = "text/plain; charset=utf-8"
ARCH = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine())


def prefers_json(accept):
    """application/json has a higher quality than text/plain (or text/*), or the same and comes first."""
    found = {}
    for position, item in enumerate((accept or "").split(",")):
        kind, *params = [part.strip().lower() for part in item.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        key = "json" if kind == "application/json" else "text" if kind in ("text/plain", "text/*") else None
        if key and key not in found:
            found[key] = (q, position)
    if "json" not in found or found["json"][0] <= 0:
        return False
    if "text" not in found:
        return True
    (jq, jp), (tq, tp) = found["json"], found["text"]
    return jq > tq or (jq == tq and jp < tp)


def text(body, status=200, cache="no-store", **headers):
    return Response(body, status=status, content_type=TEXT, headers={"Cache-Control": cache, **headers})


def create_app(log_requests=True):
    app = Flask(__name__)

    @app.before_request
    def start_clock():
        g.start = time.perf_counter()

    @app.after_request
    def log_request(response):
        if log_requests:
            elapsed = (time.perf_counter() - g.get("start", time.perf_counter())) * 1000
            stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z")
            print(f"{stamp} info access: {request.method} {request.path} {response.status_code} {elapsed:.3f}ms", flush=True)
        return response

    @app.get("/", provide_automatic_options=False)
    def greeting():
        return text("Hello from Python in Docker! Try /info for more details.\n", cache="public, max-age=60")

    @app.get("/healthz", provide_automatic_options=False)
    def healthz():
        return text("ok\n")

    @app.get("/info", provide_automatic_options=False)
    def info():
        facts = {"language": "Python", "version": platform.python_version(), "os": "linux",
                 "arch": ARCH, "hostname": socket.gethostname()}
        if prefers_json(request.headers.get("Accept")):
            body = json.dumps(facts, sort_keys=True, separators=(",", ":")) + "\n"
            return Response(body, content_type="application/json; charset=utf-8",
                            headers={"Cache-Control": "no-store", "Vary": "Accept"})
        return text("Server Information:\n-------------------\n"
                    f"Python Version: {facts['version']}\nOS/Arch: linux/{ARCH}\nHostname: {facts['hostname']}\n",
                    Vary="Accept")

    @app.errorhandler(404)
    def not_found(_):
        return text("not found\n", 404)

    @app.errorhandler(405)
    def not_allowed(_):
        return text("method not allowed\n", 405, Allow="GET, HEAD")

    return app
