import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

@testable import QuoteService

func withUpstream(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    let router = Router()
    router.get("/quote") { _, _ in #"{"quote": "q", "author": "a"}"# }
    router.get("/slow") { _, _ -> String in
        try await Task.sleep(for: .seconds(3))
        return "late"
    }
    router.get("/big") { _, _ in String(repeating: "x", count: HTTPUpstream.maxBodyBytes + 1) }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Logger(label: "upstream"))
    try await app.test(.live) { client in try await body(client.port!) }
}

func withClient(_ body: (HTTPUpstream) async throws -> Void) async throws {
    let upstream = HTTPUpstream(configuration: QuoteConfiguration(upstreamURL: "http://127.0.0.1/", timeout: .milliseconds(500)))
    do {
        try await body(upstream)
    } catch {
        try await upstream.shutdown()
        throw error
    }
    try await upstream.shutdown()
}

func failure(_ upstream: HTTPUpstream, _ url: String) async -> UpstreamFailure? {
    do {
        _ = try await upstream.get(url, timeout: .milliseconds(500))
        return nil
    } catch {
        return error
    }
}

/// The real client against a real (in-process) upstream: how its errors
/// are sorted into timeouts and unreachable hosts.
final class HTTPUpstreamTests: XCTestCase {
    func testGoodAnswerAndSlowAnswer() async throws {
        try await withUpstream { port in
            try await withClient { upstream in
                let answer = try await upstream.get("http://127.0.0.1:\(port)/quote", timeout: .seconds(2))
                XCTAssertEqual(answer.status, 200)
                XCTAssertEqual(String(buffer: answer.body), #"{"quote": "q", "author": "a"}"#)
                let start = ContinuousClock.now
                let slow = await failure(upstream, "http://127.0.0.1:\(port)/slow")
                XCTAssertEqual(slow, .timeout)
                XCTAssertLessThan(ContinuousClock.now - start, .seconds(2), "gave up at the timeout")
                let big = await failure(upstream, "http://127.0.0.1:\(port)/big")
                XCTAssertEqual(big, .tooLarge(HTTPUpstream.maxBodyBytes))
            }
        }
    }

    func testRefusedAndUnresolvableAreUnreachableAtOnce() async throws {
        try await withClient { upstream in
            let start = ContinuousClock.now
            guard case .unreachable(let refused)? = await failure(upstream, "http://127.0.0.1:9/") else {
                return XCTFail("a closed port is unreachable")
            }
            XCTAssertTrue(refused.contains("Connection refused"), refused)
            guard case .unreachable(let unknown)? = await failure(upstream, "http://no-such-host.invalid/") else {
                return XCTFail("an unknown name is unreachable")
            }
            XCTAssertTrue(unknown.contains("cannot resolve no-such-host.invalid"), unknown)
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(900), "no retries until the timeout")
        }
    }
}
