import Testing

@Suite struct DriftPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
