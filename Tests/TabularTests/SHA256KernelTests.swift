import Testing
@testable import Tabular

@Suite struct SHA256KernelTests {
    func hex(_ bytes: [UInt8], portable: Bool) -> String {
        var s = SHA256(portable: portable)
        s.update(bytes)
        return SHA256.hexString(s.finalize())
    }

    /// The plain C compression gives the FIPS 180-4 digests.
    @Test func portableKernelKnownVectors() {
        #expect(hex(Array("abc".utf8), portable: true) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), portable: true)
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The kernel the CPU picks (the SHA extensions here when present) equals the plain one on
    /// random inputs of every length around the block and padding boundaries, and on long ones.
    @Test func chosenKernelEqualsPortable() {
        var rng = SeededGenerator(seed: 256)
        let lengths = Array(0...200) + [1000, 4095, 4096, 65_537, 1 << 20]
        for n in lengths {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(hex(bytes, portable: false) == hex(bytes, portable: true), "length \(n)")
        }
    }
}
