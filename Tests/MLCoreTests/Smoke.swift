import Testing

@Suite struct MLCorePlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
