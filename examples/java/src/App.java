// The lab's HTTP contract (docs/contract.md) in Java, on the JDK's built-in
// HTTP server (com.sun.net.httpserver, module jdk.httpserver): no library
// from outside the JDK, so jdeps finds two modules and jlink builds a
// runtime of just those.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

public final class App {
    static final String TEXT = "text/plain; charset=utf-8";
    static final List<String> LEVELS = List.of("trace", "debug", "info", "notice", "warning", "error", "critical");
    static final String VERSION = System.getProperty("java.version");
    static final String ARCH = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ");

    record Config(String host, int port, boolean logRequests) {}

    /** One line on standard error, then exit with status. */
    static void fail(int status, String message) {
        System.err.println("server: " + message);
        System.exit(status);
    }

    static void log(String level, String message) {
        System.out.println(ZonedDateTime.now(ZoneOffset.UTC).format(STAMP) + " " + level + " " + message);
    }

    /** HOST, PORT and LOG_LEVEL; an invalid value exits 64. */
    static Config configure() {
        String host = System.getenv().getOrDefault("HOST", "");
        if (host.isEmpty()) host = "0.0.0.0";
        if (host.chars().anyMatch(Character::isWhitespace)) {
            fail(64, "invalid HOST \"" + host + "\": expected an IP address or host name without spaces");
        }
        String text = System.getenv().getOrDefault("PORT", "");
        if (text.isEmpty()) text = "8080";
        int port = text.matches("[0-9]{1,5}") ? Integer.parseInt(text) : 0;
        if (port < 1 || port > 65535) fail(64, "invalid PORT \"" + text + "\": expected an integer from 1 to 65535");
        String level = System.getenv().getOrDefault("LOG_LEVEL", "");
        if (level.isEmpty()) level = "info";
        if (!LEVELS.contains(level.toLowerCase(Locale.ROOT))) {
            fail(64, "invalid LOG_LEVEL \"" + level + "\": expected one of " + String.join(", ", LEVELS));
        }
        boolean logRequests = LEVELS.indexOf(level.toLowerCase(Locale.ROOT)) <= LEVELS.indexOf("info");
        return new Config(host.replaceAll("^\\[(.*)\\]$", "$1"), port, logRequests);
    }

