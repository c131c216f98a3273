import Logging
import NIOCore
import XCTest

@testable import SwiftServer

final class ConfigurationTests: XCTestCase {
    func testEmptyEnvironmentGivesDefaults() throws {
        let configuration = try ServerConfiguration(environment: [:])
        XCTAssertEqual(configuration, ServerConfiguration(host: "0.0.0.0", port: 8080, logLevel: .info))
    }

    func testEmptyValuesMeanDefaults() throws {
        let configuration = try ServerConfiguration(environment: ["PORT": "", "HOST": "", "LOG_LEVEL": ""])
        XCTAssertEqual(configuration, ServerConfiguration())
    }

    func testValidPorts() throws {
        for (text, port) in [("1", 1), ("80", 80), ("8080", 8080), ("65535", 65535), ("08080", 8080)] {
            XCTAssertEqual(try ServerConfiguration(environment: ["PORT": text]).port, port, text)
        }
    }

    func testInvalidPortsAreRejectedNamingVariableAndValue() {
        let bad = ["0", "65536", "-1", "+80", "abc", "80a", " 80", "80 ", "0x50", "8.0", "١٢٣", "99999999999999999999"]
        for text in bad {
            XCTAssertThrowsError(try ServerConfiguration(environment: ["PORT": text]), text) { error in
                let error = error as! ConfigurationError
                XCTAssertEqual(error.variable, "PORT")
                XCTAssertEqual(error.description, "invalid PORT \"\(text)\": expected an integer from 1 to 65535")
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
    }

    func testHostAndLogLevel() throws {
        let configuration = try ServerConfiguration(environment: ["HOST": "127.0.0.1", "LOG_LEVEL": "DEBUG"])
        XCTAssertEqual(configuration.host, "127.0.0.1")
        XCTAssertEqual(configuration.logLevel, .debug)
    }

    func testInvalidLogLevel() {
        XCTAssertThrowsError(try ServerConfiguration(environment: ["LOG_LEVEL": "loud"])) { error in
            XCTAssertEqual((error as! ConfigurationError).variable, "LOG_LEVEL")
            XCTAssertTrue("\(error)".hasPrefix("invalid LOG_LEVEL \"loud\": expected one of trace, debug"), "\(error)")
        }
    }

    func testHostWithSpacesIsRejected() {
        XCTAssertThrowsError(try ServerConfiguration(environment: ["HOST": "local host"])) { error in
            XCTAssertEqual((error as! ConfigurationError).variable, "HOST")
        }
    }

    func testBusyPortIsDescribedInOneLine() {
        let configuration = ServerConfiguration(port: 8080)
        let message = describeServerError(IOError(errnoCode: EADDRINUSE, reason: "bind"), configuration: configuration)
        XCTAssertEqual(message, "cannot listen on 0.0.0.0:8080: address already in use (is another server running on port 8080?)")
    }

    func testAcceptNegotiation() {
        let cases: [(String?, Bool)] = [
            (nil, false),
            ("", false),
            ("*/*", false),
            ("text/plain", false),
            ("application/json", true),
            ("Application/JSON", true),
            ("application/json, */*", true),
            ("text/plain, application/json", false),
            ("application/json, text/plain", true),
            ("text/plain;q=0.5, application/json", true),
            ("application/json;q=0.5, text/plain", false),
            ("application/json;q=0", false),
            ("text/html, application/json;q=0.9", true),
            ("text/*;q=1, application/json;q=0.9", false),
        ]
        for (accept, json) in cases {
            XCTAssertEqual(prefersJSON(accept: accept), json, accept ?? "nil")
        }
    }
}
