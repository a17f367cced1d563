import Foundation

/// `tracekv-bench crash`: an ingesting child killed with SIGKILL `kills` times.
struct CrashReport: BenchReport {
  static let benchmark = "crash"
  var benchmark: BenchmarkName<Self>? = .init()
  /// Kills; traces the children acknowledged in all; traces in the store at the end; acknowledged traces
  /// missing after a kill; kills that came before the child acknowledged anything.
  var kills, acknowledged, present, lost, verifyFailures, roundsWithoutAck: Int
  var failures: [String]
  var seed: UInt64
  var maxDelayMilliseconds, batch, mapBytes: Int
  var seconds: Double
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, kills, acknowledged, present, lost, failures, seed, batch, seconds, context
    case verifyFailures = "verify_failures", roundsWithoutAck = "rounds_without_ack"
    case maxDelayMilliseconds = "max_delay_ms", mapBytes = "map_bytes"
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
  /// Cases in all; the searches among them, answered or refused with a typed error; command lines;
  /// damaged files; commands other than `verify` that LMDB stopped on pages `verify` names as damaged
  /// (counted, not failed).
  var cases, searches, answered, refused, commandLines, damagedFiles, stoppedOnDamagedPages: Int
  var seed: UInt64
  var failures: [String]
  var seconds: Double
  var context: RunContext

  enum CodingKeys: String, CodingKey {
    case benchmark, cases, seed, searches, answered, refused, failures, seconds, context
    case commandLines = "command_lines", damagedFiles = "damaged_files"
    case stoppedOnDamagedPages = "stopped_on_damaged_pages"
  }

  var table: ReportTable {
    ReportTable(
      [
        "cases", "searches", "answered", "refused", "command lines", "damaged files", "signals on damaged pages",
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
  /// Every process's errors (a process that printed no report counts one); traces per write transaction.
  var errors, finalTraces, fileBytes, batch, padBytes: Int
  var verifyProblems: [String]
  var seconds: Double
  var growToMib: Int?
  var context: RunContext

  /// What one writer or reader process prints on its standard output.
  struct Process: Codable, Equatable {
    /// Batches written, or searches + reconstructions + exports; the traces the process saw (the count of
    /// its first and last snapshot; a writer: 0 and what it wrote).
    var ops, errors, firstSeen, lastSeen: Int
    var seconds: Double
    var firstError: String?
    var detail: String
    /// The writer's.
    var traces, fileBytes: Int?
    var tracesPerSecond, batchP50Milliseconds, batchP99Milliseconds: Double?
    /// A reader's.
    var counts, searches, reconstructions, exports: Int?

    enum CodingKeys: String, CodingKey {
      case ops, errors, seconds, detail, traces, counts, searches, reconstructions, exports
      case firstError = "first_error", firstSeen = "first_seen", lastSeen = "last_seen"
      case tracesPerSecond = "traces_per_second", batchP50Milliseconds = "p50_batch_ms"
      case batchP99Milliseconds = "p99_batch_ms", fileBytes = "file_bytes"
    }

    /// Stands for a process that printed no report.
    static let silent = Process(ops: 0, errors: 1, firstSeen: 0, lastSeen: 0, seconds: 0, firstError: "no report", detail: "")
  }

  enum CodingKeys: String, CodingKey {
    case benchmark, writer, readers, errors, seconds, batch, context
    case verifyProblems = "verify_problems", finalTraces = "final_traces", fileBytes = "file_bytes"
    case padBytes = "pad_bytes", growToMib = "grow_to_mib"
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
