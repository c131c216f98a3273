#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The server's self-probe, for images that have no shell and no curl:
/// `server healthcheck` asks `GET /healthz` on loopback and exits 0 on 200.
/// Plain POSIX sockets keep it small and free of an event loop.
public enum HealthProbe {
    public enum Outcome: Equatable, Sendable {
        case healthy
        case unhealthy(String)
    }

    /// Connects to `host:port`, sends `GET path`, and reads the status line.
    /// Connecting and reading each wait at most `timeoutSeconds`.
    public static func check(host: String = "127.0.0.1", port: Int, path: String = "/healthz", timeoutSeconds: Int = 1) -> Outcome {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .unhealthy("socket: \(errorText())") }
        defer { close(fd) }

        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            return .unhealthy("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return .unhealthy("connect to \(host):\(port): \(errorText())") }

        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: server-healthcheck\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return .unhealthy("send: \(errorText())") }

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) && received.count < 4096 {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                break
            } else {
                return .unhealthy("no answer: \(errorText())")
            }
        }
        let statusLine = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/") else {
            return .unhealthy("not an HTTP answer: \"\(statusLine)\"")
        }
        return fields[1] == "200" ? .healthy : .unhealthy("status \(fields[1]) from \(path)")
    }

    static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
