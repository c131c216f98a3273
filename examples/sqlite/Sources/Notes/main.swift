import Logging
import NotesService
import SwiftServer

// The lab's server plus the notes API. Serving opens DATABASE_PATH first:
// a database that cannot be opened, written or read stops it here, in one
// line, before the port opens.
await runServer(program: "notes", usage: notesUsage, commands: ["integrity-check": integrityCheckCommand]) { configuration, environment, logger in
    let notes = NotesConfiguration(environment: environment)
    let store = try await NotesStore.open(path: notes.databasePath, logger: logger)
    logger.info("database \(notes.databasePath): schema version \(NotesStore.schemaVersion), WAL mode")
    return buildNotesApplication(configuration: configuration, store: store, logger: logger)
}
