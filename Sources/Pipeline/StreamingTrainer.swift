import Foundation
import MLCore
import Tabular
import TreeModels

/// Trains a gradient-boosted model on a file without ever holding it as a table: the file is read
/// chunk by chunk (CSV blocks, Parquet row groups) in a few passes, and only what the fit needs is
/// kept — the target, the bins of every training row (rows × features bytes), and samples.
///
/// The passes: (1, only when the row count is not in the file's metadata) count the rows and fix
/// each CSV column's kind; (2) gather the target, the preprocessing statistics of the training
/// rows, and the raw rows the bin edges are fitted on; (3, as needed) narrow the exact medians;
/// (4) preprocess and bin every training row into place; (5) score the held-out rows.
///
/// Rows are split, held out for early stopping and sampled for bin edges exactly as
/// `Trainer.train` does on the same data in memory, so the model is the same (same bins, same
/// trees). What is summarised instead of kept: the reference profile and the SHAP importance are
/// computed on samples of at most `sampleRows` training and held-out rows.
public enum StreamingTrainer {
    /// The most raw rows kept for bin edges (as `BinnedMatrix` samples) and for the reference profile.
    public static let sampleRows = 200_000

    /// Trains `request.model` (gbm) on the file at `path`, evaluated on `testPath` or on a seeded
    /// `request.testFraction` of the file's rows. `request.train` and `request.test` are not used.
    /// - Parameters:
    ///   - chunkBytes: the CSV block size (nil: the default of `TableFile.forEachChunk`).
    ///   - phase: told what each pass over the files is about to do (for a status line).
    /// - Throws: `TrainingError` for what cannot be trained this way (naming the option), and the
    ///   errors of reading, preprocessing and fitting, naming the file.
    public static func train(file path: String, testFile testPath: String? = nil, csv: CSVOptions = CSVOptions(),
                             request given: TrainingRequest, chunkBytes: Int? = nil,
                             progress: ProgressHandler? = nil, phase: ((String) -> Void)? = nil) throws -> TrainingOutcome {
        var request = given
        let parameters = try checkedParameters(request)
        let source = ChunkSource(path: path, csv: csv, chunkBytes: chunkBytes)
        phase?("counting the rows of \(path)")
        let trainSource = try source.withFixedSchema()
        let plan = try RowPlan(rows: trainSource.rows, split: testPath == nil, testFraction: request.testFraction,
                               seed: request.seed, parameters: parameters, source: path)
        phase?("gathering the target and the statistics of \(plan.trainRows) training rows")
        var gathered = try Gathered.collect(trainSource, plan: plan, request: request)
        // A median fills missing values before binning, so it must be exact first; the medians of
        // columns with no missing training value are narrowed while binning instead.
        if gathered.mediansPending(onlyWhereMissing: true) { phase?("narrowing the medians of columns with missing values") }
        try gathered.finishMedians(trainSource, plan: plan, onlyWhereMissing: true)
        let binning = try Preprocessor.fit(summaries: gathered.summaries(), options: request.preprocessing)
        request.trainingData?.rows = trainSource.rows
        request.trainingData?.columns = gathered.columnNames

        let testSource = try testPath.map { try ChunkSource(path: $0, csv: csv, chunkBytes: chunkBytes).withFixedSchema() }
        let testTarget = try testSource.map { try Gathered.targetColumn(of: $0, target: request.target) }
        let target = try gathered.targetPlan(request: request, plan: plan, testTarget: testTarget)
        guard request.model.fits(target.task) else {
            throw TrainingError(code: .badArgument, message: "\(request.model.kind) does not fit a \(target.task.rawValue) target \"\(request.target)\"")
        }
        let p = taskParameters(parameters, target: target, balanced: request.balancedClassWeights)

        let clock = ContinuousClock()
        let start = clock.now
        phase?("binning the training rows")
        let binned = try bin(trainSource, plan: plan, preprocessor: binning, sample: gathered.sampleTable, parameters: p) { chunk, first in
            try gathered.observeTraining(chunk, firstRow: first, plan: plan)
        }
        gathered.finishPass()
        try gathered.finishMedians(trainSource, plan: plan, onlyWhereMissing: false)
        let preprocessor = try Preprocessor.fit(summaries: gathered.summaries(), options: request.preprocessing)
        var fit = try boost(binned, target: target, plan: plan, parameters: p, progress: progress)
        let fitSeconds = (clock.now - start).seconds
        if let w = target.warning { fit.warnings.insert(w, at: 0) }

        let model = Trainer.assemble(fit, threshold: request.threshold, target: target, preprocessor: preprocessor, request: request)
        phase?("scoring the held-out rows")
        let scored = try score(model, on: testSource ?? trainSource, plan: testSource == nil ? plan : nil, rows: target.testActuals.count)
        let evaluation = try target.evaluate(scored.predictions, model: model)
        return Trainer.outcome(model, evaluation: evaluation, fit: fit, fitSeconds: fitSeconds, rows: (plan.trainRows, target.testActuals.count),
                               testPredictions: scored.predictions, testActuals: target.testActuals,
                               tables: (gathered.sampleTable, testSource == nil ? gathered.testSampleTable : scored.sample),
                               features: gathered.features)
    }

