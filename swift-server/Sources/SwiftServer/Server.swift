import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Builds the application for a configuration. Tests and `main` share it,
/// and so do the Swift examples: `extra` adds their routes, and `cleanup`
/// runs after the last request when the server stops (closing a database,
/// shutting down an HTTP client).
public func buildApplication(
    configuration: ServerConfiguration,
    info: ServerInfo = .current(),
    logger: Logger = Logger(label: "server"),
    accessLogger: Logger = Logger(label: "access"),
    extra: RouteSet = .none,
    cleanup: (name: String, run: @Sendable () async throws -> Void)? = nil
) -> some ApplicationProtocol {
    var logger = logger
    logger.logLevel = configuration.logLevel
    var accessLogger = accessLogger
    accessLogger.logLevel = configuration.logLevel
    let router = buildRouter(info: info, accessLogger: accessLogger, extra: extra, logger: logger)
    let services: [any Service] = cleanup.map { [CleanupService($0.name, logger: logger, cleanup: $0.run)] } ?? []
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
        services: services,
        logger: logger
    )
}

/// One line for an error that stopped the server from starting or running.
public func describeServerError(_ error: any Error, configuration: ServerConfiguration) -> String {
    let address = "\(configuration.host):\(configuration.port)"
    if let error = error as? IOError {
        switch error.errnoCode {
        case EADDRINUSE: return "cannot listen on \(address): address already in use (is another server running on port \(configuration.port)?)"
        case EADDRNOTAVAIL: return "cannot listen on \(address): address not available on this machine"
        case EACCES: return "cannot listen on \(address): permission denied (ports below 1024 need privileges)"
        default: return "cannot listen on \(address): \(error)"
        }
    }
    let text = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    return "server stopped on \(address): \(text)"
}
