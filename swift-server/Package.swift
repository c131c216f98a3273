// swift-tools-version:6.2
// The lab's tiny web server. Hummingbird's default traits are turned off
// (`traits: []`) so only FoundationEssentials is linked: no full Foundation,
// no ICU data. That is what keeps the static binary small.
import PackageDescription

let package = Package(
    name: "swift-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "server", targets: ["ServerMain"]),
        // The contract, configuration, health probe, logging and start-up of
        // the server, for the Swift examples (examples/sqlite, ...) to reuse.
        .library(name: "SwiftServer", targets: ["SwiftServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "SwiftServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ServerMain",
            dependencies: ["SwiftServer"]
        ),
        .testTarget(
            name: "SwiftServerTests",
            dependencies: [
                "SwiftServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