    /// The gbm parameters of `request`, once its options are known to work in passes.
    private static func checkedParameters(_ request: TrainingRequest) throws -> GBMParameters {
        guard case .gbm(let parameters) = request.model else {
            throw TrainingError(code: .badArgument, message: "training in passes over the file fits gbm only, not \(request.model.kind) (pass --model gbm)")
        }
        try request.model.validate()
        let pre = request.preprocessing
        guard pre.clip == nil, !pre.scale, pre.impute != .mean else {
            throw TrainingError(code: .badArgument, message: "training in passes over the file takes --impute median or none, without --scale or clipping")
        }
        guard request.threshold != nil else {
            throw TrainingError(code: .badArgument, message: "training in passes over the file takes a fixed --threshold, not best-f1")
        }
        return parameters
    }

    /// The loss and class weights of the task, as `ModelSpec.fitClassifier` sets them.
    private static func taskParameters(_ parameters: GBMParameters, target: TargetPlan, balanced: Bool) -> GBMParameters {
        var p = parameters
        if let labels = target.classes {
            p.loss = labels.count == 2 ? .logistic : .softmax
            p.classWeights = balanced ? Trainer.balancedWeights(target.trainClasses ?? [], classCount: labels.count) : []
        }
        return p
    }

    /// Boosts on the binned rows with their targets (values, or class indices) in fit order.
    private static func boost(_ binned: (fit: BinnedMatrix, validation: BinnedMatrix?), target: TargetPlan, plan: RowPlan,
                              parameters p: GBMParameters, progress: ProgressHandler?) throws -> FitResult {
        let values = target.classes == nil ? target.trainValues : nil
        return FitResult(gbm: try GradientBoostedTrees.fit(
            binned: binned.fit, values: values.map { plan.fitSelection($0) }, classes: target.trainClasses.map { plan.fitSelection($0) },
            classCount: target.classes?.count ?? 0, parameters: p,
            validation: binned.validation.map { ($0, values.map { plan.validSelection($0) }, target.trainClasses.map { plan.validSelection($0) }) },
            progress: progress.map { cb in { cb($0, $1, $2, $3) } }))
    }

