import AsyncHTTPClient
import FoundationEssentials
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SwiftServer
import XCTest

@testable import QuoteService

/// An upstream faked in process: it answers what it is told to.
struct FakeUpstream: Upstream {
    var result: @Sendable () async -> Result<UpstreamAnswer, UpstreamFailure>

    func get(_ url: String, timeout: Duration) async throws(UpstreamFailure) -> UpstreamAnswer {
        try await result().get()
    }

    static func answering(_ status: Int, _ body: String) -> FakeUpstream {
        FakeUpstream { .success(UpstreamAnswer(status: status, body: ByteBuffer(string: body))) }
    }

    static func failing(_ failure: UpstreamFailure) -> FakeUpstream {
        FakeUpstream { .failure(failure) }
    }
}

let good = #"{"id": 1, "quote": "Less is\n  more.", "author": "Ludwig Mies van der Rohe"}"#

func withQuotes(_ upstream: some Upstream, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = buildQuoteApplication(
        configuration: .init(host: "127.0.0.1", port: 0, logLevel: .critical),
        quotes: QuoteConfiguration(upstreamURL: "http://upstream:8000/quote"), upstream: upstream, info: ServerInfo(hostname: "test"))
    try await app.test(.router) { client in try await body(client) }
}

func errorText(_ response: TestResponse) throws -> String {
    try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))["error"] ?? ""
}

final class QuoteTests: XCTestCase {
    func testAGoodAnswerIsCheckedAndTransformed() async throws {
        try await withQuotes(FakeUpstream.answering(200, good)) { client in
            let response = try await client.execute(uri: "/quote", method: .get)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
            XCTAssertEqual(response.headers[.cacheControl], "no-store")
            let quote = try JSONDecoder().decode(Quote.self, from: Data(buffer: response.body))
            XCTAssertEqual(quote.quote, "Less is more.")
            XCTAssertEqual(quote.author, "Ludwig Mies van der Rohe")
            XCTAssertEqual(quote.words, 3)
            XCTAssertEqual(quote.source, "upstream")
        }
    }

    func testBadAnswersAre502WithAReason() async throws {
        let cases: [(Int, String, String)] = [
            (500, #"{"message": "boom"}"#, "the upstream answered HTTP 500"),
            (404, good, "the upstream answered HTTP 404"),
            (200, "<html>not json</html>", "not JSON"),
            (200, "", "not JSON"),
            (200, #"{"text": 42}"#, #"no string "quote" and "author""#),
            (200, #"{"quote": 42, "author": "x"}"#, #"no string "quote" and "author""#),
            (200, #"["a list"]"#, #"no string "quote" and "author""#),
            (200, #"{"quote": " ", "author": "x"}"#, "empty"),
            (200, #"{"quote": "\#(String(repeating: "a", count: 2001))", "author": "x"}"#, "over 2000"),
        ]
        for (status, body, reason) in cases {
            try await withQuotes(FakeUpstream.answering(status, body)) { client in
                let response = try await client.execute(uri: "/quote", method: .get)
                XCTAssertEqual(response.status, .badGateway, body)
                let text = try errorText(response)
                XCTAssertTrue(text.contains(reason), "\(body): \(text)")
            }
        }
    }

    func testFailuresMapTo502Or504AndTheServiceKeepsServing() async throws {
        let cases: [(UpstreamFailure, HTTPResponse.Status, String)] = [
            (.timeout, .gatewayTimeout, "did not answer within"),
            (.unreachable("cannot resolve upstream"), .badGateway, "unreachable: cannot resolve upstream"),
            (.tls("certificate not trusted"), .badGateway, "TLS with the upstream failed"),
            (.tooLarge(1 << 20), .badGateway, "over 1048576 bytes"),
            (.failed("closed"), .badGateway, "failed: closed"),
        ]
        for (failure, status, reason) in cases {
            try await withQuotes(FakeUpstream.failing(failure)) { client in
                let response = try await client.execute(uri: "/quote", method: .get)
                XCTAssertEqual(response.status, status, "\(failure)")
                let text = try errorText(response)
                XCTAssertTrue(text.contains(reason), text)
                let health = try await client.execute(uri: "/healthz", method: .get)
                XCTAssertEqual(health.status, .ok)
            }
        }
    }

    func testTLSFailuresAreSaidPlainly() {
        let untrusted = "handshakeFailed(sslError([error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at handshake.cc:320]))"
        XCTAssertTrue(HTTPUpstream.tlsReason(untrusted).contains("not signed by a CA this service trusts"))
        XCTAssertTrue(HTTPUpstream.tlsReason(untrusted).contains("SSL_CERT_FILE"))
        XCTAssertEqual(HTTPUpstream.tlsReason("sslError([error:1000010b:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER at x])"), "WRONG_VERSION_NUMBER")
        XCTAssertEqual(HTTPUpstream.tlsReason("failedToValidateHostname(expectedName: \"x\")"), "the upstream's certificate is not for this host name")
    }

    func testOtherMethodsOnQuoteAre405() async throws {
        try await withQuotes(FakeUpstream.answering(200, good)) { client in
            let response = try await client.execute(uri: "/quote", method: .post)
            XCTAssertEqual(response.status, .methodNotAllowed)
            XCTAssertEqual(response.headers[.allow], "GET, HEAD")
        }
    }
}
