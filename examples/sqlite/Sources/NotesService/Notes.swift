import FoundationEssentials
import Hummingbird
import Logging
import NIOCore
import SwiftServer

/// The notes API's settings and limits.
public struct NotesConfiguration: Sendable, Equatable {
    public static let defaultDatabasePath = "/data/notes.sqlite"
    /// A request body larger than this is refused before it is read in full.
    public static let maxBodyBytes = 64 * 1024
    public static let maxTextCharacters = 10_000
    public static let defaultLimit = 20
    public static let maxLimit = 100

    public var databasePath: String

    public init(databasePath: String = defaultDatabasePath) {
        self.databasePath = databasePath
    }

    /// `DATABASE_PATH`: unset or empty gives the default.
    public init(environment: [String: String]) {
        self.init(databasePath: environment["DATABASE_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultDatabasePath)
    }
}

/// What `GET /notes` answers: a page of notes, newest first, and where the
/// next page is (nil on the last page).
public struct NotesPage: Codable, Sendable, Equatable {
    public var notes: [Note]
    public var next: String?
}

/// The body of `POST /notes`.
struct NewNote: Decodable {
    var text: String?
}

/// The API's routes on top of the lab's contract.
public func notesRoutes(store: NotesStore) -> RouteSet {
    RouteSet(methods: ["/notes": [.get, .head, .post], "/notes/:id": [.get, .head, .delete]]) { router, logger in
        router.post("/notes") { request, context -> Response in
            let text = try await readNewNote(request)
            let note = try await database(logger) { try await store.create(text: text) }
            return try jsonResponse(note, status: .created, headers: [.location: "/notes/\(note.id)"])
        }
        router.get("/notes") { request, _ -> Response in
            let limit = try queryInteger(request, "limit", default: NotesConfiguration.defaultLimit, capped: NotesConfiguration.maxLimit)
            let before = try queryInteger(request, "before", default: nil, capped: nil)
            let notes = try await database(logger) { try await store.list(limit: limit, before: before) }
            let next = notes.count == limit ? notes.last.map { "/notes?limit=\(limit)&before=\($0.id)" } : nil
            return try jsonResponse(NotesPage(notes: notes, next: next), head: request.method == .head)
        }
        router.get("/notes/:id") { request, context -> Response in
            let id = try noteID(context)
            guard let note = try await database(logger, { try await store.note(id: id) }) else {
                throw APIError(.notFound, "no note with id \(id)")
            }
            return try jsonResponse(note, head: request.method == .head)
        }
        router.delete("/notes/:id") { _, context -> Response in
            let id = try noteID(context)
            guard try await database(logger, { try await store.delete(id: id) }) else {
                throw APIError(.notFound, "no note with id \(id)")
            }
            return Response(status: .noContent, headers: [.cacheControl: Contract.noStore])
        }
    }
}

/// Checks a `POST /notes` request: JSON content type, a body of at most
/// 64 KiB (a `Content-Length` over it is refused without reading a byte),
/// a JSON object whose "text" is a string of 1 to 10,000 characters.
func readNewNote(_ request: Request) async throws -> String {
    let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
    guard type == "application/json" else {
        throw APIError(.unsupportedMediaType, "Content-Type must be application/json, not \(request.headers[.contentType] ?? "missing")")
    }
    let limit = NotesConfiguration.maxBodyBytes
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
        throw APIError(.badRequest, "request body of \(length) bytes is over the limit of \(limit) bytes")
    }
    var request = request
    let body: ByteBuffer
    do {
        body = try await request.collectBody(upTo: limit)
    } catch is NIOTooManyBytesError {
        throw APIError(.badRequest, "request body is over the limit of \(limit) bytes")
    }
    let decoded: NewNote
    do {
        decoded = try JSONDecoder().decode(NewNote.self, from: Data(buffer: body))
    } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
        throw APIError(.badRequest, "\"text\" must be a string")
    } catch DecodingError.typeMismatch {
        throw APIError(.badRequest, "the body must be a JSON object like {\"text\": \"...\"}")
    } catch {
        throw APIError(.badRequest, "malformed JSON: the body must be a JSON object like {\"text\": \"...\"}")
    }
    guard let text = decoded.text else { throw APIError(.badRequest, "\"text\" is missing") }
    guard !text.allSatisfy(\.isWhitespace) else { throw APIError(.badRequest, "\"text\" is empty") }
    guard text.count <= NotesConfiguration.maxTextCharacters else {
        throw APIError(.badRequest, "\"text\" has \(text.count) characters, over the limit of \(NotesConfiguration.maxTextCharacters)")
    }
    return text
}

/// A positive integer from the query string; `limit` above `capped` is cut
/// down to it.
func queryInteger(_ request: Request, _ name: String, default value: Int?, capped: Int?) throws -> Int? {
    guard let text = request.uri.queryParameters[name[...]] else { return value }
    guard let number = Int(String(text)), number > 0 else {
        throw APIError(.badRequest, "\(name) must be a positive integer, not \"\(text)\"")
    }
    return capped.map { min(number, $0) } ?? number
}

func queryInteger(_ request: Request, _ name: String, default value: Int, capped: Int) throws -> Int {
    try queryInteger(request, name, default: Optional(value), capped: Optional(capped)) ?? value
}

func noteID(_ context: BasicRequestContext) throws -> Int {
    let text = context.parameters.get("id") ?? ""
    guard let id = Int(text), id > 0 else { throw APIError(.notFound, "no note with id \(text)") }
    return id
}

/// Runs a database call; a failure is logged in one line and answered as a
/// JSON 500 (503 when the database stays busy), never a crash.
func database<T>(_ logger: Logger, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        logger.error("database error: \(error)")
        if "\(error)".contains("busy") || "\(error)".contains("locked") {
            throw APIError(.serviceUnavailable, "the database is busy, try again")
        }
        throw APIError(.internalServerError, "database error")
    }
}
