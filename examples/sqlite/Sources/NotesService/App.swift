import Hummingbird
import Logging
import SwiftServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The notes service: the lab's server with the notes API, its database
/// closed after the last request when the server stops.
public func buildNotesApplication(
    configuration: ServerConfiguration,
    store: NotesStore,
    info: ServerInfo = .current(),
    logger: Logger = Logger(label: "notes"),
    accessLogger: Logger = Logger(label: "access")
) -> some ApplicationProtocol {
    buildApplication(
        configuration: configuration, info: info, logger: logger, accessLogger: accessLogger,
        extra: notesRoutes(store: store), cleanup: ("database \(store.path)", { try await store.close() }))
}

public let notesUsage = commonUsage(
    program: "notes",
    commands: [("integrity-check", "PRAGMA integrity_check on DATABASE_PATH; exit 0 when it is \"ok\"")],
    environment: [("DATABASE_PATH", "the SQLite file, created if missing (default \(NotesConfiguration.defaultDatabasePath))")])

/// `notes integrity-check`: opens an existing database and checks it.
public func integrityCheckCommand(environment: [String: String]) async -> ExitStatus {
    let path = NotesConfiguration(environment: environment).databasePath
    guard access(path, F_OK) == 0 else {
        printError("notes: no database at \(path)\n")
        return .cannotCreate
    }
    var logger = Logger(label: "notes")
    logger.logLevel = .warning
    let store: NotesStore
    do {
        store = try await NotesStore.open(path: path, logger: logger)
    } catch {
        printError("notes: \(error.message)\n")
        return error.status
    }
    let problems: [String], notes: Int, version: Int
    do {
        problems = try await store.integrityCheck()
        notes = try await store.count()
        version = try await store.userVersion()
    } catch {
        try? await store.close()
        printError("notes: cannot check \(path): \(error)\n")
        return .failure
    }
    try? await store.close()
    if problems == ["ok"] {
        print("ok: \(path) is sound, schema version \(version), \(notes) notes")
        return .ok
    }
    printError("notes: integrity_check found problems in \(path):\n" + problems.joined(separator: "\n") + "\n")
    return .failure
}
