import Testing

@Suite struct ServingPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
