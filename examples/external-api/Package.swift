// swift-tools-version:6.2
// A service that calls another HTTP API: the lab's server (swift-server,
// reused as a library) plus GET /quote, which asks the upstream at
// UPSTREAM_URL through one shared AsyncHTTPClient. AsyncHTTPClient and
// SwiftNIO SSL (BoringSSL, compiled in) use FoundationEssentials only, so the
// binary links statically with no OpenSSL and no ICU.
import PackageDescription

let package = Package(
    name: "quotes",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quotes", targets: ["Quotes"])
    ],
    dependencies: [
        .package(path: "../../swift-server"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "QuoteService",
            dependencies: [
                .product(name: "SwiftServer", package: "swift-server"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "Quotes",
            dependencies: ["QuoteService"]
        ),
        .testTarget(
            name: "QuoteServiceTests",
            dependencies: [
                "QuoteService",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
