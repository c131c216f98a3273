import Logging

/// Settings read from the environment. Every field has a default, so an
/// empty environment gives a working server on 0.0.0.0:8080.
public struct ServerConfiguration: Sendable, Equatable {
    public static let defaultHost = "0.0.0.0"
    public static let defaultPort = 8080
    public static let defaultLogLevel = Logger.Level.info

    public var host: String
    public var port: Int
    public var logLevel: Logger.Level

    public init(host: String = defaultHost, port: Int = defaultPort, logLevel: Logger.Level = defaultLogLevel) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }

    /// Reads `HOST`, `PORT` and `LOG_LEVEL`. An unset or empty variable takes
    /// its default; a set but invalid one is an error, never silently ignored.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        if let host = environment["HOST"], !host.isEmpty {
            guard !host.contains(where: { $0.isWhitespace }) else {
                throw .invalid(variable: "HOST", value: host, expected: "an IP address or host name without spaces")
            }
            self.host = host
        }
        if let port = environment["PORT"], !port.isEmpty {
            self.port = try Self.parsePort(port)
        }
        if let level = environment["LOG_LEVEL"], !level.isEmpty {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalid(variable: "LOG_LEVEL", value: level, expected: "one of \(names)")
            }
            self.logLevel = parsed
        }
    }

    /// A port is a decimal integer in 1...65535: no sign, no spaces, no hex.
    public static func parsePort(_ text: String) throws(ConfigurationError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(text), (1...65535).contains(port)
        else {
            throw .invalid(variable: "PORT", value: text, expected: "an integer from 1 to 65535")
        }
        return port
    }
}

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(variable: String, value: String, expected: String)

    public var variable: String {
        switch self {
        case .invalid(let variable, _, _): variable
        }
    }

    /// One line, naming the variable and the bad value.
    public var description: String {
        switch self {
        case .invalid(let variable, let value, let expected):
            "invalid \(variable) \"\(value)\": expected \(expected)"
        }
    }
}
