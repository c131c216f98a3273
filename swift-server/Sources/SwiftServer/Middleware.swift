import Hummingbird
import Logging

/// Logs one line per request: method, path, status and duration.
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status, since: start)
            return response
        } catch let error as any HTTPResponseError {
            log(request, status: error.status, since: start)
            throw error
        } catch {
            log(request, status: .internalServerError, since: start)
            throw error
        }
    }

    func log(_ request: Request, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let millis = "\(micros / 1000).\(String(micros % 1000).leftPadded(to: 3))"
        logger.info("\(request.method) \(request.uri.path) \(status.code) \(millis)ms")
    }
}

/// Turns the router's "no route" into the contract's answers: 405 with an
/// `Allow` header when the path exists for other methods, 404 otherwise.
/// Both have a short plain-text body, and neither may be stored by a cache.
public struct ContractErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [String: [HTTPRequest.Method]]

    public init(routes: [String: [HTTPRequest.Method]]) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let head = request.method == .head
            if let allowed = allowedMethods(path: normalised(request.uri.path)) {
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                return plainText(
                    "method not allowed\n", status: .methodNotAllowed, cacheControl: Contract.noStore, extra: [.allow: allow], head: head)
            }
            return plainText("not found\n", status: .notFound, cacheControl: Contract.noStore, head: head)
        }
    }

    /// The methods of the route that `path` names: an exact match, or a
    /// pattern whose ":name" segments match any one segment.
    func allowedMethods(path: String) -> [HTTPRequest.Method]? {
        if let exact = routes[path] { return exact }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (pattern, methods) in routes where pattern.contains(":") {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ part, segment in part == segment || (part.hasPrefix(":") && !segment.isEmpty) }) {
                return methods
            }
        }
        return nil
    }

    func normalised(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
