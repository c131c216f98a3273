import FoundationEssentials
import NIOSSL
import SwiftServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The quote service's settings: where the upstream is, how long to wait
/// for it, and which CA certificates to trust for HTTPS.
public struct QuoteConfiguration: Sendable {
    /// A public quotes API that answers {"id", "quote", "author"}.
    public static let defaultUpstreamURL = "https://dummyjson.com/quotes/random"
    public static let defaultTimeout = Duration.seconds(2)
    public static let maxTimeout = Duration.seconds(60)
    /// Where Debian, distroless and the lab's scratch image keep the CA bundle.
    public static let systemCABundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]

    public var upstreamURL: String
    public var timeout: Duration
    /// The CA certificates HTTPS trusts: SSL_CERT_FILE's, else the system's
    /// bundle (nil: none found).
    public var caFile: String?
    public var trustedCertificates: [NIOSSLCertificate]?

    public init(upstreamURL: String = defaultUpstreamURL, timeout: Duration = defaultTimeout, caFile: String? = nil, trustedCertificates: [NIOSSLCertificate]? = nil) {
        self.upstreamURL = upstreamURL
        self.timeout = timeout
        self.caFile = caFile
        self.trustedCertificates = trustedCertificates
    }

    /// Reads `UPSTREAM_URL`, `UPSTREAM_TIMEOUT` and `SSL_CERT_FILE`. Unset or
    /// empty takes the default; anything invalid is one line, never ignored.
    public init(environment: [String: String], systemBundles: [String] = systemCABundles) throws(ConfigurationError) {
        self.init()
        if let url = environment["UPSTREAM_URL"], !url.isEmpty {
            upstreamURL = try Self.parseURL(url)
        }
        if let text = environment["UPSTREAM_TIMEOUT"], !text.isEmpty {
            timeout = try Self.parseTimeout(text)
        }
        if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
            caFile = file
            trustedCertificates = try Self.loadCertificates(file, variable: "SSL_CERT_FILE")
        } else {
            caFile = systemBundles.first { access($0, R_OK) == 0 }
        }
        if upstreamURL.lowercased().hasPrefix("https:") && caFile == nil {
            throw .invalid(
                variable: "UPSTREAM_URL", value: upstreamURL,
                expected: "CA certificates to check HTTPS with: none at \(systemBundles.joined(separator: " or ")); set SSL_CERT_FILE")
        }
    }

    /// An absolute http or https URL with a host and nothing that would need escaping.
    public static func parseURL(_ text: String) throws(ConfigurationError) -> String {
        let invalid = ConfigurationError.invalid(
            variable: "UPSTREAM_URL", value: text, expected: "an http:// or https:// URL with a host, such as http://upstream:8000/quote")
        guard !text.contains(where: { $0.isWhitespace || !$0.isASCII }), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host(), !host.isEmpty
        else { throw invalid }
        if let port = url.port, !(1...65535).contains(port) { throw invalid }
        return text
    }

    /// Seconds, as "2", "1.5" or "2s", or milliseconds as "500ms": more than
    /// 0 and at most 60 s.
    public static func parseTimeout(_ text: String) throws(ConfigurationError) -> Duration {
        let invalid = ConfigurationError.invalid(
            variable: "UPSTREAM_TIMEOUT", value: text, expected: "a time from 1ms to 60s, such as 2, 2s, 1.5s or 500ms")
        var number = Substring(text)
        var scale = 1000.0
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            scale = 1
        } else if number.hasSuffix("s") {
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number)
        else { throw invalid }
        let milliseconds = value * scale
        guard milliseconds >= 1, milliseconds <= 60_000 else { throw invalid }
        return .milliseconds(Int64(milliseconds.rounded()))
    }

    /// The PEM certificates of a CA bundle: at least one, or an error that
    /// names the file.
    static func loadCertificates(_ path: String, variable: String) throws(ConfigurationError) -> [NIOSSLCertificate] {
        guard access(path, R_OK) == 0 else {
            throw .invalid(variable: variable, value: path, expected: "a readable PEM file of CA certificates (\(String(cString: strerror(errno))))")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        guard !certificates.isEmpty else {
            throw .invalid(variable: variable, value: path, expected: "a PEM file of CA certificates (found none in it)")
        }
        return certificates
    }
}
