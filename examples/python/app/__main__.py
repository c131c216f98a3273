"""python -m app: serve with gunicorn; python -m app healthcheck: probe it."""
import errno
import http.client
import ipaddress
import socket
import sys
import time

from .config import configure, fail


def listen(host, port):
    """The listening socket, made here so that a bad address is one clear line."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(1024)
    except OSError as error:
        reason = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            reason = f"address already in use (is another server running on port {port}?)"
        fail(1, f"cannot listen on {host}:{port}: {reason.lower() if error.errno else reason}")
    sock.set_inheritable(True)
    return sock


def serve(host, port, log_requests):
    from gunicorn.app.base import BaseApplication

    from .web import create_app

    sock = listen(host, port)

    class Server(BaseApplication):
        def load_config(self):
            settings = {
                "bind": [f"fd://{sock.fileno()}"],
                "worker_class": "gthread", "workers": 1, "threads": 4,
                # The worker's heartbeat file: /tmp may be read-only (docker run --read-only).
                "worker_tmp_dir": "/dev/shm",
                # docker stop: finish requests in flight, then exit 0 within about a second.
                "graceful_timeout": 1,
                "accesslog": None, "errorlog": "-", "loglevel": "warning",
                "proc_name": "server",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app(log_requests)

    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} notice server: listening on {host}:{port}", flush=True)
    Server().run()


def probe_hosts(host):
    """Where the self-probe asks, for a server listening on host."""
    if host in ("", "0.0.0.0"):
        return ["127.0.0.1"]
    if host == "::":
        return ["::1", "127.0.0.1"]
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)))


def healthcheck(host, port):
    """GET /healthz where the server listens: exit 0 on 200, else 1 and one line."""
    try:
        hosts = probe_hosts(host)
    except OSError as error:
        fail(1, f'healthcheck: cannot resolve HOST "{host}": {error}')
    deadline = time.monotonic() + 2
    last = "no address to ask"
    for address in hosts:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            connection = http.client.HTTPConnection(address, port, timeout=remaining)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                sys.exit(0)
            last = f"{address}:{port} answered {status}"
        except OSError as error:
            last = f"{address}:{port}: {error}"
    fail(1, f"healthcheck: unhealthy: {last}")


def main():
    host, port, log_requests = configure()
    command = sys.argv[1] if len(sys.argv) > 1 else None
    if command in ("healthcheck", "--healthcheck"):
        healthcheck(host, port)
    elif command == "--version":
        import platform
        print(f"server (Python {platform.python_version()})")
    elif command is None:
        serve(host, port, log_requests)
    else:
        fail(64, f'unknown argument "{command}" (expected: healthcheck, --healthcheck or --version)')


main()
