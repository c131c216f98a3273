import FoundationEssentials
import Logging
import SwiftServer
import XCTest

@testable import NotesService

final class StoreTests: XCTestCase {
    let logger = Logger(label: "test")
    var folder = ""

    override func setUp() {
        folder = "/tmp/notes-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(folder, 0o755)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: folder)
    }

    func testFreshDatabaseIsMigratedToTheLatestVersionInWALMode() async throws {
        let store = try await NotesStore.open(path: "\(folder)/a.sqlite", logger: logger)
        let version = try await store.userVersion()
        XCTAssertEqual(version, NotesStore.schemaVersion)
        XCTAssertEqual(NotesStore.schemaVersion, 2)
        let mode = try await store.query("PRAGMA journal_mode").first?.column("journal_mode")?.string
        XCTAssertEqual(mode, "wal")
        let timeout = try await store.query("PRAGMA busy_timeout").first?.columns.first?.data.integer
        XCTAssertEqual(timeout, 5000)
        let starts = try await store.query("SELECT count(*) AS n FROM starts").first?.column("n")?.integer
        XCTAssertEqual(starts, 1)
        try await store.close()
    }

    func testReopeningKeepsNotesAndAppliesNothingTwice() async throws {
        let path = "\(folder)/b.sqlite"
        var store = try await NotesStore.open(path: path, logger: logger)
        let note = try await store.create(text: "kept")
        try await store.close()
        store = try await NotesStore.open(path: path, logger: logger)
        let found = try await store.note(id: note.id)
        XCTAssertEqual(found, note)
        let starts = try await store.query("SELECT count(*) AS n FROM starts").first?.column("n")?.integer
        XCTAssertEqual(starts, 2)
        try await store.close()
    }

    func testAnOlderDatabaseIsMigratedStepByStep() async throws {
        let path = "\(folder)/c.sqlite"
        var store = try await NotesStore.open(path: path, logger: logger, migrations: Array(NotesStore.migrations.prefix(1)))
        _ = try await store.create(text: "from version 1")
        let before = try await store.userVersion()
        XCTAssertEqual(before, 1)
        try await store.close()
        store = try await NotesStore.open(path: path, logger: logger)
        let after = try await store.userVersion()
        XCTAssertEqual(after, 2)
        let count = try await store.count()
        XCTAssertEqual(count, 1)
        try await store.close()
    }

    func testAFailingMigrationIsRolledBackAndStopsTheStart() async throws {
        let path = "\(folder)/d.sqlite"
        let broken = NotesStore.migrations + [Migration(version: 3, summary: "broken", statements: ["CREATE TABLE extra (x)", "NOT SQL"])]
        await assertStartupError(path: path, migrations: broken, status: .cannotCreate, contains: "syntax error")
        let store = try await NotesStore.open(path: path, logger: logger)
        let version = try await store.userVersion()
        XCTAssertEqual(version, 2)
        let extra = try await store.query("SELECT name FROM sqlite_master WHERE name = 'extra'")
        XCTAssertTrue(extra.isEmpty, "the failed migration's first statement was rolled back")
        try await store.close()
    }

    func testADatabaseFromANewerServerIsRefused() async throws {
        let path = "\(folder)/e.sqlite"
        let newer = NotesStore.migrations + [Migration(version: 3, summary: "newer", statements: ["CREATE TABLE extra (x)"])]
        try await NotesStore.open(path: path, logger: logger, migrations: newer).close()
        await assertStartupError(path: path, status: .dataError, contains: "schema version 3, newer than this server's 2")
    }

    func testAFileThatIsNotADatabaseIsRefusedInOneLine() async throws {
        let path = "\(folder)/f.sqlite"
        FileManager.default.createFile(atPath: path, contents: Data("these are not the pages of a database\n".utf8))
        await assertStartupError(path: path, status: .dataError, contains: "is not a SQLite database")
    }

    func testAPathThatCannotBeCreatedIsRefusedInOneLine() async {
        await assertStartupError(path: "\(folder)/no/such/folder/g.sqlite", status: .cannotCreate, contains: "cannot open or create the database")
    }

    func testCreateListGetDelete() async throws {
        let store = try await NotesStore.open(path: ":memory:", logger: logger)
        let first = try await store.create(text: "one")
        let second = try await store.create(text: "two")
        XCTAssertLessThan(first.id, second.id)
        XCTAssertTrue(first.createdAt.hasSuffix("Z") && first.createdAt.contains("T"), first.createdAt)
        let all = try await store.list(limit: 10, before: nil)
        XCTAssertEqual(all.map(\.text), ["two", "one"])
        let older = try await store.list(limit: 10, before: second.id)
        XCTAssertEqual(older, [first])
        let deleted = try await store.delete(id: first.id)
        XCTAssertTrue(deleted)
        let again = try await store.delete(id: first.id)
        XCTAssertFalse(again)
        let problems = try await store.integrityCheck()
        XCTAssertEqual(problems, ["ok"])
        try await store.close()
    }

    func assertStartupError(
        path: String, migrations: [Migration] = NotesStore.migrations, status: ExitStatus, contains text: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            let store = try await NotesStore.open(path: path, logger: logger, migrations: migrations)
            try? await store.close()
            XCTFail("\(path) opened", file: file, line: line)
        } catch {
            XCTAssertEqual(error.status, status, error.message, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), error.message, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
        }
    }
}
