import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Builds the application for a configuration. Tests and `main` share it.
public func buildApplication(
    configuration: ServerConfiguration,
    info: ServerInfo = .current(),
    logger: Logger = Logger(label: "server"),
    accessLogger: Logger = Logger(label: "access")
) -> some ApplicationProtocol {
    var logger = logger
    logger.logLevel = configuration.logLevel
    var accessLogger = accessLogger
    accessLogger.logLevel = configuration.logLevel
    let router = buildRouter(info: info, accessLogger: accessLogger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
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