    /// Preprocesses and bins every training row into its place: the rows fitted on, and the rows
    /// early stopping holds out (binned with the same edges). `alongside` sees every chunk too.
    private static func bin(_ source: ChunkSource, plan: RowPlan, preprocessor: Preprocessor, sample: Table, parameters p: GBMParameters,
                            alongside: (Table, _ firstRow: Int) throws -> Void) throws -> (fit: BinnedMatrix, validation: BinnedMatrix?) {
        let sampleColumns = try preprocessor.outputColumns(sample)
        let mappers = BinnedMatrix.numericMappers(sample: FeatureColumns(rows: sampleColumns.rows, count: sampleColumns.count) { sampleColumns.column($0) },
                                                  maxBins: p.maxBins, threads: p.threads)
        let fit = BinnedMatrix.Builder(rows: plan.fitRows, mappers: mappers)
        let validation = plan.validRows > 0 ? BinnedMatrix.Builder(rows: plan.validRows, mappers: mappers) : nil
        try source.forEachChunk { chunk, first in
            try alongside(chunk, first)
            let columns = try preprocessor.outputColumns(chunk)
            let range = first..<(first + chunk.rowCount)
            let fitPositions = Array(plan.fitPosition[range])
            let validPositions = validation == nil ? [] : Array(plan.validPosition[range])
            DispatchQueue.concurrentPerform(iterations: columns.count) { f in
                let values = columns.column(f)
                values.withUnsafeBufferPointer { v in
                    fitPositions.withUnsafeBufferPointer { fit.fill(feature: f, values: v, positions: $0) }
                    validPositions.withUnsafeBufferPointer { if let validation { validation.fill(feature: f, values: v, positions: $0) } }
                }
            }
        }
        return (fit.finish(threads: p.threads), validation?.finish(threads: p.threads))
    }

    /// The model's outputs on the held-out rows, in test order: every row of a test file, or the
    /// rows `plan` holds out of the training file. Also keeps the first `sampleRows` of a test file.
    private static func score(_ model: LoadedModel, on source: ChunkSource, plan: RowPlan?, rows: Int) throws
        -> (predictions: [Double], sample: Table) {
        let width = model.regressor.outputCount
        var predictions = [Double](repeating: .nan, count: rows * width)
        var sampleParts: [Table] = []
        try source.forEachChunk { chunk, first in
            let picked: [Int], positions: [Int]
            if let plan {
                picked = (0..<chunk.rowCount).filter { plan.testPosition[first + $0] >= 0 }
                positions = picked.map { Int(plan.testPosition[first + $0]) }
            } else {
                picked = Array(0..<chunk.rowCount)
                positions = picked.map { first + $0 }
                if first < sampleRows { sampleParts.append(chunk.selecting(rows: Array(0..<min(chunk.rowCount, sampleRows - first)))) }
            }
            guard !picked.isEmpty else { return }
            let out = try model.predict(picked.count == chunk.rowCount ? chunk : chunk.selecting(rows: picked)).predictions
            // Row-major outputs: a classifier's probabilities come `width` to a row.
            for (k, position) in positions.enumerated() {
                for c in 0..<width { predictions[position * width + c] = out[k * width + c] }
            }
        }
        return (predictions, try Table.concatenating(sampleParts, source: source.path))
    }
}

/// A data file read chunk by chunk, each chunk with the file row it starts at.
struct ChunkSource {
    let path: String
    var csv: CSVOptions
    let chunkBytes: Int?
    /// Data rows, once known.
    var rows = 0

    init(path: String, csv: CSVOptions, chunkBytes: Int?) {
        self.path = path
        self.csv = csv
        self.chunkBytes = chunkBytes
    }

    /// Calls `body` with each chunk and the file row it starts at. Once the rows are counted
    /// (`withFixedSchema`), a pass that reads another number of rows is an error, not a row put
    /// in the wrong place.
    func forEachChunk(_ body: (Table, _ firstRow: Int) throws -> Void) throws {
        var first = 0
        let changed = TabularError(code: .io, message: "\(path): \(rows) rows counted by the first pass, but a later pass read others (did the file change while it was read?)")
        let visit: (Table) throws -> Void = { chunk in
            if rows > 0 && first + chunk.rowCount > rows { throw changed }
            try body(chunk, first)
            first += chunk.rowCount
        }
        if TableFile.format(of: path) == .csv {
            try TableFile.forEachCSVChunk(path, csv: csv, blockBytes: chunkBytes ?? TableFile.csvChunkBytes, visit)
        } else {
            try TableFile.forEachChunk(path, csv: csv, visit)
        }
        if rows > 0 && first != rows { throw changed }
    }

