// swift-tools-version:6.2
// A notes service on SQLite: the lab's server (swift-server, reused as a
// library) plus a small JSON API. SQLiteNIO embeds SQLite's C source and uses
// FoundationEssentials only, so the binary links statically with no
// libsqlite3 and no ICU (docs/05-database-and-api.md#choosing-the-sqlite-library).
import PackageDescription

let package = Package(
    name: "notes",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "notes", targets: ["Notes"])
    ],
    dependencies: [
        .package(path: "../../swift-server"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
    ],
    targets: [
        .target(
            name: "NotesService",
            dependencies: [
                .product(name: "SwiftServer", package: "swift-server"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .executableTarget(
            name: "Notes",
            dependencies: ["NotesService"]
        ),
        .testTarget(
            name: "NotesServiceTests",
            dependencies: [
                "NotesService",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
