import SwiftServer
import XCTest

@testable import QuoteService

final class ConfigurationTests: XCTestCase {
    func testDefaults() throws {
        let configuration = try QuoteConfiguration(environment: [:], systemBundles: ["/etc/passwd"])
        XCTAssertEqual(configuration.upstreamURL, QuoteConfiguration.defaultUpstreamURL)
        XCTAssertEqual(configuration.timeout, .seconds(2))
        XCTAssertEqual(configuration.caFile, "/etc/passwd", "the first readable system bundle")
        XCTAssertNil(configuration.trustedCertificates)
    }

    func testURLs() throws {
        for good in ["http://upstream:8000/quote", "https://example.org/q?x=1", "HTTP://127.0.0.1/"] {
            XCTAssertEqual(try QuoteConfiguration.parseURL(good), good)
        }
        for bad in ["", "upstream:8000", "ftp://host/x", "http://", "http:///path", "http://a b/", "http://host:99999/", "/quote"] {
            XCTAssertThrowsError(try QuoteConfiguration.parseURL(bad), bad) { error in
                XCTAssertEqual((error as? ConfigurationError)?.variable, "UPSTREAM_URL")
            }
        }
    }

    func testTimeouts() throws {
        let cases: [(String, Duration)] = [("2", .seconds(2)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)), ("500ms", .milliseconds(500)), ("60", .seconds(60))]
        for (text, duration) in cases {
            XCTAssertEqual(try QuoteConfiguration.parseTimeout(text), duration, text)
        }
        for bad in ["0", "0ms", "61", "-1", "2m", "fast", "1e3", "s"] {
            XCTAssertThrowsError(try QuoteConfiguration.parseTimeout(bad), bad)
        }
    }

    func testInvalidSettingsNameTheVariableInOneLine() {
        let cases: [([String: String], String)] = [
            (["UPSTREAM_URL": "nope"], "UPSTREAM_URL"),
            (["UPSTREAM_TIMEOUT": "soon"], "UPSTREAM_TIMEOUT"),
            (["SSL_CERT_FILE": "/no/such/bundle.pem"], "SSL_CERT_FILE"),
            (["SSL_CERT_FILE": "/etc/hostname"], "SSL_CERT_FILE"),
        ]
        for (environment, variable) in cases {
            XCTAssertThrowsError(try QuoteConfiguration(environment: environment)) { error in
                let error = error as? ConfigurationError
                XCTAssertEqual(error?.variable, variable)
                XCTAssertFalse(error?.description.contains("\n") ?? true)
            }
        }
    }

    func testHTTPSWithoutAnyCABundleIsRefused() {
        XCTAssertThrowsError(try QuoteConfiguration(environment: [:], systemBundles: ["/no/such/bundle"])) { error in
            XCTAssertTrue("\(error)".contains("set SSL_CERT_FILE"), "\(error)")
        }
        XCTAssertNoThrow(try QuoteConfiguration(environment: ["UPSTREAM_URL": "http://upstream/"], systemBundles: ["/no/such/bundle"]))
    }
}
