import Testing

@Suite struct PipelinePlaceholderSmoke { @Test func builds() { #expect(Bool(true)) } }
