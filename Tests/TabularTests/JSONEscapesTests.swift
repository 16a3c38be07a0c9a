import Testing
import Tabular

@Suite struct JSONEscapesTests {
    func unescape(_ s: String) throws(JSONEscapes.Failure) -> String {
        let bytes = Array(s.utf8)
        let out = try bytes.withUnsafeBufferPointer { (b) throws(JSONEscapes.Failure) -> [UInt8] in try JSONEscapes.unescape(b) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func simpleEscapesAndSurrogatePairs() throws {
        #expect(try unescape(#"a\"b\\c\/d\b\f\n\r\t"#) == "a\"b\\c/d\u{08}\u{0C}\n\r\t")
        #expect(try unescape(#"caf\u00e9 \u20AC \ud83d\ude00"#) == "café € 😀")
        #expect(try unescape("plain") == "plain")
    }

    @Test func badEscapesNameTheirOffset() {
        for (text, reason, offset) in [
            (#"ab\ud83d"#, "unpaired surrogate in \\u escape", 2),
            (#"\ude00x"#, "unpaired surrogate in \\u escape", 0),
            (#"x\u12g4"#, "\\u escape needs four hex digits", 1),
            (#"xy\q"#, "invalid escape \\q", 2),
            (#"xyz\"#, "unfinished escape", 3),
        ] {
            #expect {
                _ = try unescape(text)
            } throws: { error in
                let f = error as? JSONEscapes.Failure
                return f?.reason == reason && f?.offset == offset
            }
        }
    }
}

@Suite struct TabularErrorNamingTests {
    @Test func prefixesTheSourceOnce() {
        let e = TabularError(code: .unknownColumn, message: "missing feature column \"x\"")
        #expect(e.naming("in.csv").message == "in.csv: missing feature column \"x\"")
        #expect(e.naming("in.csv").naming("in.csv").message == "in.csv: missing feature column \"x\"")
        #expect(e.naming("in.csv").code == .unknownColumn)
    }
}
