import Hummingbird
import HummingbirdTesting
import XCTest

#if canImport(Glibc)
import Glibc
#endif

@testable import SwiftServer

final class HealthProbeTests: XCTestCase {
    func liveApp(host: String = "127.0.0.1") -> some ApplicationProtocol {
        buildApplication(configuration: .init(host: host, port: 0, logLevel: .warning), info: ServerInfo(hostname: "h"))
    }

    func testHealthyServerPasses() async throws {
        try await liveApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let outcome = await Task.detached { HealthProbe.check(port: port) }.value
            XCTAssertEqual(outcome, .healthy)
        }
    }

    func testNon200Fails() async throws {
        try await liveApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let outcome = await Task.detached { HealthProbe.check(port: port, path: "/missing") }.value
            XCTAssertEqual(outcome, .unhealthy("status 404 from /missing"))
        }
    }

    func testNothingListeningFailsFast() async throws {
        // Take a free port from the kernel, then close it again: nothing listens there.
        let port = try await liveApp().test(.live) { client in try XCTUnwrap(client.port) }
        let start = ContinuousClock.now
        let outcome = HealthProbe.check(port: port)
        guard case .unhealthy(let reason) = outcome else { return XCTFail("expected unhealthy, got \(outcome)") }
        XCTAssertTrue(reason.hasPrefix("connect to 127.0.0.1:\(port):"), reason)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }

    func testWildcardsAreProbedOnLoopback() {
        XCTAssertEqual(HealthProbe.target(forListeningHost: "0.0.0.0"), "127.0.0.1")
        XCTAssertEqual(HealthProbe.target(forListeningHost: "::"), "::1")
        XCTAssertEqual(HealthProbe.target(forListeningHost: "10.1.2.3"), "10.1.2.3")
        XCTAssertEqual(HealthProbe.target(forListeningHost: "app.internal"), "app.internal")
    }

    #if os(Linux)
    /// Linux routes all of 127.0.0.0/8 to loopback, so a listener on
    /// 127.0.0.2 is a server on an address other than the default.
    func testProbeGoesWhereTheServerListens() async throws {
        let stub = try StubHTTPServer(host: "127.0.0.2")
        let answered = Task.detached { stub.answer(connections: 1) }
        let there = await Task.detached { HealthProbe.check(host: "127.0.0.2", port: stub.port) }.value
        XCTAssertEqual(there, .healthy)
        _ = await answered.value
        let elsewhere = await Task.detached { HealthProbe.check(host: "127.0.0.1", port: stub.port) }.value
        XCTAssertEqual(elsewhere, .unhealthy("connect to 127.0.0.1:\(stub.port): Connection refused"))
    }
    #endif

    func testProbeResolvesNamesAndTriesEachAddress() async throws {
        // "localhost" may resolve to ::1 first; the server is on 127.0.0.1 only.
        try await liveApp().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let outcome = await Task.detached { HealthProbe.check(host: "localhost", port: port) }.value
            XCTAssertEqual(outcome, .healthy)
        }
    }

    func testUnresolvableHostIsReported() {
        let outcome = HealthProbe.check(host: "", port: 80)
        guard case .unhealthy(let reason) = outcome else { return XCTFail("expected unhealthy, got \(outcome)") }
        XCTAssertTrue(reason.hasPrefix("cannot resolve : "), reason)
    }
}

#if os(Linux)
/// A listening socket on `host` that answers `200 OK` to each of a given
/// number of connections, then closes.
final class StubHTTPServer: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init(host: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard fd >= 0, inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw StubError.setup }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw StubError.setup }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func answer(connections: Int) {
        defer { close(fd) }
        for _ in 0..<connections {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n".utf8)
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    enum StubError: Error { case setup }
}
#endif
