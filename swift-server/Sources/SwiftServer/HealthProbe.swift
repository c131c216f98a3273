#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's self-probe, for images that have no shell and no curl:
/// `server healthcheck` asks `GET /healthz` where the server listens and
/// exits 0 on 200. Plain POSIX sockets keep it small and free of an event loop.
public enum HealthProbe {
    public enum Outcome: Equatable, Sendable {
        case healthy
        case unhealthy(String)
    }

    /// The address to probe for a server listening on `host`: the host
    /// itself, except that a wildcard ("every address": `0.0.0.0`, `::`) is
    /// reached through loopback.
    public static func target(forListeningHost host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::", "[::]": "::1"
        default: host
        }
    }

    /// Resolves `host` as the server does (a name goes through the system
    /// resolver: `/etc/hosts`, then DNS), connects to each address in turn
    /// until one answers, sends `GET path`, and reads the status line. The
    /// whole probe gives up after `timeoutMilliseconds` (name lookup aside).
    public static func check(host: String = "127.0.0.1", port: Int, path: String = "/healthz", timeoutMilliseconds: Int = 1500) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            return .unhealthy("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }

        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        var failure = "no address for \(host)"
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next {
            next = entry.pointee.ai_next
            let address = describe(entry.pointee, port: port)
            switch request(entry.pointee, host: host, port: port, path: path, deadline: deadline) {
            case .success(let outcome): return outcome
            case .failure(let reason): failure = "connect to \(address): \(reason)"
            }
            if ContinuousClock.now >= deadline { break }
        }
        return .unhealthy(failure)
    }

    enum Attempt {
        case success(Outcome)
        case failure(String)
    }

    /// One address: `.failure` if it cannot be reached, so the next is tried;
    /// `.success` with the verdict once a server there has answered (or not).
    static func request(_ entry: addrinfo, host: String, port: Int, path: String, deadline: ContinuousClock.Instant) -> Attempt {
        let fd = socket(entry.ai_family, entry.ai_socktype, entry.ai_protocol)
        guard fd >= 0 else { return .failure("socket: \(errorText())") }
        defer { close(fd) }
        setTimeout(fd, until: deadline)
        guard connect(fd, entry.ai_addr, entry.ai_addrlen) == 0 else { return .failure(errorText()) }

        let hostField = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(hostField)\r\nUser-Agent: server-healthcheck\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return .success(.unhealthy("send: \(errorText())")) }

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            setTimeout(fd, until: deadline)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                break
            } else {
                return .success(.unhealthy("no answer: \(errorText())"))
            }
        }
        let statusLine = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/") else {
            return .success(.unhealthy("not an HTTP answer: \"\(statusLine)\""))
        }
        return .success(fields[1] == "200" ? .healthy : .unhealthy("status \(fields[1]) from \(path)"))
    }

    /// Send and receive time out at `deadline` (on Linux the send timeout
    /// also bounds `connect`); at least 1 ms, since 0 would mean "never".
    static func setTimeout(_ fd: Int32, until deadline: ContinuousClock.Instant) {
        let left = max(deadline - ContinuousClock.now, .milliseconds(1))
        let micros = left.components.seconds * 1_000_000 + left.components.attoseconds / 1_000_000_000_000
        var timeout = timeval(tv_sec: .init(micros / 1_000_000), tv_usec: .init(micros % 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
    }

    /// "127.0.0.1:8080" or "[::1]:8080": the numeric address of an entry.
    static func describe(_ entry: addrinfo, port: Int) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(entry.ai_addr, entry.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
        else { return "?:\(port)" }
        let name = String(nulTerminated: host)
        return entry.ai_family == AF_INET6 ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
