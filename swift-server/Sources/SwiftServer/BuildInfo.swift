#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Facts about the build and the machine, shown by `/info`.
public struct ServerInfo: Sendable, Equatable, Codable {
    public var language: String
    public var version: String
    public var os: String
    public var arch: String
    public var hostname: String

    public init(language: String = "Swift", version: String = swiftCompilerVersion,
                os: String = operatingSystem, arch: String = architecture, hostname: String) {
        self.language = language
        self.version = version
        self.os = os
        self.arch = arch
        self.hostname = hostname
    }

    /// The running machine's (or container's) facts.
    public static func current() -> ServerInfo {
        ServerInfo(hostname: currentHostname())
    }

    /// The plain-text block of the lab's `/info` page.
    public var text: String {
        """
        Server Information:
        -------------------
        \(language) Version: \(version)
        OS/Arch: \(os)/\(arch)
        Hostname: \(hostname)

        """
    }
}

/// The host name from `gethostname(2)`: in a container, the container's.
public func currentHostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    let name = String(nulTerminated: buffer)
    return name.isEmpty ? "unknown" : name
}

extension String {
    /// The text of a NUL-terminated C buffer, as `gethostname` and
    /// `getnameinfo` fill it.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

#if os(Linux)
public let operatingSystem = "linux"
#elseif os(macOS)
public let operatingSystem = "darwin"
#else
public let operatingSystem = "unknown"
#endif

#if arch(x86_64)
public let architecture = "x86_64"
#elseif arch(arm64)
public let architecture = "aarch64"
#else
public let architecture = "unknown"
#endif

/// The version of the compiler that built this binary. Swift has no string
/// constant for it, so it is read from `#if compiler(...)` checks, newest
/// first; a compiler newer than the list reports the newest it knows with
/// "+". Package.swift needs tools 6.2, so no older compiler gets this far.
#if compiler(>=6.5)
public let swiftCompilerVersion = "6.5+"
#elseif compiler(>=6.4.2)
public let swiftCompilerVersion = "6.4.2"
#elseif compiler(>=6.4.1)
public let swiftCompilerVersion = "6.4.1"
#elseif compiler(>=6.4)
public let swiftCompilerVersion = "6.4"
#elseif compiler(>=6.3.3)
public let swiftCompilerVersion = "6.3.3"
#elseif compiler(>=6.3.2)
public let swiftCompilerVersion = "6.3.2"
#elseif compiler(>=6.3.1)
public let swiftCompilerVersion = "6.3.1"
#elseif compiler(>=6.3)
public let swiftCompilerVersion = "6.3"
#elseif compiler(>=6.2.4)
public let swiftCompilerVersion = "6.2.4"
#elseif compiler(>=6.2.3)
public let swiftCompilerVersion = "6.2.3"
#elseif compiler(>=6.2.2)
public let swiftCompilerVersion = "6.2.2"
#elseif compiler(>=6.2.1)
public let swiftCompilerVersion = "6.2.1"
#else
public let swiftCompilerVersion = "6.2"
#endif
