import Hummingbird
import HummingbirdTesting
import XCTest

@testable import SwiftServer

final class HealthProbeTests: XCTestCase {
    func testHealthyServerPasses() async throws {
        let app = buildApplication(configuration: .init(host: "127.0.0.1", port: 0), info: ServerInfo(hostname: "h"))
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let outcome = await Task.detached { HealthProbe.check(port: port) }.value
            XCTAssertEqual(outcome, .healthy)
        }
    }

    func testNon200Fails() async throws {
        let app = buildApplication(configuration: .init(host: "127.0.0.1", port: 0), info: ServerInfo(hostname: "h"))
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let outcome = await Task.detached { HealthProbe.check(port: port, path: "/missing") }.value
            XCTAssertEqual(outcome, .unhealthy("status 404 from /missing"))
        }
    }

    func testNothingListeningFailsFast() async throws {
        // Take a free port from the kernel, then close it again: nothing listens there.
        let app = buildApplication(configuration: .init(host: "127.0.0.1", port: 0), info: ServerInfo(hostname: "h"))
        let port = try await app.test(.live) { client in try XCTUnwrap(client.port) }
        let start = ContinuousClock.now
        let outcome = HealthProbe.check(port: port)
        guard case .unhealthy(let reason) = outcome else { return XCTFail("expected unhealthy, got \(outcome)") }
        XCTAssertTrue(reason.hasPrefix("connect to 127.0.0.1:\(port):"), reason)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
    }

    func testBadAddressIsReported() {
        XCTAssertEqual(HealthProbe.check(host: "not-an-ip", port: 80), .unhealthy("not an IPv4 address: not-an-ip"))
    }
}
