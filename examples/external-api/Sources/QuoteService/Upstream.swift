import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the upstream answered: its status and (at most 1 MiB of) its body.
public struct UpstreamAnswer: Sendable {
    public var status: Int
    public var body: ByteBuffer

    public init(status: Int, body: ByteBuffer) {
        self.status = status
        self.body = body
    }
}

/// Why there is no answer from the upstream. Each maps to a status of
/// `GET /quote`: a timeout to 504, everything else to 502.
public enum UpstreamFailure: Error, Equatable, Sendable {
    /// Nothing (or not all of it) within UPSTREAM_TIMEOUT.
    case timeout
    /// The name does not resolve, or nothing listens there.
    case unreachable(String)
    /// The TLS handshake failed: most often a certificate this service does not trust.
    case tls(String)
    /// An answer over the size limit.
    case tooLarge(Int)
    /// A broken answer or anything else.
    case failed(String)
}

/// Something that GETs a URL: the real HTTP client, or a fake in the tests.
public protocol Upstream: Sendable {
    func get(_ url: String, timeout: Duration) async throws(UpstreamFailure) -> UpstreamAnswer
}

/// The real upstream: one AsyncHTTPClient for the whole service, shut down
/// after the last request when the server stops. A failed connection is not
/// retried, so an unreachable upstream answers at once instead of waiting
/// out the timeout.
public final class HTTPUpstream: Upstream {
    public static let maxBodyBytes = 1 << 20
    public let client: HTTPClient

    public init(configuration: QuoteConfiguration) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let certificates = configuration.trustedCertificates {
            tls.trustRoots = .certificates(certificates)
        } else if let file = configuration.caFile {
            tls.trustRoots = .file(file)
        }
        let timeAmount = TimeAmount.nanoseconds(Int64(configuration.timeout.components.seconds) * 1_000_000_000 + configuration.timeout.components.attoseconds / 1_000_000_000)
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .follow(max: 3, allowCycles: false),
            timeout: .init(connect: timeAmount, read: timeAmount))
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
    }

    public func get(_ url: String, timeout: Duration) async throws(UpstreamFailure) -> UpstreamAnswer {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "swift-lab-quotes")
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return UpstreamAnswer(status: Int(response.status.code), body: body)
        } catch {
            throw Self.classify(error)
        }
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Sorts the client's errors into the failures the API reports.
    public static func classify(_ error: any Error) -> UpstreamFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout, .writeTimeout:
                return .timeout
            case .remoteConnectionClosed:
                return .failed("the upstream closed the connection before it answered")
            default:
                return .failed("\(error)")
            }
        }
        if error is NIOTooManyBytesError { return .tooLarge(maxBodyBytes) }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty {
                return .unreachable("cannot resolve \(error.host)")
            }
            let reasons = Set(error.connectionErrors.map { reason($0.error) }).sorted().joined(separator: "; ")
            return .unreachable("cannot connect to \(error.host):\(error.port): \(reasons)")
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return .tls(tlsReason("\(error)"))
        }
        if let error = error as? IOError {
            return .unreachable(reason(error))
        }
        if error is CancellationError { return .timeout }
        return .failed("\(error)")
    }

    /// BoringSSL's reason (the name after "OPENSSL_internal:"), said plainly
    /// for the usual one: a certificate signed by a CA not trusted here.
    static func tlsReason(_ text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the upstream's certificate is not signed by a CA this service trusts (CERTIFICATE_VERIFY_FAILED); "
                + "SSL_CERT_FILE names the CA bundle to trust"
        }
        if text.contains("failedToValidateHostname") {
            return "the upstream's certificate is not for this host name"
        }
        let marker = "OPENSSL_internal:"
        let parts = text.split(separator: marker, maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            return String(parts[1].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }
        return text
    }

    /// "Connection refused" rather than NIO's full description.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        return String(cString: strerror(error.errnoCode))
    }
}
