import Foundation

/// `tracekv-bench crash`: an ingesting child killed with SIGKILL `kills` times.
struct CrashReport: BenchReport {
  static let benchmark = "crash"
  var benchmark: BenchmarkName<Self>? = .init()
  var kills: Int
  /// Traces the children acknowledged, in all.
  var acknowledged: Int
  /// Traces in the store at the end.
  var present: Int
  /// Acknowledged traces missing after a kill.
  var lost: Int
  var verifyFailures: Int
  /// Kills that came before the child acknowledged anything.
  var roundsWithoutAck: Int
  var failures: [String]
  var seed: UInt64
  var maxDelayMilliseconds: Int
  var batch: Int
  var seconds: Double
  var mapBytes: Int
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, kills, acknowledged, present, lost, failures, seed, batch, seconds, context
    case verifyFailures = "verify_failures"
    case roundsWithoutAck = "rounds_without_ack"
    case maxDelayMilliseconds = "max_delay_ms"
    case mapBytes = "map_bytes"
  }

  var table: ReportTable {
    ReportTable(
      ["kills", "acknowledged", "present", "lost", "verify failures", "kills before any ack", "seconds"],
      [
        [
          String(kills), String(acknowledged), String(present), String(lost), String(verifyFailures), String(roundsWithoutAck),
          fixed(seconds, 1),
        ]
      ])
  }
}

/// `tracekv-bench fuzz`: hostile searches, command lines and damaged store files.
struct FuzzReport: BenchReport {
  static let benchmark = "fuzz"
  var benchmark: BenchmarkName<Self>? = .init()
  var cases: Int
  var seed: UInt64
  var searches: Int
  /// Searches answered, and refused with a typed error.
  var answered: Int
  var refused: Int
  var commandLines: Int
  var damagedFiles: Int
  /// Commands other than `verify` that LMDB stopped on pages `verify` names as damaged (counted, not failed).
  var stoppedOnDamagedPages: Int
  var failures: [String]
  var seconds: Double
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, cases, seed, searches, answered, refused, failures, seconds, context
    case commandLines = "command_lines"
    case damagedFiles = "damaged_files"
    case stoppedOnDamagedPages = "stopped_on_damaged_pages"
  }

  var table: ReportTable {
    ReportTable(
      [
        "cases", "searches", "answered", "refused", "command lines", "damaged files", "stopped by LMDB on damaged pages",
        "failures", "seconds",
      ],
      [
        [
          String(cases), String(searches), String(answered), String(refused), String(commandLines), String(damagedFiles),
          String(stoppedOnDamagedPages), String(failures.count), fixed(seconds, 1),
        ]
      ])
  }
}

/// `tracekv-bench concurrency`: one writer process and reader processes on one store.
struct ConcurrencyReport: BenchReport {
  static let benchmark = "concurrency"
  var benchmark: BenchmarkName<Self>? = .init()
  var writer: Process
  var readers: [Process]
  /// Every process's errors (a process that printed no report counts one).
  var errors: Int
  var verifyProblems: [String]
  var finalTraces: Int
  var fileBytes: Int
  var seconds: Double
  /// Traces per write transaction.
  var batch: Int
  var padBytes: Int
  var growToMib: Int?
  var context: RunContext

  /// What one writer or reader process prints on its standard output.
  struct Process: Codable, Equatable {
    /// Batches written, or searches + reconstructions + exports.
    var ops: Int
    var errors: Int
    var firstError: String?
    var seconds: Double
    /// Traces the process saw (the count of its first and last snapshot; a writer: 0 and what it wrote).
    var firstSeen: Int
    var lastSeen: Int
    var detail: String
    // The writer's.
    var traces: Int?
    var tracesPerSecond: Double?
    var batchP50Milliseconds: Double?
    var batchP99Milliseconds: Double?
    var fileBytes: Int?
    // A reader's.
    var counts: Int?
    var searches: Int?
    var reconstructions: Int?
    var exports: Int?

    enum CodingKeys: String, CodingKey {
      case ops, errors, seconds, detail, traces, counts, searches, reconstructions, exports
      case firstError = "first_error"
      case firstSeen = "first_seen"
      case lastSeen = "last_seen"
      case tracesPerSecond = "traces_per_second"
      case batchP50Milliseconds = "p50_batch_ms"
      case batchP99Milliseconds = "p99_batch_ms"
      case fileBytes = "file_bytes"
    }

    /// Stands for a process that printed no report.
    static let silent = Process(
      ops: 0, errors: 1, firstError: "no report", seconds: 0, firstSeen: 0, lastSeen: 0, detail: "")
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, writer, readers, errors, seconds, batch, context
    case verifyProblems = "verify_problems"
    case finalTraces = "final_traces"
    case fileBytes = "file_bytes"
    case padBytes = "pad_bytes"
    case growToMib = "grow_to_mib"
  }

  var table: ReportTable {
    var table = ReportTable([
      "process", "seconds", "ops (batches | searches+rebuilds+exports)", "ops/s", "errors", "traces seen first → last", "detail",
    ])
    for (name, process) in [("writer", writer)] + readers.enumerated().map({ ("reader \($0.offset + 1)", $0.element) }) {
      table.add([
        name, fixed(process.seconds, 1), String(process.ops), fixed(Double(process.ops) / max(process.seconds, 1e-9), 1),
        String(process.errors), "\(process.firstSeen) → \(process.lastSeen)", process.firstError ?? process.detail,
      ])
    }
    return table
  }
}