    /** application/json has a higher quality than text/plain (or text/*), or the same and comes first. */
    static boolean prefersJSON(String accept) {
        double jsonQ = -1, textQ = -1;
        int jsonAt = -1, textAt = -1;
        String[] items = accept == null ? new String[0] : accept.split(",");
        for (int position = 0; position < items.length; position++) {
            String[] parts = items[position].split(";");
            String kind = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
                if (parameter.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(parameter.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (kind.equals("application/json") && jsonAt < 0) {
                jsonQ = q;
                jsonAt = position;
            } else if ((kind.equals("text/plain") || kind.equals("text/*")) && textAt < 0) {
                textQ = q;
                textAt = position;
            }
        }
        if (jsonAt < 0 || jsonQ <= 0) return false;
        return textAt < 0 || jsonQ > textQ || (jsonQ == textQ && jsonAt < textAt);
    }

    static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException unknown) {
                return "unknown";
            }
        }
    }

    static void send(HttpExchange exchange, int status, String type, String cache, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", type);
        headers.set("Cache-Control", cache);
        if (exchange.getRequestMethod().equals("HEAD")) {
            // The server sends no body for HEAD; the length is the GET body's.
            headers.set("Content-Length", Integer.toString(bytes.length));
            exchange.sendResponseHeaders(status, -1);
        } else {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    static void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (!path.equals("/") && !path.equals("/info") && !path.equals("/healthz")) {
            send(exchange, 404, TEXT, "no-store", "not found\n");
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            send(exchange, 405, TEXT, "no-store", "method not allowed\n");
        } else if (path.equals("/")) {
            send(exchange, 200, TEXT, "public, max-age=60", "Hello from Java in Docker! Try /info for more details.\n");
        } else if (path.equals("/healthz")) {
            send(exchange, 200, TEXT, "no-store", "ok\n");
        } else {
            String host = hostname();
            exchange.getResponseHeaders().set("Vary", "Accept");
            if (prefersJSON(exchange.getRequestHeaders().getFirst("Accept"))) {
                send(exchange, 200, "application/json; charset=utf-8", "no-store", String.format(
                    "{\"arch\":\"%s\",\"hostname\":\"%s\",\"language\":\"Java\",\"os\":\"linux\",\"version\":\"%s\"}%n",
                    ARCH, host, VERSION));
            } else {
                send(exchange, 200, TEXT, "no-store", "Server Information:\n-------------------\nJava Version: " + VERSION
                    + "\nOS/Arch: linux/" + ARCH + "\nHostname: " + host + "\n");
            }
        }
    }

    static void serve(Config config) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(config.host()), config.port());
        // TCP_NODELAY on every connection. Without it the JDK's server sends a
        // response's headers and body in two small writes, and Nagle's
        // algorithm holds the second until the client's delayed ACK: 40 ms
        // per request on a kept-alive connection (make bench measured 44 ms
        // and 722 requests a second, then 6x as many with this). The server
        // reads the property once, when the first server is made.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server;
        try {
            server = HttpServer.create(address, 1024);
        } catch (BindException e) {
            String reason = e.getMessage() != null && e.getMessage().contains("in use")
                ? "address already in use (is another server running on port " + config.port() + "?)"
                : String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            fail(1, "cannot listen on " + config.host() + ":" + config.port() + ": " + reason);
            return;
        }
        AtomicInteger inFlight = new AtomicInteger();
        server.createContext("/", exchange -> {
            long start = System.nanoTime();
            inFlight.incrementAndGet();
            try {
                route(exchange);
            } finally {
                inFlight.decrementAndGet();
                if (config.logRequests()) {
                    log("info", String.format(Locale.ROOT, "access: %s %s %d %.3fms", exchange.getRequestMethod(),
                        exchange.getRequestURI().getPath(), exchange.getResponseCode(), (System.nanoTime() - start) / 1e6));
                }
            }
        });
        ExecutorService workers = Executors.newFixedThreadPool(8);
        server.setExecutor(workers);
        // docker stop (SIGTERM) or Ctrl-C: let requests in flight finish, for
        // up to a second, then close and exit 0 (the JVM's own status would be 143).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("notice", "server: stopping");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    break;
                }
            }
            server.stop(0);
            workers.shutdownNow();
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }));
        server.start();
        log("notice", "server: listening on " + config.host() + ":" + config.port());
    }

    /** Where the self-probe asks, for a server listening on host. */
    static List<String> probeHosts(String host) throws UnknownHostException {
        if (host.equals("0.0.0.0")) return List.of("127.0.0.1");
        if (host.equals("::")) return List.of("::1", "127.0.0.1");
        List<String> hosts = new ArrayList<>();
        for (InetAddress address : InetAddress.getAllByName(host)) hosts.add(address.getHostAddress());
        return hosts;
    }

    /** GET /healthz where the server listens: exit 0 on 200, else 1 and one line. */
    static void healthcheck(Config config) {
        List<String> hosts;
        try {
            hosts = probeHosts(config.host());
        } catch (UnknownHostException e) {
            fail(1, "healthcheck: cannot resolve HOST \"" + config.host() + "\": " + e.getMessage());
            return;
        }
        long deadline = System.currentTimeMillis() + 2000;
        String last = "no address to ask";
        for (String host : hosts) {
            int remaining = (int) (deadline - System.currentTimeMillis());
            if (remaining <= 0) break;
            String literal = host.contains(":") ? "[" + host + "]" : host;
            try {
                HttpURLConnection connection = (HttpURLConnection) new URL("http://" + literal + ":" + config.port() + "/healthz").openConnection();
                connection.setConnectTimeout(remaining);
                connection.setReadTimeout(remaining);
                int status = connection.getResponseCode();
                connection.disconnect();
                if (status == 200) System.exit(0);
                last = literal + ":" + config.port() + " answered " + status;
            } catch (IOException e) {
                last = literal + ":" + config.port() + ": " + e.getMessage();
            }
        }
        fail(1, "healthcheck: unhealthy: " + last);
    }

    public static void main(String[] args) throws IOException {
        Config config = configure();
        String command = args.length > 0 ? args[0] : "";
        switch (command) {
            case "healthcheck", "--healthcheck" -> healthcheck(config);
            case "--version" -> System.out.println("server (Java " + VERSION + ")");
            case "" -> serve(config);
            default -> fail(64, "unknown argument \"" + command + "\" (expected: healthcheck, --healthcheck or --version)");
        }
    }
}
