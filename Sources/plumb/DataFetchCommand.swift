import ArgumentParser
import Foundation
import Pipeline

struct DataFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a public dataset and verify its SHA-256.",
        discussion: """
            Looks first in the folder named by $PLUMB_DATA_MIRROR, then downloads from the public URL. \
            california-housing has no published CSV: as scikit-learn does, Plumb derives it from StatLib's \
            cal_housing.tgz (the mirror's copy, else a download), and checks both the archive and the derived \
            CSV against pinned SHA-256s.

            Known datasets:
            \(DatasetCatalog.all.map { "  \($0.name) (\($0.fileName), target \($0.target)): \($0.summary)" }.joined(separator: "\n"))

            Example:
              PLUMB_DATA_MIRROR=../shared/data plumb data fetch california-housing --to data/ch.csv
            """
    )

    @Argument(help: "Dataset name.")
    var name: DatasetName

    @Option(help: "Where to write the file (default .plumb/data/<file name>).")
    var to: String?

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let d = name.dataset
            let dest = to ?? ".plumb/data/\(d.fileName)"
            let r = try await DatasetCatalog.fetch(d, to: dest)
            if json {
                struct Out: Encodable { let dataset, path, sha256, source: String; let derived_from: String?; let bytes: Int; let already_present: Bool; let target: String }
                try printJSON(Out(dataset: d.name, path: r.path, sha256: r.sha256, source: r.source, derived_from: r.derivedFrom, bytes: r.bytes, already_present: r.alreadyPresent, target: d.target))
            } else {
                let how = r.alreadyPresent ? "already present, verified" : r.derivedFrom.map { "derived from \($0) in \(r.source)" } ?? "from \(r.source)"
                print("\(d.name): \(r.path) (\(grouped(r.bytes)) bytes, \(how))")
                print("sha256 \(r.sha256) ✓")
            }
        }
    }
}
