import FoundationEssentials
import Hummingbird
import Logging

/// The HTTP contract every server of the lab implements (docs/contract.md).
public enum Contract {
    public static let greeting = "Hello from Swift in Docker! Try /info for more details.\n"
    public static let healthy = "ok\n"
    /// How each answer may be cached (docs/contract.md#caching). The
    /// greeting is the same from every server of a build, so any cache may
    /// keep it for a minute. `/info` describes the one container that
    /// answered, a health answer is only true now, and errors must not
    /// outlive a fix: none of them may be stored.
    public static let greetingCacheControl = "public, max-age=60"
    public static let noStore = "no-store"
    /// Every path the server answers, with the methods it allows there.
    /// HEAD is answered wherever GET is.
    public static let routes: [String: [HTTPRequest.Method]] = [
        "/": [.get, .head],
        "/info": [.get, .head],
        "/healthz": [.get, .head],
    ]
}

/// What an example serves beside the contract: its routes, registered on
/// the router (with the server's logger, at the configured level), and the
/// paths and methods they answer (for 405 and `Allow`).
/// A path segment that starts with ":" matches any one segment.
public struct RouteSet: Sendable {
    public var methods: [String: [HTTPRequest.Method]]
    public var register: @Sendable (Router<BasicRequestContext>, Logger) -> Void

    public init(methods: [String: [HTTPRequest.Method]], register: @escaping @Sendable (Router<BasicRequestContext>, Logger) -> Void) {
        self.methods = methods
        self.register = register
    }

    public static let none = RouteSet(methods: [:]) { _, _ in }
}

/// Builds the router: the contract's routes, and an example's, behind the
/// access log and the 404/405 handling.
public func buildRouter(info: ServerInfo, accessLogger: Logger, extra: RouteSet = .none, logger: Logger? = nil) -> Router<BasicRequestContext> {
    let router = Router(options: .autoGenerateHeadEndpoints)
    router.add(middleware: AccessLogMiddleware(logger: accessLogger))
    router.add(middleware: ContractErrorMiddleware(routes: Contract.routes.merging(extra.methods) { contract, _ in contract }))
    extra.register(router, logger ?? accessLogger)

    router.get("/") { _, _ in plainText(Contract.greeting, cacheControl: Contract.greetingCacheControl) }
    router.get("/healthz") { _, _ in plainText(Contract.healthy, cacheControl: Contract.noStore) }
    router.get("/info") { request, _ -> Response in
        try infoResponse(info, json: prefersJSON(accept: request.headers[.accept]))
    }
    return router
}

/// A plain-text answer with the contract's headers. For a HEAD request the
/// body is left out but `Content-Length` still gives the GET body's size.
public func plainText(
    _ text: String, status: HTTPResponse.Status = .ok, cacheControl: String, extra: HTTPFields = [:], head: Bool = false
) -> Response {
    var headers: HTTPFields = [
        .contentType: "text/plain; charset=utf-8", .contentLength: String(text.utf8.count), .cacheControl: cacheControl,
    ]
    headers.append(contentsOf: extra)
    return Response(status: status, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(string: text)))
}

func infoResponse(_ info: ServerInfo, json: Bool) throws -> Response {
    let body: ByteBuffer
    let contentType: String
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(info)
        data.append(UInt8(ascii: "\n"))
        body = ByteBuffer(bytes: data)
        contentType = "application/json; charset=utf-8"
    } else {
        body = ByteBuffer(string: info.text)
        contentType = "text/plain; charset=utf-8"
    }
    return Response(
        status: .ok,
        headers: [
            .contentType: contentType, .contentLength: String(body.readableBytes), .vary: "Accept",
            .cacheControl: Contract.noStore,
        ],
        body: .init(byteBuffer: body)
    )
}

/// Whether an `Accept` header asks for JSON rather than plain text.
///
/// JSON wins when `application/json` has a higher quality than `text/plain`
/// (or `text/*`), or the same quality and comes first. No header, `*/*`, or
/// anything else gives plain text, the lab's format.
public func prefersJSON(accept: String?) -> Bool {
    guard let accept else { return false }
    var json: (q: Double, position: Int)?
    var text: (q: Double, position: Int)?
    for (position, range) in accept.split(separator: ",").enumerated() {
        let parts = range.split(separator: ";").map { $0.trimmed().lowercased() }
        guard let type = parts.first else { continue }
        var q = 1.0
        for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
            q = Double(parameter.dropFirst(2)) ?? 0
        }
        switch type {
        case "application/json": json = json ?? (q, position)
        case "text/plain", "text/*": text = text ?? (q, position)
        default: break
        }
    }
    guard let json, json.q > 0 else { return false }
    guard let text else { return true }
    return json.q > text.q || (json.q == text.q && json.position < text.position)
}

extension StringProtocol {
    func trimmed() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
