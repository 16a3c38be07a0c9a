import Testing

@Suite struct TrackingPlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
