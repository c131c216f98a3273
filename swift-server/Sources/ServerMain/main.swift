import FoundationEssentials
import Logging
import SwiftServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Exit statuses, following sysexits(3).
enum Status: Int32 {
    case ok = 0
    case failure = 1
    case usage = 64
}

func printError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String, status: Status) -> Never {
    printError("server: \(message)\n")
    exit(status.rawValue)
}

let usage = """
    usage: server [healthcheck | --healthcheck | --version | --help]

      (no argument)   serve HTTP on $HOST:$PORT (default 0.0.0.0:8080)
      healthcheck     GET http://$HOST:$PORT/healthz (HOST 0.0.0.0 is probed on 127.0.0.1);
                      exit 0 on 200, 1 otherwise

    environment: PORT (1-65535), HOST, LOG_LEVEL (trace, debug, info, notice, warning, error, critical)
    """

let arguments = Array(CommandLine.arguments.dropFirst())
let configuration: ServerConfiguration
do {
    configuration = try ServerConfiguration(environment: ProcessInfo.processInfo.environment)
} catch {
    fail(error.description, status: .usage)
}

switch arguments {
case []:
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = configuration.logLevel
        return handler
    }
    let app = buildApplication(configuration: configuration)
    do {
        try await app.runService()
        Logger(label: "server").info("stopped cleanly")
    } catch {
        fail(describeServerError(error, configuration: configuration), status: .failure)
    }
case ["healthcheck"], ["--healthcheck"]:
    switch HealthProbe.check(host: HealthProbe.target(forListeningHost: configuration.host), port: configuration.port) {
    case .healthy: exit(Status.ok.rawValue)
    case .unhealthy(let reason): fail("healthcheck failed: \(reason)", status: .failure)
    }
case ["--version"], ["version"]:
    print("server (Swift \(swiftCompilerVersion), \(operatingSystem)/\(architecture))")
case ["--help"], ["-h"], ["help"]:
    print(usage)
default:
    fail("unknown argument \"\(arguments.joined(separator: " "))\" (see server --help)", status: .usage)
}
