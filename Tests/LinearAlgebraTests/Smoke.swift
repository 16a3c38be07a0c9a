import Testing

@Suite struct LinearAlgebraPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
