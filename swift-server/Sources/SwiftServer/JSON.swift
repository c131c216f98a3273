import FoundationEssentials
import Hummingbird

/// An API error, answered as JSON `{"error": "..."}` with its status and
/// `Cache-Control: no-store`. The examples' endpoints throw it.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try jsonResponse(["error": message], status: status, head: request.method == .head)
    }
}

/// A JSON answer: keys sorted, one trailing newline, `Content-Length` set,
/// never stored by a cache (what it says is only true now).
public func jsonResponse(
    _ value: some Encodable, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:], head: Bool = false
) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(UInt8(ascii: "\n"))
    var headers: HTTPFields = [
        .contentType: "application/json; charset=utf-8", .contentLength: String(data.count), .cacheControl: Contract.noStore,
    ]
    headers.append(contentsOf: extra)
    return Response(status: status, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: data)))
}