    /// The same source with its row count known and, for a CSV, every column's kind fixed as the
    /// block reader fixes it (by the first block), so that every later pass reads each column
    /// alike. A CSV's records are counted without being parsed; a Parquet file's come from its footers.
    func withFixedSchema() throws -> ChunkSource {
        var fixed = self
        switch TableFile.format(of: path) {
        case .csv:
            let reader = try CSVReader.BlockReader(path: path, options: csv, blockBytes: chunkBytes ?? TableFile.csvChunkBytes)
            guard let first = try reader.nextBlock() else { throw TabularError(code: .headerOnly, message: "\(path): header row but no data rows") }
            fixed.rows = first.rowCount + (try reader.countRemainingRecords())
            let kinds = Dictionary(uniqueKeysWithValues: first.columns.map { ($0.name, $0.kind) })
            fixed.csv.schema = kinds.merging(csv.schema) { _, given in given }
        case .parquet, .arrow:
            if let rows = TableFile.knownRowCount(path) {
                fixed.rows = rows
            } else {
                var rows = 0
                try forEachChunk { chunk, _ in rows += chunk.rowCount }
                fixed.rows = rows
            }
        }
        return fixed
    }
}

/// Where each row of the training file goes: the position among the rows fitted on, among the
/// rows early stopping holds out, or among the test rows (-1: not there). The split, the hold-out
/// and the bin-edge sample are those the in-memory trainer draws for the same row count and seeds.
struct RowPlan {
    let rows: Int
    let fitPosition: [Int32]
    let validPosition: [Int32]
    let testPosition: [Int32]
    /// Rows whose raw values are kept: the bin-edge sample of the fitted rows.
    let isSample: [Bool]
    /// File rows of the train split in split order, and of the test split.
    let trainOrder: [Int]
    let testOrder: [Int]
    /// Indices into `trainOrder` of the fitted and the held-out rows (nil: every row is fitted).
    let holdout: (fit: [Int], validation: [Int])?

    var trainRows: Int { trainOrder.count }
    var fitRows: Int { holdout?.fit.count ?? trainOrder.count }
    var validRows: Int { holdout?.validation.count ?? 0 }

    init(rows n: Int, split: Bool, testFraction: Double, seed: UInt64, parameters p: GBMParameters, source: String) throws {
        rows = n
        if split {
            do {
                (trainOrder, testOrder) = try TrainTestSplit.split(rowCount: n, testFraction: testFraction, seed: seed)
            } catch {
                throw TrainingError(code: .badArgument, message: "\(source): \(error)")
            }
        } else {
            trainOrder = Array(0..<n)
            testOrder = []
        }
        let order = trainOrder
        let holdout = GradientBoostedTrees.validationHoldout(rows: order.count, parameters: p)
        self.holdout = holdout
        var fit = [Int32](repeating: -1, count: n), valid = [Int32](repeating: -1, count: n), test = [Int32](repeating: -1, count: n)
        let fitted = holdout.map { h in h.fit.map { order[$0] } } ?? order
        for (i, r) in fitted.enumerated() { fit[r] = Int32(i) }
        for (i, j) in (holdout?.validation ?? []).enumerated() { valid[order[j]] = Int32(i) }
        for (i, r) in testOrder.enumerated() { test[r] = Int32(i) }
        var sample = [Bool](repeating: false, count: n)
        if let chosen = BinnedMatrix.sampleRows(rows: fitted.count, sampleSize: StreamingTrainer.sampleRows, seed: p.seed) {
            for i in chosen { sample[fitted[i]] = true }
        } else {
            for r in fitted { sample[r] = true }
        }
        fitPosition = fit
        validPosition = valid
        testPosition = test
        isSample = sample
    }

    /// `values` of the train split (in split order) for the fitted rows, in fit order.
    func fitSelection<T>(_ values: [T]) -> [T] {
        guard let holdout else { return values }
        return holdout.fit.map { values[$0] }
    }

    /// The same for the rows early stopping holds out.
    func validSelection<T>(_ values: [T]) -> [T] {
        (holdout?.validation ?? []).map { values[$0] }
    }

    /// Whether file row `r` belongs to the train split (fitted or held out for early stopping).
    func isTraining(_ r: Int) -> Bool { fitPosition[r] >= 0 || validPosition[r] >= 0 }
}

