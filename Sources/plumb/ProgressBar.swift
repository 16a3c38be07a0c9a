import Foundation
import Pipeline
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr (round, metric, ETA), drawn only on a terminal.
final class ProgressBar: @unchecked Sendable {
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    private let label: String
    private let enabled: Bool
    private let start = ContinuousClock.now
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var drawn = false

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    var handler: ProgressHandler? {
        guard enabled else { return nil }
        return { [self] step, total, metric, validation in self.update(step, total, metric, validation) }
    }

    private func update(_ step: Int, _ total: Int, _ metric: Double, _ validation: Double?) {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        guard step == total || now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        let elapsed = (now - start).seconds
        let frac = total > 0 ? Double(step) / Double(total) : 0
        let eta = frac > 0 ? elapsed * (1 - frac) / frac : 0
        let width = 24
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        var text = "\r\(label) \(bar) \(step)/\(total)"
        if metric.isFinite { text += "  loss \(String(format: "%.4f", metric))" }
        if let v = validation, v.isFinite { text += "  valid \(String(format: "%.4f", v))" }
        text += "  ETA \(String(format: "%.1f", eta)) s\u{1B}[K"
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
