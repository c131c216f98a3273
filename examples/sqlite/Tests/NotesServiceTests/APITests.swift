import FoundationEssentials
import Hummingbird
import HummingbirdTesting
import Logging
import SwiftServer
import XCTest

@testable import NotesService

let json: HTTPFields = [.contentType: "application/json"]

/// Runs `body` against the notes API on a fresh in-memory database.
func withAPI(_ body: @escaping @Sendable (NotesStore, any TestClientProtocol) async throws -> Void) async throws {
    let store = try await NotesStore.open(path: ":memory:", logger: Logger(label: "test"))
    let app = buildNotesApplication(
        configuration: .init(host: "127.0.0.1", port: 0, logLevel: .warning), store: store, info: ServerInfo(hostname: "test"))
    try await app.test(.router) { client in try await body(store, client) }
}

func post(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields? = nil) async throws -> TestResponse {
    try await client.execute(uri: "/notes", method: .post, headers: headers ?? json, body: ByteBuffer(string: body))
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(type, from: Data(buffer: response.body))
}

func errorMessage(_ response: TestResponse) throws -> String {
    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8")
    return try decode([String: String].self, response)["error"] ?? "no error field"
}

final class APITests: XCTestCase {
    func testPostStoresANoteAndAnswers201WithLocation() async throws {
        try await withAPI { _, client in
            let response = try await post(client, #"{"text": "buy milk"}"#)
            XCTAssertEqual(response.status, .created)
            let note = try decode(Note.self, response)
            XCTAssertEqual(note.text, "buy milk")
            XCTAssertEqual(response.headers[.location], "/notes/\(note.id)")
            let fetched = try await client.execute(uri: "/notes/\(note.id)", method: .get)
            XCTAssertEqual(fetched.status, .ok)
            XCTAssertEqual(try decode(Note.self, fetched), note)
        }
    }

    func testListIsNewestFirstAndPagesWithACursor() async throws {
        try await withAPI { _, client in
            for text in ["a", "b", "c", "d", "e"] { _ = try await post(client, #"{"text": "\#(text)"}"#) }
            var page = try decode(NotesPage.self, try await client.execute(uri: "/notes?limit=2", method: .get))
            XCTAssertEqual(page.notes.map(\.text), ["e", "d"])
            var texts = page.notes.map(\.text)
            while let next = page.next {
                page = try decode(NotesPage.self, try await client.execute(uri: next, method: .get))
                texts += page.notes.map(\.text)
            }
            XCTAssertEqual(texts, ["e", "d", "c", "b", "a"])
        }
    }

    func testLimitIsCappedAndMustBeAPositiveInteger() async throws {
        try await withAPI { store, client in
            for index in 0..<(NotesConfiguration.maxLimit + 5) { _ = try await store.create(text: "note \(index)") }
            let page = try decode(NotesPage.self, try await client.execute(uri: "/notes?limit=100000", method: .get))
            XCTAssertEqual(page.notes.count, NotesConfiguration.maxLimit)
            let standard = try decode(NotesPage.self, try await client.execute(uri: "/notes", method: .get))
            XCTAssertEqual(standard.notes.count, NotesConfiguration.defaultLimit)
            for bad in ["0", "-1", "ten", ""] {
                let response = try await client.execute(uri: "/notes?limit=\(bad)", method: .get)
                XCTAssertEqual(response.status, .badRequest, bad)
                XCTAssertTrue(try errorMessage(response).contains("limit must be a positive integer"))
            }
            let before = try await client.execute(uri: "/notes?before=x", method: .get)
            XCTAssertEqual(before.status, .badRequest)
        }
    }

    func testUnknownIdsAre404InJSON() async throws {
        try await withAPI { _, client in
            for path in ["/notes/999", "/notes/abc", "/notes/0"] {
                let response = try await client.execute(uri: path, method: .get)
                XCTAssertEqual(response.status, .notFound, path)
                XCTAssertTrue(try errorMessage(response).hasPrefix("no note with id"))
            }
            let delete = try await client.execute(uri: "/notes/999", method: .delete)
            XCTAssertEqual(delete.status, .notFound)
        }
    }

    func testDeleteAnswers204ThenTheNoteIsGone() async throws {
        try await withAPI { _, client in
            let note = try decode(Note.self, try await post(client, #"{"text": "short-lived"}"#))
            let delete = try await client.execute(uri: "/notes/\(note.id)", method: .delete)
            XCTAssertEqual(delete.status, .noContent)
            XCTAssertEqual(delete.body.readableBytes, 0)
            let get = try await client.execute(uri: "/notes/\(note.id)", method: .get)
            XCTAssertEqual(get.status, .notFound)
        }
    }

    func testBadBodiesAre400WithAReason() async throws {
        try await withAPI { store, client in
            let cases: [(String, String)] = [
                ("{not json", "malformed JSON"),
                ("", "malformed JSON"),
                ("[1, 2]", "must be a JSON object"),
                (#"{"title": "no text"}"#, #""text" is missing"#),
                (#"{"text": ""}"#, #""text" is empty"#),
                (#"{"text": "  \n "}"#, #""text" is empty"#),
                (#"{"text": 42}"#, #""text" must be a string"#),
            ]
            for (body, reason) in cases {
                let response = try await post(client, body)
                XCTAssertEqual(response.status, .badRequest, body)
                let text = try errorMessage(response)
                XCTAssertTrue(text.contains(reason), "\(body): \(text)")
            }
            let count = try await store.count()
            XCTAssertEqual(count, 0, "nothing was stored")
        }
    }

    func testTextLimitIsTenThousandCharactersNotBytes() async throws {
        try await withAPI { _, client in
            let most = String(repeating: "é", count: NotesConfiguration.maxTextCharacters)
            let fits = try await post(client, #"{"text": "\#(most)"}"#)
            XCTAssertEqual(fits.status, .created, "10,000 characters (20,000 bytes) fit")
            let over = try await post(client, #"{"text": "\#(most)x"}"#)
            XCTAssertEqual(over.status, .badRequest)
            XCTAssertTrue(try errorMessage(over).contains("10001 characters"))
        }
    }

    func testBodiesOver64KiBAreRefused() async throws {
        try await withAPI { _, client in
            let big = #"{"text": "a", "pad": "\#(String(repeating: "x", count: 70_000))"}"#
            let response = try await post(client, big)
            XCTAssertEqual(response.status, .badRequest)
            XCTAssertTrue(try errorMessage(response).contains("over the limit of 65536 bytes"))
            let exact = #"{"text": "a", "pad": ""#
            let padded = exact + String(repeating: "x", count: NotesConfiguration.maxBodyBytes - exact.utf8.count - 2) + #""}"#
            XCTAssertEqual(padded.utf8.count, NotesConfiguration.maxBodyBytes)
            let fits = try await post(client, padded)
            XCTAssertEqual(fits.status, .created, "a body of exactly 64 KiB is read")
        }
    }

    func testWrongContentTypeIs415() async throws {
        try await withAPI { _, client in
            for headers: HTTPFields in [[.contentType: "text/plain"], [:], [.contentType: "application/x-www-form-urlencoded"]] {
                let response = try await post(client, #"{"text": "x"}"#, headers: headers)
                XCTAssertEqual(response.status, .unsupportedMediaType)
                XCTAssertTrue(try errorMessage(response).hasPrefix("Content-Type must be application/json"))
            }
            let charset = try await post(client, #"{"text": "x"}"#, headers: [.contentType: "application/json; charset=utf-8"])
            XCTAssertEqual(charset.status, .created)
        }
    }

    func testOtherMethodsAre405WithAllowAndTheContractStillAnswers() async throws {
        try await withAPI { _, client in
            let put = try await client.execute(uri: "/notes/1", method: .put)
            XCTAssertEqual(put.status, .methodNotAllowed)
            XCTAssertEqual(put.headers[.allow], "GET, HEAD, DELETE")
            let patch = try await client.execute(uri: "/notes", method: .patch)
            XCTAssertEqual(patch.headers[.allow], "GET, HEAD, POST")
            let health = try await client.execute(uri: "/healthz", method: .get)
            XCTAssertEqual(String(buffer: health.body), "ok\n")
            let root = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(String(buffer: root.body), Contract.greeting)
        }
    }
}
