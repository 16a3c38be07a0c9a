import Foundation
import MLCore

extension PromotionPolicy {
    /// Why `version` may not go to Production under the segment and fairness gates, judged on the
    /// evaluations stored with it: one sentence per failed segment, group limit or missing
    /// evaluation, naming the segment or the groups; empty when it passes (or there are no gates).
    public func gateRefusals(model: String, version: Int, evaluations: VersionEvaluations) -> [String] {
        var out: [String] = []
        let v = "v\(version)"
        func pct(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }
        func num(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.6g", $0) : "NaN" } ?? "—" }
        for gate in segments {
            guard let e = evaluations.segments.first(where: { $0.column == gate.column }) else {
                out.append("\(v) has no stored segment evaluation by \(gate.column) (record one: plumb evaluate --model models:/\(model)/\(version) FILE --segment-by \(gate.column) --record)")
                continue
            }
            if let m = gate.metric, m != e.metric {
                out.append("\(v)'s segment evaluation by \(gate.column) is on \(e.metric), the policy asks for \(m) (re-record it with --segment-metric \(m))")
                continue
            }
            for s in e.segments where s.rows >= max(gate.minRows, 1) {
                guard let d = s.relativeDegradation, d > gate.maxRelativeDegradation else { continue }
                out.append("\(v): segment \(gate.column)=\(s.segment) (\(s.rows) rows) has \(e.metric) \(num(s.metrics[e.metric])), \(pct(d)) worse than all rows (\(num(e.overall.metrics[e.metric]))); the limit is \(pct(gate.maxRelativeDegradation))")
            }
        }
        for gate in fairness {
            guard let f = evaluations.fairness.first(where: { $0.sensitive == gate.sensitive }) else {
                out.append("\(v) has no stored fairness evaluation over \(gate.sensitive) (record one: plumb evaluate --model models:/\(model)/\(version) FILE --sensitive \(gate.sensitive) --record)")
                continue
            }
            let m = f.metrics
            func extremes(_ rate: KeyPath<FairnessMetrics.Group, Double>, _ name: String) -> String {
                guard let lo = m.groups.min(by: { $0[keyPath: rate] < $1[keyPath: rate] }),
                      let hi = m.groups.max(by: { $0[keyPath: rate] < $1[keyPath: rate] }) else { return "" }
                return "\(name) \(num(lo[keyPath: rate])) for \(lo.group) vs \(num(hi[keyPath: rate])) for \(hi.group)"
            }
            if let limit = gate.maxEqualizedOddsDifference, m.equalizedOddsDifference > limit {
                let part = m.truePositiveRateDifference >= m.falsePositiveRateDifference
                    ? extremes(\.truePositiveRate, "true positive rate") : extremes(\.falsePositiveRate, "false positive rate")
                out.append("\(v): equalized odds difference over \(gate.sensitive) is \(num(m.equalizedOddsDifference)) > \(num(limit)) (\(part))")
            }
            if let limit = gate.maxDemographicParityDifference, m.demographicParityDifference > limit {
                out.append("\(v): demographic parity difference over \(gate.sensitive) is \(num(m.demographicParityDifference)) > \(num(limit)) (\(extremes(\.selectionRate, "selection rate")))")
            }
        }
        return out
    }
}
