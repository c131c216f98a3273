import FoundationEssentials
import Logging
import SQLiteNIO
import SwiftServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One note, as the API shows it.
public struct Note: Codable, Sendable, Equatable {
    public var id: Int
    public var text: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, text
        case createdAt = "created_at"
    }
}

/// A versioned change to the schema. Migrations run in order, each in its own
/// transaction, and `PRAGMA user_version` records the last one applied.
public struct Migration: Sendable {
    public var version: Int
    public var summary: String
    public var statements: [String]
}

/// The notes database: one SQLite file in WAL mode. Every write is one
/// statement that commits before the API answers, so what was acknowledged
/// is on disk (synchronous=FULL: even a power cut keeps it).
public final class NotesStore: Sendable {
    public static let migrations: [Migration] = [
        Migration(
            version: 1, summary: "create the notes table",
            statements: [
                """
                CREATE TABLE notes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    text TEXT NOT NULL,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                )
                """
            ]),
        Migration(
            version: 2, summary: "record each start of the service",
            statements: [
                """
                CREATE TABLE starts (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    schema_version INTEGER NOT NULL
                )
                """
            ]),
    ]
    public static var schemaVersion: Int { migrations.last?.version ?? 0 }

    let connection: SQLiteConnection
    public let path: String

    init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Opens (or creates) the database, sets WAL mode and the busy timeout,
    /// runs the pending migrations and records the start: a real write, so
    /// a read-only file or folder is found now, not at the first POST.
    /// Anything wrong is a `StartupError` of one line.
    public static func open(path: String, logger: Logger, migrations: [Migration] = migrations) async throws(StartupError) -> NotesStore {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: path == ":memory:" ? .memory : .file(path: path), logger: logger)
        } catch {
            throw Self.startupError(error, path: path)
        }
        let store = NotesStore(connection: connection, path: path)
        do {
            _ = try await store.query("PRAGMA busy_timeout = 5000")
            let mode = try await store.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string ?? "?"
            if mode != "wal" && path != ":memory:" {
                throw StartupError("cannot use WAL mode on \(path): SQLite answered journal_mode=\(mode)", status: .cannotCreate)
            }
            _ = try await store.query("PRAGMA synchronous = FULL")
            _ = try await store.query("PRAGMA temp_store = MEMORY")
            let applied = try await store.migrate(migrations, logger: logger)
            if applied >= 2 {
                _ = try await store.query("INSERT INTO starts (schema_version) VALUES (?)", [.integer(applied)])
            } else {
                _ = try await store.query("PRAGMA user_version = \(applied)")
            }
        } catch let error as StartupError {
            try? await connection.close()
            throw error
        } catch {
            try? await connection.close()
            throw Self.startupError(error, path: path)
        }
        return store
    }

    /// Applies the migrations newer than the file's `user_version`; returns
    /// the version the file is at. A file from a newer server is refused.
    func migrate(_ migrations: [Migration], logger: Logger) async throws -> Int {
        let current = try await userVersion()
        let latest = migrations.last?.version ?? 0
        if current > latest {
            throw StartupError(
                "\(path) has schema version \(current), newer than this server's \(latest): use a newer server or another DATABASE_PATH",
                status: .dataError)
        }
        for migration in migrations where migration.version > current {
            _ = try await query("BEGIN IMMEDIATE")
            do {
                for statement in migration.statements { _ = try await query(statement) }
                _ = try await query("PRAGMA user_version = \(migration.version)")
                _ = try await query("COMMIT")
            } catch {
                _ = try? await query("ROLLBACK")
                throw error
            }
            logger.info("database \(path): migrated to schema version \(migration.version) (\(migration.summary))")
        }
        return max(current, latest)
    }

    public func userVersion() async throws -> Int {
        Int(try await query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0)
    }

    /// Stores a note; its id and time come from the same statement.
    public func create(text: String) async throws -> Note {
        let rows = try await query("INSERT INTO notes (text) VALUES (?) RETURNING id, text, created_at", [.text(text)])
        guard let note = rows.first.flatMap(Self.note) else { throw StoreError.noRowReturned }
        return note
    }

    /// Up to `limit` notes, newest first, with ids below `before` if given.
    public func list(limit: Int, before: Int?) async throws -> [Note] {
        let rows = try await query(
            "SELECT id, text, created_at FROM notes WHERE id < ? ORDER BY id DESC LIMIT ?",
            [.integer(before ?? Int.max), .integer(limit)])
        return rows.compactMap(Self.note)
    }

    public func note(id: Int) async throws -> Note? {
        try await query("SELECT id, text, created_at FROM notes WHERE id = ?", [.integer(id)]).first.flatMap(Self.note)
    }

    /// Whether a note was there to delete.
    public func delete(id: Int) async throws -> Bool {
        !(try await query("DELETE FROM notes WHERE id = ? RETURNING id", [.integer(id)]).isEmpty)
    }

    public func count() async throws -> Int {
        Int(try await query("SELECT count(*) AS n FROM notes").first?.column("n")?.integer ?? 0)
    }

    /// `PRAGMA integrity_check`: ["ok"] for a sound file, else the problems.
    public func integrityCheck() async throws -> [String] {
        try await query("PRAGMA integrity_check").compactMap { $0.columns.first?.data.string }
    }

    public func close() async throws {
        try await connection.close()
    }

    func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await connection.query(sql, binds)
    }

    static func note(_ row: SQLiteRow) -> Note? {
        guard let id = row.column("id")?.integer, let text = row.column("text")?.string,
            let created = row.column("created_at")?.string
        else { return nil }
        return Note(id: Int(id), text: text, createdAt: created)
    }

    /// One line for a database that cannot be used, and the exit status:
    /// 73 (cannot create) for a path that cannot be opened or written, 65
    /// (data error) for a file that is not a SQLite database.
    static func startupError(_ error: any Error, path: String) -> StartupError {
        let text = (error as? SQLiteError)?.message ?? "\(error)"
        switch text {
        case let text where text.contains("not a database"):
            return StartupError("\(path) is not a SQLite database (\(text)): move it away or set DATABASE_PATH", status: .dataError)
        case let text where text.contains("readonly") || text.contains("read-only"):
            return StartupError(
                "cannot write the database \(path) (\(text)): mount a volume that uid \(getuid()) can write, without :ro",
                status: .cannotCreate)
        case let text where text.contains("unable to open") || text.contains("Failed to open"):
            return StartupError(
                "cannot open or create the database \(path) (\(text.hasPrefix("Failed") ? "unable to open database file" : text)): does its folder exist, and can uid \(getuid()) write it?",
                status: .cannotCreate)
        default:
            return StartupError("cannot use the database \(path): \(text)", status: .cannotCreate)
        }
    }
}

public enum StoreError: Error {
    case noRowReturned
}
