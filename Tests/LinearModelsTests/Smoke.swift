import Testing

@Suite struct LinearModelsPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
