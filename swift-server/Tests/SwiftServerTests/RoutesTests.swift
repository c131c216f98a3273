import FoundationEssentials
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import XCTest

@testable import SwiftServer

final class RoutesTests: XCTestCase {
    let info = ServerInfo(hostname: "test-host")

    func app(logger: Logger = Logger(label: "test")) -> some ApplicationProtocol {
        buildApplication(configuration: .init(host: "127.0.0.1", port: 0, logLevel: .warning), info: info, logger: logger)
    }

    func testRootGreets() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/plain; charset=utf-8")
                XCTAssertEqual(String(buffer: response.body), "Hello from Swift in Docker! Try /info for more details.\n")
                XCTAssertEqual(response.headers[.cacheControl], "public, max-age=60")
            }
        }
    }

    func testInfoIsPlainTextInTheLabsFormat() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/info", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/plain; charset=utf-8")
                XCTAssertEqual(response.headers[.vary], "Accept")
                XCTAssertEqual(response.headers[.cacheControl], "no-store")
                XCTAssertEqual(
                    String(buffer: response.body),
                    """
                    Server Information:
                    -------------------
                    Swift Version: \(swiftCompilerVersion)
                    OS/Arch: linux/\(architecture)
                    Hostname: test-host

                    """
                )
            }
        }
    }

    func testInfoAsJSON() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/info", method: .get, headers: [.accept: "application/json"]) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
                let decoded = try JSONDecoder().decode(ServerInfo.self, from: Data(buffer: response.body))
                XCTAssertEqual(decoded, ServerInfo(language: "Swift", version: swiftCompilerVersion, os: "linux", arch: architecture, hostname: "test-host"))
                XCTAssertEqual(response.headers[.contentLength], String(response.body.readableBytes))
            }
        }
    }

    func testInfoWithTextAcceptStaysText() async throws {
        try await app().test(.router) { client in
            for accept in ["text/plain", "*/*", "text/plain, application/json", "application/json;q=0.5, text/plain"] {
                try await client.execute(uri: "/info", method: .get, headers: [.accept: accept]) { response in
                    XCTAssertEqual(response.headers[.contentType], "text/plain; charset=utf-8", accept)
                    XCTAssertTrue(String(buffer: response.body).hasPrefix("Server Information:\n"), accept)
                }
            }
        }
    }

    func testCompilerVersionIsAReleaseNumber() {
        let parts = swiftCompilerVersion.split(separator: ".")
        XCTAssertGreaterThanOrEqual(parts.count, 2, swiftCompilerVersion)
        XCTAssertTrue(parts.allSatisfy { Int($0) != nil }, swiftCompilerVersion)
    }

    func testHealthz() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), "ok\n")
                XCTAssertEqual(response.headers[.cacheControl], "no-store")
            }
        }
    }

    func testHeadAnswersWhereverGetDoesWithoutABody() async throws {
        try await app().test(.router) { client in
            for path in Contract.routes.keys.sorted() {
                let (getLength, getCacheControl) = try await client.execute(uri: path, method: .get) {
                    ($0.body.readableBytes, $0.headers[.cacheControl])
                }
                try await client.execute(uri: path, method: .head) { response in
                    XCTAssertEqual(response.status, .ok, path)
                    XCTAssertEqual(response.body.readableBytes, 0, path)
                    XCTAssertEqual(response.headers[.contentLength], String(getLength), path)
                    XCTAssertEqual(response.headers[.cacheControl], getCacheControl, path)
                }
            }
        }
    }

    func testUnknownPathIs404() async throws {
        try await app().test(.router) { client in
            for path in ["/nope", "/info/extra", "/healthz/deeper", "/%2e%2e/etc/passwd"] {
                try await client.execute(uri: path, method: .get) { response in
                    XCTAssertEqual(response.status, .notFound, path)
                    XCTAssertEqual(String(buffer: response.body), "not found\n", path)
                    XCTAssertEqual(response.headers[.cacheControl], "no-store", path)
                }
            }
            try await client.execute(uri: "/nope", method: .head) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(response.body.readableBytes, 0)
            }
        }
    }

    func testOtherMethodsOnKnownPathsAre405WithAllow() async throws {
        try await app().test(.router) { client in
            for path in Contract.routes.keys.sorted() {
                for method: HTTPRequest.Method in [.post, .put, .delete, .patch, .options] {
                    try await client.execute(uri: path, method: method) { response in
                        XCTAssertEqual(response.status, .methodNotAllowed, "\(method) \(path)")
                        XCTAssertEqual(response.headers[.allow], "GET, HEAD", "\(method) \(path)")
                        XCTAssertEqual(String(buffer: response.body), "method not allowed\n")
                        XCTAssertEqual(response.headers[.cacheControl], "no-store", "\(method) \(path)")
                    }
                }
            }
        }
    }

    func testAnExamplesRoutesGet405WithAllowToo() {
        let middleware = ContractErrorMiddleware<BasicRequestContext>(routes: ["/notes": [.get, .post], "/notes/:id": [.get, .delete]])
        XCTAssertEqual(middleware.allowedMethods(path: "/notes"), [.get, .post])
        XCTAssertEqual(middleware.allowedMethods(path: "/notes/42"), [.get, .delete])
        XCTAssertNil(middleware.allowedMethods(path: "/notes/42/more"))
        XCTAssertNil(middleware.allowedMethods(path: "/notes/"), "an empty segment is not an id")
        XCTAssertNil(middleware.allowedMethods(path: "/other/42"))
    }

    func testEveryRequestIsLoggedOnceWithMethodPathStatusAndDuration() async throws {
        let recorder = LogRecorder()
        var logger = Logger(label: "test", factory: { _ in recorder })
        logger.logLevel = .info
        let app = buildApplication(configuration: .init(port: 0), info: info, logger: logger, accessLogger: logger)
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/info", method: .get) { $0.status }
            _ = try await client.execute(uri: "/missing", method: .get) { $0.status }
            _ = try await client.execute(uri: "/", method: .post) { $0.status }
        }
        let lines = recorder.messages.filter { $0.contains(" /") }
        XCTAssertEqual(lines.count, 3, "\(lines)")
        let pattern = /^(GET|POST) \/\S* (200|404|405) \d+\.\d{3}ms$/
        for line in lines {
            XCTAssertNotNil(line.wholeMatch(of: pattern), line)
        }
        XCTAssertTrue(lines[0].hasPrefix("GET /info 200 "), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("GET /missing 404 "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("POST / 405 "), lines[2])
    }

    func testAccessLogIsSilentAboveInfo() async throws {
        let recorder = LogRecorder()
        var logger = Logger(label: "test", factory: { _ in recorder })
        logger.logLevel = .warning
        let app = buildApplication(configuration: .init(port: 0, logLevel: .warning), info: info, logger: logger, accessLogger: logger)
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/", method: .get) { $0.status }
        }
        XCTAssertEqual(recorder.messages, [])
    }
}

/// Collects log messages so tests can read them.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let stored = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    var messages: [String] { stored.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        stored.withLock { $0.append(event.message.description) }
    }
}
