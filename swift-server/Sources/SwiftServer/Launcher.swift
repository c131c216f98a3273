import FoundationEssentials
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Exit statuses, following sysexits(3).
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case failure = 1
    /// A bad argument or environment variable.
    case usage = 64
    /// Input data that is not what it should be (a file that is not a database).
    case dataError = 65
    /// A file that cannot be created or written.
    case cannotCreate = 73
}

/// Something that stops a server before it serves: one line and a status.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: ExitStatus

    public init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    public var description: String { message }
}

/// Writes to standard error without buffering: the last words of a process.
public func printError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// One line on standard error, "program: message", and the exit status.
public func fail(_ program: String, _ message: String, status: ExitStatus) -> Never {
    let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    printError("\(program): \(line)\n")
    exit(status.rawValue)
}

/// The usage lines every lab server shares, with an example's own
/// commands and environment variables, each a name and what it does.
public func commonUsage(program: String, commands: [(String, String)] = [], environment: [(String, String)] = []) -> String {
    func column(_ name: String) -> String { name.count >= 18 ? name + " " : name + String(repeating: " ", count: 18 - name.count) }
    let names = (["healthcheck", "--healthcheck", "--version", "--help"] + commands.map(\.0)).joined(separator: " | ")
    var text = """
        usage: \(program) [\(names)]

          (no argument)     serve HTTP on $HOST:$PORT (default 0.0.0.0:8080)
          healthcheck       GET http://$HOST:$PORT/healthz (HOST 0.0.0.0 is probed on 127.0.0.1);
                            exit 0 on 200, 1 otherwise

        """
    for (name, help) in commands { text += "  \(column(name))\(help)\n" }
    text += "\nenvironment: PORT (1-65535), HOST, LOG_LEVEL (trace, debug, info, notice, warning, error, critical)"
    for (name, help) in environment { text += "\n  \(column(name))\(help)" }
    return text
}

/// A command of an example's own, beside serving and the health check:
/// it runs with the environment and returns the exit status.
public typealias ExtraCommand = @Sendable ([String: String]) async -> ExitStatus

/// The `main` of every Swift server of the lab. It reads the contract's
/// settings, then either serves (logging to standard output, stopping
/// cleanly on SIGTERM or SIGINT), runs the self-probe, prints the version or
/// the usage, or runs one of `commands`. `makeApplication` builds what is
/// served, given the settings, the environment and a logger labelled with
/// the program's name at the configured level; a `StartupError` it throws
/// stops the process at once with one line and its status, before the port
/// is opened.
public func runServer<App: ApplicationProtocol>(
    program: String = "server",
    usage: String,
    commands: [String: ExtraCommand] = [:],
    makeApplication: (ServerConfiguration, [String: String], Logger) async throws -> App
) async -> Never {
    let environment = ProcessInfo.processInfo.environment
    let arguments = Array(CommandLine.arguments.dropFirst())
    let configuration: ServerConfiguration
    do {
        configuration = try ServerConfiguration(environment: environment)
    } catch {
        fail(program, error.description, status: .usage)
    }

    switch arguments {
    case []:
        // Every log line's timestamp is local time. While TZ is unset, glibc
        // checks /etc/localtime again for each one: a stat(2) per request
        // (make bench, docs/09). Naming the same file once keeps the same
        // time zone and reads it once.
        if environment["TZ"] == nil { setenv("TZ", ":/etc/localtime", 0) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        var logger = Logger(label: program)
        logger.logLevel = configuration.logLevel
        let app: App
        do {
            app = try await makeApplication(configuration, environment, logger)
        } catch let error as StartupError {
            fail(program, error.message, status: error.status)
        } catch {
            fail(program, "cannot start: \(error)", status: .failure)
        }
        do {
            try await app.runService()
            logger.info("stopped cleanly")
            exit(ExitStatus.ok.rawValue)
        } catch {
            fail(program, describeServerError(error, configuration: configuration), status: .failure)
        }
    case ["healthcheck"], ["--healthcheck"]:
        switch HealthProbe.check(host: HealthProbe.target(forListeningHost: configuration.host), port: configuration.port) {
        case .healthy: exit(ExitStatus.ok.rawValue)
        case .unhealthy(let reason): fail(program, "healthcheck failed: \(reason)", status: .failure)
        }
    case ["--version"], ["version"]:
        print("\(program) (Swift \(swiftCompilerVersion), \(operatingSystem)/\(architecture))")
        exit(ExitStatus.ok.rawValue)
    case ["--help"], ["-h"], ["help"]:
        print(usage)
        exit(ExitStatus.ok.rawValue)
    default:
        if arguments.count == 1, let command = commands[arguments[0]] {
            exit(await command(environment).rawValue)
        }
        fail(program, "unknown argument \"\(arguments.joined(separator: " "))\" (see \(program) --help)", status: .usage)
    }
}

/// A service that does nothing until the server is asked to stop, then
/// runs `cleanup`: how a database is closed or an HTTP client shut down
/// after the last request. Hummingbird stops its services in reverse order
/// and the HTTP server first, so in-flight requests finish before this runs.
public struct CleanupService: Service {
    let name: String
    let logger: Logger
    let cleanup: @Sendable () async throws -> Void

    public init(_ name: String, logger: Logger, cleanup: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.logger = logger
        self.cleanup = cleanup
    }

    public func run() async throws {
        try? await gracefulShutdown()
        do {
            try await cleanup()
            logger.info("\(name) closed")
        } catch {
            logger.error("\(name) did not close cleanly: \(error)")
        }
    }
}
