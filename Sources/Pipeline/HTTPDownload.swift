import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// Downloads over HTTPS through the system's libcurl, opened with `dlopen` the first time a
/// download happens (see Sources/CCurl/shim.h for why it is not linked).
enum HTTPDownload {
    struct Failure: Error, CustomStringConvertible {
        var url: String
        var reason: String
        var description: String { "cannot download \(url): \(reason)" }
    }

    static let libraryNames = ["libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"]

    /// The functions of one opened libcurl; the library stays loaded for the process's life.
    private struct Curl {
        let initialize, setopt, perform, getinfo, cleanup, strerror: UnsafeMutableRawPointer

        static func open(for url: String) throws -> Curl {
            guard let lib = libraryNames.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
                throw Failure(url: url, reason: "libcurl is not installed (looked for \(libraryNames.joined(separator: ", "))); install Debian's libcurl4 package")
            }
            func sym(_ name: String) throws -> UnsafeMutableRawPointer {
                guard let p = dlsym(lib, name) else { throw Failure(url: url, reason: "the installed libcurl has no \(name)") }
                return p
            }
            return Curl(initialize: try sym("curl_easy_init"), setopt: try sym("curl_easy_setopt"), perform: try sym("curl_easy_perform"),
                        getinfo: try sym("curl_easy_getinfo"), cleanup: try sym("curl_easy_cleanup"), strerror: try sym("curl_easy_strerror"))
        }
    }

    /// Collects the body as libcurl hands it over.
    private final class Sink { var bytes: [UInt8] = [] }

    /// The body of GET `url` (redirects followed); anything but a final 200 is an error naming
    /// the URL and what happened.
    static func get(_ url: String) throws -> [UInt8] {
        let curl = try Curl.open(for: url)
        guard let handle = plumb_curl_easy_init(curl.initialize) else {
            throw Failure(url: url, reason: "curl_easy_init failed")
        }
        defer { plumb_curl_easy_cleanup(curl.cleanup, handle) }
        let sink = Sink()
        var errorText = [CChar](repeating: 0, count: Int(PLUMB_CURL_ERROR_SIZE) + 1)
        let code: Int32 = url.withCString { u in
            "plumb (+https://github.com/plumb)".withCString { agent in
                errorText.withUnsafeMutableBufferPointer { err in
                    withExtendedLifetime(sink) {
                        let set = curl.setopt
                        _ = plumb_curl_setopt_pointer(set, handle, Int32(PLUMB_CURLOPT_URL), u)
                        _ = plumb_curl_setopt_pointer(set, handle, Int32(PLUMB_CURLOPT_USERAGENT), agent)
                        _ = plumb_curl_setopt_pointer(set, handle, Int32(PLUMB_CURLOPT_ERRORBUFFER), err.baseAddress)
                        _ = plumb_curl_setopt_long(set, handle, Int32(PLUMB_CURLOPT_FOLLOWLOCATION), 1)
                        _ = plumb_curl_setopt_long(set, handle, Int32(PLUMB_CURLOPT_NOSIGNAL), 1)
                        _ = plumb_curl_setopt_long(set, handle, Int32(PLUMB_CURLOPT_CONNECTTIMEOUT), 20)
                        // Give up when fewer than 100 bytes/s arrive for 30 s.
                        _ = plumb_curl_setopt_long(set, handle, Int32(PLUMB_CURLOPT_LOW_SPEED_LIMIT), 100)
                        _ = plumb_curl_setopt_long(set, handle, Int32(PLUMB_CURLOPT_LOW_SPEED_TIME), 30)
                        _ = plumb_curl_setopt_write(set, handle) { data, size, count, context in
                            let n = size * count
                            guard let data, let context else { return 0 }
                            Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().bytes
                                .append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
                            return n
                        }
                        _ = plumb_curl_setopt_pointer(set, handle, Int32(PLUMB_CURLOPT_WRITEDATA), Unmanaged.passUnretained(sink).toOpaque())
                        return plumb_curl_easy_perform(curl.perform, handle)
                    }
                }
            }
        }
        guard code == 0 else {
            let detail = String(cString: errorText)
            let reason = detail.isEmpty ? String(cString: plumb_curl_easy_strerror(curl.strerror, code)) : detail
            throw Failure(url: url, reason: reason)
        }
        var status = 0
        _ = plumb_curl_getinfo_long(curl.getinfo, handle, Int32(PLUMB_CURLINFO_RESPONSE_CODE), &status)
        guard status == 200 else { throw Failure(url: url, reason: "the server answered HTTP \(status)") }
        return sink.bytes
    }
}
