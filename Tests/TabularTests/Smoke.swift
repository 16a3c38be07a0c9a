import Testing

@Suite struct TabularPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
