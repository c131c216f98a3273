// The original lab's Go server, extended to the lab's HTTP contract
// (docs/contract.md): standard library only, so that the binary builds with
// CGO_ENABLED=0 into one static file for FROM scratch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const greeting = "Hello from Go in Docker! Try /info for more details.\n"

var levels = []string{"trace", "debug", "info", "notice", "warning", "error", "critical"}

type config struct {
	host, port string
	logRequests bool
}

// fail prints one line on standard error and exits with status.
func fail(status int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "server: "+format+"\n", args...)
	os.Exit(status)
}

// configure reads HOST, PORT and LOG_LEVEL; an invalid value exits 64.
func configure() config {
	c := config{host: "0.0.0.0", port: "8080", logRequests: true}
	if host := os.Getenv("HOST"); host != "" {
		if strings.ContainsAny(host, " \t\r\n") {
			fail(64, "invalid HOST %q: expected an IP address or host name without spaces", host)
		}
		c.host = host
	}
	if port := os.Getenv("PORT"); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || len(port) > 5 || strings.ContainsAny(port, "+-") || n < 1 || n > 65535 {
			fail(64, "invalid PORT %q: expected an integer from 1 to 65535", port)
		}
		c.port = strconv.Itoa(n)
	}
	if level := strings.ToLower(os.Getenv("LOG_LEVEL")); level != "" {
		index := -1
		for i, name := range levels {
			if name == level {
				index = i
			}
		}
		if index < 0 {
			fail(64, "invalid LOG_LEVEL %q: expected one of %s", os.Getenv("LOG_LEVEL"), strings.Join(levels, ", "))
		}
		c.logRequests = index <= 2
	}
	return c
}

// arch is the kernel's name for the machine, as `uname -m` prints it.
func arch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// prefersJSON: application/json has a higher quality than text/plain (or
// text/*), or the same quality and comes first.
func prefersJSON(accept string) bool {
	jsonQ, textQ, jsonAt, textAt := -1.0, -1.0, -1, -1
	for position, item := range strings.Split(accept, ",") {
		parts := strings.Split(item, ";")
		kind := strings.ToLower(strings.TrimSpace(parts[0]))
		q := 1.0
		for _, p := range parts[1:] {
			if p = strings.ToLower(strings.TrimSpace(p)); strings.HasPrefix(p, "q=") {
				if q, _ = strconv.ParseFloat(p[2:], 64); q < 0 {
					q = 0
				}
			}
		}
		switch {
		case kind == "application/json" && jsonAt < 0:
			jsonQ, jsonAt = q, position
		case (kind == "text/plain" || kind == "text/*") && textAt < 0:
			textQ, textAt = q, position
		}
	}
	if jsonAt < 0 || jsonQ <= 0 {
		return false
	}
	return textAt < 0 || jsonQ > textQ || (jsonQ == textQ && jsonAt < textAt)
}

// statusRecorder remembers the status for the request log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func reply(w http.ResponseWriter, r *http.Request, status int, contentType, cache, body string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

func handler(logRequests bool) http.Handler {
	version := strings.TrimPrefix(runtime.Version(), "go")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		route(rec, r, version)
		if logRequests {
			log.Printf("info access: %s %s %d %.3fms", r.Method, r.URL.Path, rec.status, float64(time.Since(start).Microseconds())/1000)
		}
	})
}

func route(w http.ResponseWriter, r *http.Request, version string) {
	const text = "text/plain; charset=utf-8"
	switch r.URL.Path {
	case "/", "/info", "/healthz":
	default:
		reply(w, r, http.StatusNotFound, text, "no-store", "not found\n")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		reply(w, r, http.StatusMethodNotAllowed, text, "no-store", "method not allowed\n")
		return
	}
	switch r.URL.Path {
	case "/":
		reply(w, r, http.StatusOK, text, "public, max-age=60", greeting)
	case "/healthz":
		reply(w, r, http.StatusOK, text, "no-store", "ok\n")
	case "/info":
		hostname, _ := os.Hostname()
		w.Header().Set("Vary", "Accept")
		if prefersJSON(r.Header.Get("Accept")) {
			body, _ := json.Marshal(map[string]string{
				"language": "Go", "version": version, "os": runtime.GOOS, "arch": arch(), "hostname": hostname,
			})
			reply(w, r, http.StatusOK, "application/json; charset=utf-8", "no-store", string(body)+"\n")
			return
		}
		reply(w, r, http.StatusOK, text, "no-store", fmt.Sprintf(
			"Server Information:\n-------------------\nGo Version: %s\nOS/Arch: %s/%s\nHostname: %s\n",
			version, runtime.GOOS, arch(), hostname))
	}
}

// probeHosts: where the self-probe asks, for a server listening on host.
func probeHosts(host string) ([]string, error) {
	switch host {
	case "0.0.0.0", "":
		return []string{"127.0.0.1"}, nil
	case "::", "[::]":
		return []string{"::1", "127.0.0.1"}, nil
	}
	if net.ParseIP(host) != nil {
		return []string{host}, nil
	}
	return net.LookupHost(host)
}

// healthcheck asks GET /healthz where the server listens: exit 0 on 200.
func healthcheck(c config) {
	hosts, err := probeHosts(c.host)
	if err != nil {
		fail(1, "healthcheck: cannot resolve HOST %q: %v", c.host, err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(2 * time.Second)
	var last error
	for _, host := range hosts {
		client.Timeout = time.Until(deadline)
		if client.Timeout <= 0 {
			break
		}
		url := "http://" + net.JoinHostPort(host, c.port) + "/healthz"
		resp, err := client.Get(url)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			os.Exit(0)
		}
		last = fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	fail(1, "healthcheck: unhealthy: %v", last)
}

func main() {
	log.SetFlags(0)
	log.SetOutput(logWriter{})
	c := configure()
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "healthcheck", "--healthcheck":
			healthcheck(c)
		case "--version":
			fmt.Printf("server (Go %s)\n", strings.TrimPrefix(runtime.Version(), "go"))
			return
		default:
			fail(64, "unknown argument %q (expected: healthcheck, --healthcheck or --version)", os.Args[1])
		}
	}
	host := strings.Trim(c.host, "[]")
	address := net.JoinHostPort(host, c.port)
	// 0.0.0.0 means every IPv4 address only, as for the other servers: Go's
	// "tcp" would listen on IPv6 too.
	network := "tcp"
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		network = "tcp4"
	} else if ip != nil {
		network = "tcp6"
	}
	listener, err := net.Listen(network, address)
	if err != nil {
		reason := err.Error()
		if errors.Is(err, syscall.EADDRINUSE) {
			reason = "address already in use (is another server running on port " + c.port + "?)"
		}
		fail(1, "cannot listen on %s: %s", address, reason)
	}
	server := &http.Server{Handler: handler(c.logRequests), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		<-ctx.Done()
		log.Printf("notice server: stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	log.Printf("notice server: listening on %s", listener.Addr())
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail(1, "serving on %s: %v", address, err)
	}
	done.Wait()
}

// logWriter writes each log line on standard output with a timestamp.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	return fmt.Fprintf(os.Stdout, "%s %s", time.Now().UTC().Format("2006-01-02T15:04:05-0700"), p)
}
