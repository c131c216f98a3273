import FoundationEssentials
import Hummingbird
import Logging
import NIOCore
import SwiftServer

/// What the upstream must answer: a JSON object with a non-empty "quote"
/// and "author" (other fields are ignored).
struct UpstreamQuote: Decodable {
    var quote: String
    var author: String
}

/// What `GET /quote` answers: the quote, tidied, and where it came from.
public struct Quote: Codable, Sendable, Equatable {
    public var quote: String
    public var author: String
    public var words: Int
    public var source: String
    public var upstreamMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case quote, author, words, source
        case upstreamMilliseconds = "upstream_ms"
    }
}

/// The longest quote passed on; anything longer is not a quote.
let maxQuoteCharacters = 2000

/// Checks the upstream's answer and turns it into the API's: a 2xx status,
/// a JSON object with non-empty string "quote" and "author", the text with
/// its runs of white space folded into one space. Anything else is an
/// `APIError` 502 that says what was wrong.
public func transform(_ answer: UpstreamAnswer, source: String, milliseconds: Int) throws(APIError) -> Quote {
    guard (200..<300).contains(answer.status) else {
        throw APIError(.badGateway, "the upstream answered HTTP \(answer.status)")
    }
    let decoded: UpstreamQuote
    do {
        decoded = try JSONDecoder().decode(UpstreamQuote.self, from: Data(buffer: answer.body))
    } catch DecodingError.dataCorrupted {
        throw APIError(.badGateway, "the upstream answered something that is not JSON")
    } catch {
        throw APIError(.badGateway, "the upstream's JSON has no string \"quote\" and \"author\"")
    }
    let quote = folded(decoded.quote)
    let author = folded(decoded.author)
    guard !quote.isEmpty, !author.isEmpty else {
        throw APIError(.badGateway, "the upstream's quote or author is empty")
    }
    guard quote.count <= maxQuoteCharacters else {
        throw APIError(.badGateway, "the upstream's quote has \(quote.count) characters, over \(maxQuoteCharacters)")
    }
    return Quote(quote: quote, author: author, words: quote.split(separator: " ").count, source: source, upstreamMilliseconds: milliseconds)
}

/// Runs of white space (new lines, tabs) become one space; none at the ends.
func folded(_ text: String) -> String {
    text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

/// The API error for a failure to get an answer at all.
public func apiError(_ failure: UpstreamFailure, timeout: Duration) -> APIError {
    switch failure {
    case .timeout: APIError(.gatewayTimeout, "the upstream did not answer within \(timeout)")
    case .unreachable(let reason): APIError(.badGateway, "the upstream is unreachable: \(reason)")
    case .tls(let reason): APIError(.badGateway, "TLS with the upstream failed: \(reason)")
    case .tooLarge(let limit): APIError(.badGateway, "the upstream's answer is over \(limit) bytes")
    case .failed(let reason): APIError(.badGateway, "the upstream failed: \(reason)")
    }
}

/// `GET /quote`, on top of the lab's contract.
public func quoteRoutes(upstream: some Upstream, configuration: QuoteConfiguration) -> RouteSet {
    let source = URL(string: configuration.upstreamURL)?.host() ?? configuration.upstreamURL
    return RouteSet(methods: ["/quote": [.get, .head]]) { router, logger in
        router.get("/quote") { request, _ -> Response in
            let start = ContinuousClock.now
            do {
                let answer: UpstreamAnswer
                do throws(UpstreamFailure) {
                    answer = try await upstream.get(configuration.upstreamURL, timeout: configuration.timeout)
                } catch {
                    throw apiError(error, timeout: configuration.timeout)
                }
                let elapsed = ContinuousClock.now - start
                let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                let quote = try transform(answer, source: source, milliseconds: milliseconds)
                return try jsonResponse(quote, head: request.method == .head)
            } catch let error as APIError {
                logger.warning("GET \(configuration.upstreamURL): \(error.message)")
                throw error
            }
        }
    }
}

public let quotesUsage = commonUsage(
    program: "quotes",
    environment: [
        ("UPSTREAM_URL", "the http(s) API that GET /quote asks (default \(QuoteConfiguration.defaultUpstreamURL))"),
        ("UPSTREAM_TIMEOUT", "how long to wait for it, then 504: 2, 1.5s, 500ms (default 2s)"),
        ("SSL_CERT_FILE", "a PEM bundle of the CA certificates HTTPS trusts (default: the system's)"),
    ])

/// The quote service: the lab's server with `GET /quote`, its HTTP client
/// shut down after the last request when the server stops.
public func buildQuoteApplication(
    configuration: ServerConfiguration,
    quotes: QuoteConfiguration,
    upstream: some Upstream,
    shutdown: (@Sendable () async throws -> Void)? = nil,
    info: ServerInfo = .current(),
    logger: Logger = Logger(label: "quotes"),
    accessLogger: Logger = Logger(label: "access")
) -> some ApplicationProtocol {
    buildApplication(
        configuration: configuration, info: info, logger: logger, accessLogger: accessLogger,
        extra: quoteRoutes(upstream: upstream, configuration: quotes), cleanup: shutdown.map { ("HTTP client", $0) })
}
