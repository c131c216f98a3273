import Logging
import QuoteService
import SwiftServer

// The lab's server plus GET /quote. Its settings are checked before the port
// opens: an invalid UPSTREAM_URL, UPSTREAM_TIMEOUT or SSL_CERT_FILE stops it
// with one line and exit status 64.
await runServer(program: "quotes", usage: quotesUsage) { configuration, environment, logger in
    let quotes: QuoteConfiguration
    do throws(ConfigurationError) {
        quotes = try QuoteConfiguration(environment: environment)
    } catch {
        throw StartupError(error.description, status: .usage)
    }
    let upstream = HTTPUpstream(configuration: quotes)
    logger.info("upstream \(quotes.upstreamURL), timeout \(quotes.timeout), CA certificates from \(quotes.caFile ?? "nowhere")")
    return buildQuoteApplication(
        configuration: configuration, quotes: quotes, upstream: upstream,
        shutdown: { try await upstream.shutdown() }, logger: logger)
}
