import Testing

@Suite struct TreeModelsPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