/// What the gathering pass keeps: the target of every row, the preprocessing statistics of the
/// training rows, and the raw sample rows.
struct Gathered {
    /// Every column of the file, and the feature columns with their kinds.
    var columnNames: [String] = []
    var features: [String] = []
    var kinds: [ColumnKind] = []
    var targetParts: [Column] = []
    var medians: [StreamingMedian] = []
    /// Rows of the train split seen by the gathering pass.
    var trainingRows = 0
    var levelCounts: [LevelCounts] = []
    var sampleTable = Table(columns: [])
    var testSampleTable = Table(columns: [])
    let source: String

    /// Reads the training file once (pass 2).
    static func collect(_ file: ChunkSource, plan: RowPlan, request: TrainingRequest) throws -> Gathered {
        var g = Gathered(source: file.path)
        var sampleParts: [Table] = [], testParts: [(table: Table, positions: [Int])] = []
        try file.forEachChunk { chunk, first in
            if g.features.isEmpty { try g.resolveColumns(chunk, request: request) }
            guard let target = chunk.column(named: request.target) else {
                throw TrainingError(code: .unknownTarget, message: "\(file.path): no target column \"\(request.target)\" (columns: \(chunk.columnNames.joined(separator: ", ")))")
            }
            g.targetParts.append(target)
            let kept = chunk.selecting(columns: g.features + [request.target])
            let rows = 0..<chunk.rowCount
            let training = rows.filter { plan.isTraining(first + $0) }
            let sampled = rows.filter { plan.isSample[first + $0] }
            if !sampled.isEmpty { sampleParts.append(kept.selecting(rows: sampled)) }
            let tested = rows.filter { plan.testPosition[first + $0] >= 0 && plan.testPosition[first + $0] < StreamingTrainer.sampleRows }
            if !tested.isEmpty { testParts.append((kept.selecting(rows: tested), tested.map { Int(plan.testPosition[first + $0]) })) }
            try g.observe(kept.selecting(rows: training), firstRow: first, countLevels: true)
            g.trainingRows += training.count
        }
        g.finishPass()
        g.sampleTable = try Table.concatenating(sampleParts, source: file.path)
        let tests = try Table.concatenating(testParts.map(\.table), source: file.path)
        let order = testParts.flatMap(\.positions).enumerated().sorted { $0.element < $1.element }.map(\.offset)
        g.testSampleTable = tests.selecting(rows: order)
        return g
    }

    /// The feature columns (as `Trainer.featureNames` resolves them) and their kinds.
    private mutating func resolveColumns(_ chunk: Table, request: TrainingRequest) throws {
        var probe = request
        probe.train = Table(columns: chunk.columns.map { Column(name: $0.name, data: .numeric([])) }, rowCount: 0)
        probe.source = source
        columnNames = chunk.columnNames
        features = try Trainer.featureNames(probe)
        kinds = features.map { chunk.column(named: $0)!.kind }
        medians = features.map { _ in StreamingMedian() }
        levelCounts = features.map { _ in LevelCounts() }
    }

    /// Adds training rows to the statistics of the current pass.
    private mutating func observe(_ rows: Table, firstRow: Int, countLevels: Bool) throws {
        for (f, name) in features.enumerated() {
            guard let column = rows.column(named: name), column.kind == kinds[f] else {
                throw TrainingError(code: .badArgument, message: "\(source): feature \"\(name)\" is \(kinds[f].rawValue) in the first rows but not in rows from \(firstRow + 1) on")
            }
            switch column.data {
            case .numeric(let values): if medians[f].needsPass { values.withUnsafeBufferPointer { medians[f].observe($0) } }
            case .categorical(let codes, let levels): if countLevels { levelCounts[f].add(codes: codes, levels: levels) }
            }
        }
    }

    /// Ends a pass over the training rows for every median still being narrowed.
    mutating func finishPass() {
        for f in medians.indices where kinds[f] == .numeric && medians[f].needsPass { medians[f].finishPass() }
    }

