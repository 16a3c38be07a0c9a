import Foundation
import Serving

/// Calls the admin routes of a running `plumb serve` (the registry commands' `--server`).
public enum ServerAdmin {
    /// POST `path` on `server` (`http://HOST:PORT`) with the bearer `token`; returns the answer's
    /// body (JSON text).
    /// - Throws: `ServingError` ("server_admin") naming the server and route: unreachable, a
    ///   refused token (401), admin routes off (404) or any other non-2xx answer, with its body.
    public static func post(server: String, path: String, token: String, json body: String? = nil) async throws -> String {
        let client: LoopbackHTTPClient
        do {
            client = try LoopbackHTTPClient(base: server)
        } catch {
            throw ServingError(code: "server_admin", message: "--server \(server): expected http://HOST:PORT", underlying: error)
        }
        let r: LoopbackHTTPClient.Response
        do {
            r = try await client.request("POST", path, json: body.map { Array($0.utf8) } ?? Array("{}".utf8),
                                         headers: [("Authorization", "Bearer \(token)")])
        } catch {
            throw ServingError(code: "server_admin", message: "\(server)\(path): no answer (\(error))", underlying: error)
        }
        let text = String(decoding: r.body, as: UTF8.self)
        switch r.status {
        case 200..<300: return text
        case 401: throw ServingError(code: "server_admin", message: "\(server)\(path): the admin token was refused (401)")
        case 404: throw ServingError(code: "server_admin", message: "\(server)\(path): 404, the server has no admin token set (start it with --admin-token or PLUMB_ADMIN_TOKEN)")
        default: throw ServingError(code: "server_admin", message: "\(server)\(path): HTTP \(r.status): \(text)")
        }
    }
}
