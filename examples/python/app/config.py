"""HOST, PORT and LOG_LEVEL, read as every server of the lab reads them."""
import os
import sys

LEVELS = ["trace", "debug", "info", "notice", "warning", "error", "critical"]


def fail(status, message):
    """One line on standard error, then exit with status."""
    print(f"server: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def configure():
    """(host, port, log_requests); an invalid value exits 64."""
    host = os.environ.get("HOST") or "0.0.0.0"
    if any(c.isspace() for c in host):
        fail(64, f'invalid HOST "{host}": expected an IP address or host name without spaces')
    text = os.environ.get("PORT") or "8080"
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= 65535):
        fail(64, f'invalid PORT "{text}": expected an integer from 1 to 65535')
    level = (os.environ.get("LOG_LEVEL") or "info").lower()
    if level not in LEVELS:
        fail(64, f'invalid LOG_LEVEL "{os.environ["LOG_LEVEL"]}": expected one of {", ".join(LEVELS)}')
    return host.strip("[]"), int(text), LEVELS.index(level) <= LEVELS.index("info")
