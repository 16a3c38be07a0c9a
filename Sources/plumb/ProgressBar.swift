import Foundation
import Pipeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr (round, metric, ETA), drawn only on a terminal.
final class ProgressBar: Sendable {
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    private let label: String
    private let enabled: Bool
    private let start = ContinuousClock.now
    /// When the bar was last drawn, and whether it ever was.
    private let drawing = Mutex((last: ContinuousClock.now - .seconds(1), drawn: false))

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    var handler: ProgressHandler? {
        guard enabled else { return nil }
        return { [self] step, total, metric, validation in self.update(step, total, metric, validation) }
    }

    private func update(_ step: Int, _ total: Int, _ metric: Double, _ validation: Double?) {
        drawing.withLock { d in draw(step, total, metric, validation, &d) }
    }

    private func draw(_ step: Int, _ total: Int, _ metric: Double, _ validation: Double?,
                      _ d: inout (last: ContinuousClock.Instant, drawn: Bool)) {
        let now = ContinuousClock.now
        guard step == total || now - d.last > .milliseconds(100) else { return }
        d.last = now
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
        d.drawn = true
    }

    /// Clears the bar (once; later calls do nothing).
    func finish() {
        drawing.withLock { d in
            if d.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            d.drawn = false
        }
    }
}