    /// Adds the training rows of a chunk (file rows from `firstRow`) to the medians being narrowed.
    mutating func observeTraining(_ chunk: Table, firstRow first: Int, plan: RowPlan) throws {
        guard medians.indices.contains(where: { kinds[$0] == .numeric && medians[$0].needsPass }) else { return }
        let training = (0..<chunk.rowCount).filter { plan.isTraining(first + $0) }
        try observe(chunk.selecting(columns: features).selecting(rows: training), firstRow: first, countLevels: false)
    }

    /// Whether numeric feature `f` misses a value in some training row (known after the gathering pass).
    func hasMissingValues(_ f: Int) -> Bool { medians[f].count < trainingRows }

    /// Whether a median (of any numeric feature, or of one with missing values) needs another pass.
    func mediansPending(onlyWhereMissing: Bool) -> Bool {
        medians.indices.contains { kinds[$0] == .numeric && medians[$0].needsPass && (!onlyWhereMissing || hasMissingValues($0)) }
    }

    /// More passes until the medians are exact (usually one): of every numeric feature, or only
    /// of those with missing values (`onlyWhereMissing`).
    mutating func finishMedians(_ file: ChunkSource, plan: RowPlan, onlyWhereMissing: Bool) throws {
        while mediansPending(onlyWhereMissing: onlyWhereMissing) {
            try file.forEachChunk { chunk, first in try observeTraining(chunk, firstRow: first, plan: plan) }
            finishPass()
        }
    }

    /// What the preprocessing is fitted on. A median still being narrowed (of a feature with no
    /// missing training value, so that it fills nothing the bins see) stands at 0 until it is exact.
    func summaries() -> [(name: String, summary: Preprocessor.FeatureSummary)] {
        features.indices.map { f in
            switch kinds[f] {
            case .numeric: (features[f], .numeric(hasValues: medians[f].count > 0, fill: medians[f].value ?? 0))
            case .categorical: (features[f], .categorical(levelCounts[f]))
            }
        }
    }

    /// The targets of the train and test splits, as `TargetPlan` holds them for the in-memory trainer.
    func targetPlan(request: TrainingRequest, plan: RowPlan, testTarget: Column?) throws -> TargetPlan {
        let all = try Table.concatenating(targetParts.map { Table(columns: [$0]) }, source: source).columns[0]
        try Trainer.checkTargetPresent(all, target: request.target, source: source)
        let train = all.selecting(rows: plan.trainOrder)
        let test = testTarget ?? all.selecting(rows: plan.testOrder)
        let testSource = testTarget == nil ? source : "test data"
        let inferred = TaskInference.infer(train, target: request.target)
        let task = request.task ?? inferred.task
        let warning = request.task == nil ? inferred.warning : nil
        guard task.isClassification else {
            let trainTable = Table(columns: [train]), testTable = Table(columns: [test])
            return TargetPlan(task: task, classes: nil,
                              trainValues: try Trainer.targetValues(trainTable, target: request.target, source: source), trainClasses: nil,
                              testValues: try Trainer.targetValues(testTable, target: request.target, source: testSource), testClasses: nil,
                              warning: warning)
        }
        let labels = try ClassLabels.of(train, target: request.target, source: source)
        if task == .binary && labels.count != 2 {
            throw TrainingError(code: .badTarget, message: "\(source): --task binary, but target \"\(request.target)\" has \(labels.count) classes; use --task multiclass")
        }
        return TargetPlan(task: task, classes: labels, trainValues: [],
                          trainClasses: try labels.indices(of: train, target: request.target, source: source), testValues: [],
                          testClasses: try labels.indices(of: test, target: request.target, source: testSource), warning: warning)
    }

    /// The target column of every row of a test file.
    static func targetColumn(of file: ChunkSource, target: String) throws -> Column {
        var parts: [Table] = []
        try file.forEachChunk { chunk, first in
            guard let column = chunk.column(named: target) else {
                throw TrainingError(code: .unknownTarget, message: "\(file.path): no target column \"\(target)\" (columns: \(chunk.columnNames.joined(separator: ", ")))")
            }
            parts.append(Table(columns: [column]))
        }
        return try Table.concatenating(parts, source: file.path).columns[0]
    }
}
