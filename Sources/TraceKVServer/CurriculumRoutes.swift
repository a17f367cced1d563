import Foundation
import Hummingbird
import TraceKV

/// `GET /api/v1/curriculum`: the failure clusters (`Curriculum.json`), and
/// `GET /api/v1/curriculum/export`: their tasks in the shape of TraceBrain's
/// curriculum export (`format=json`, an array, or `jsonl`).
extension TraceBrainRoutes {
  func curriculum(_ request: Request) async throws -> Response {
    let (filter, options) = try curriculumQuery(request)
    let curriculum = try await HTTPReplies.offload { [store] in try store.curriculum(filter, options: options)
    }
    return HTTPReplies.json(.ok, curriculum.json)
  }

  func curriculumExport(_ request: Request) async throws -> Response {
    let format = (QueryParameters(request).string("format") ?? "json").lowercased()
    guard format == "json" || format == "jsonl" else {
      throw Refused(.badRequest, "Invalid format. Use 'json' or 'jsonl'.")
    }
    let (filter, options) = try curriculumQuery(request)
    let curriculum = try await HTTPReplies.offload { [store] in try store.curriculum(filter, options: options)
    }
    if format == "jsonl" {
      return HTTPReplies.bytes(.ok, Array(curriculum.tasksJSONL.utf8), contentType: "application/x-jsonlines")
    }
    return HTTPReplies.json(.ok, .array(curriculum.clusters.map(\.task.json)))
  }

  /// The filters of every export, plus `min_cluster`, `similarity`, `examples` and `max_runs`.
  private func curriculumQuery(_ request: Request) throws(Refused) -> (TraceFilter, CurriculumOptions) {
    let parameters = QueryParameters(request)
    var options = CurriculumOptions()
    let runs = 1...Limits.maximumCurriculumRuns
    options.minClusterSize = try parameters.int("min_cluster", in: runs) ?? options.minClusterSize
    options.similarity = try parameters.double("similarity", in: 0...1) ?? options.similarity
    options.examples =
      try parameters.int("examples", in: 0...Limits.maximumCurriculumExamples) ?? options.examples
    options.maximumRuns = try parameters.int("max_runs", in: runs) ?? options.maximumRuns
    return (try parameters.traceFilter(), options)
  }
}
