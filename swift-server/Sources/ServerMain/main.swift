import SwiftServer

// Everything a lab server shares (settings, the self-probe, logging, a clean
// stop, one-line errors) lives in the SwiftServer library, which the Swift
// examples reuse: this server is the contract and nothing more.
await runServer(usage: commonUsage(program: "server")) { configuration, _, _ in
    buildApplication(configuration: configuration)
}
