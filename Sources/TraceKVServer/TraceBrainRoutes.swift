import Foundation
import Hummingbird
import TraceKV

/// TraceBrain's REST API under `/api/v1`, with its request and response
/// shapes, so its SDK (`TraceClient`) and agent tools work unchanged.
/// Reads run off the concurrency pool; writes go through the writer.
struct TraceBrainRoutes: Sendable {
  let store: TraceStore
  let writer: IngestWriter
  let configuration: ServerConfiguration

  func register(on router: Router<BasicRequestContext>) {
    let api = router.group("api/v1")
    api.get("health") { _, _ in health() }
    api.get("openapi.json") { _, _ in
      HTTPReplies.bytes(.ok, Array(OpenAPIDocument.json.utf8), contentType: "application/json")
    }
    api.get("stats") { _, _ in await answer { try await stats() } }
    api.get("analytics/tool_usage") { request, _ in await answer { try await toolUsage(request) } }
    api.get("traces") { request, _ in await answer { try await listTraces(request) } }
    api.get("traces/search") { request, _ in await answer { try await search(request) } }
    api.get("traces/:trace_id") { _, context in await answer { try await getTrace(context) } }
    api.delete("traces/:trace_id") { _, context in await answer { try await deleteTrace(context) } }
    api.post("traces") { request, _ in await answer { try await postTrace(request) } }
    api.post("traces/init") { request, _ in await answer { try await initTrace(request) } }
    api.post("traces/:trace_id/feedback") { request, context in await answer { try await feedback(request, context) } }
    api.post("traces/:trace_id/signal") { request, context in await answer { try await signal(request, context) } }
    api.post("ai_evaluate/:trace_id") { request, context in await answer { try await evaluate(request, context) } }
    api.get("export/traces") { request, _ in await answer { try exportTraces(request) } }
    api.get("curriculum") { request, _ in await answer { try await curriculum(request) } }
    api.get("curriculum/export") { request, _ in await answer { try await curriculumExport(request) } }
    api.get("episodes") { request, _ in await answer { try await episodes(request, withTraces: true) } }
    api.get("episodes/summary") { request, _ in await answer { try await episodes(request, withTraces: false) } }
    api.get("episodes/:episode_id") { _, context in await answer { try await episode(context, full: false) } }
    api.get("episodes/:episode_id/traces") { _, context in await answer { try await episode(context, full: true) } }
    api.delete("ops/traces/cleanup") { request, _ in await answer { try await cleanup(request) } }
    api.get("usage") { request, _ in await answer { try await usage(request) } }
    api.get("diff") { request, _ in await answer { try await diff(request) } }
  }

  /// Runs a handler, answering a refusal with its response and a store error with its status.
  private func answer(_ handler: () async throws -> Response) async -> Response {
    do { return try await handler() } catch let refused as Refused { return refused.response } catch {
      return HTTPReplies.failure(error)
    }
  }

  // MARK: Reads

  func health() -> Response {
    HTTPReplies.json(
      .ok,
      .object(
        JSONObject([
          "status": .string("healthy"), "database": .string("connected"), "backend": .string("tracekv"),
          "timestamp": .string(Timestamp.now.text),
        ])))
  }

  func stats() async throws -> Response {
    let stats = try await HTTPReplies.offload { [store] in try store.statistics() }
    return HTTPReplies.json(
      .ok,
      .object(
        JSONObject([
          "total_traces": .int(stats.totalTraces), "total_spans": .int(stats.totalSpans),
          "traces_with_feedback": .int(stats.tracesWithFeedback), "traces_last_24h": .int(stats.tracesLast24Hours),
          "avg_spans_per_trace": .double((stats.averageSpansPerTrace * 100).rounded() / 100),
        ])))
  }

  func toolUsage(_ request: Request) async throws -> Response {
    let limit = try QueryParameters(request).int("limit", in: 1...50) ?? 10
    let usage = try await HTTPReplies.offload { [store] in try store.toolUsage() }
    let tools: [JSONValue] = usage.tools.prefix(limit).map {
      .object(JSONObject(["tool": .string($0.tool), "count": .int($0.count)]))
    }
    return HTTPReplies.json(
      .ok, .object(JSONObject(["tools": .array(tools), "total_tool_calls": .int(usage.totalToolCalls)])))
  }

  func listTraces(_ request: Request) async throws -> Response {
    let parameters = QueryParameters(request)
    let skip = try parameters.int("skip", in: 0...Int(Int32.max)) ?? 0
    let limit = try parameters.int("limit", in: 1...100) ?? 20
    let filter = try parameters.traceFilter()
    let idQuery = parameters.string("query")
    let (total, traces) = try await HTTPReplies.offload { [store] () throws -> (Int, [Trace]) in
      // TraceBrain's `query` filters by trace id; here it is an exact id.
      if let idQuery {
        guard let trace = try store.trace(id: idQuery) else { return (0, []) }
        if !filter.isEmpty, !(try store.traceIDs(matching: filter).contains(idQuery)) { return (0, []) }
        return skip == 0 ? (1, [trace]) : (1, [])
      }
      let page = try store.list(filter, limit: limit, offset: skip)
      return (page.total, try page.traces.compactMap { try store.trace(id: $0.traceID) })
    }
    return HTTPReplies.json(
      .ok,
      .object(
        JSONObject([
          "total": .int(total), "skip": .int(skip), "limit": .int(limit),
          "traces": .array(traces.map(TraceBrainShapes.trace)),
        ])))
  }

  func getTrace(_ context: BasicRequestContext) async throws -> Response {
    let traceID = try context.parameters.require("trace_id")
    // One trace is a few LMDB lookups (tens of microseconds): read it on this thread rather than hop to
    // another and back (two thread switches, measured at more than the read).
    guard let trace = try store.trace(id: traceID) else {
      throw Refused(.notFound, "Trace with ID '\(traceID)' not found")
    }
    return HTTPReplies.json(.ok, TraceBrainShapes.trace(trace))
  }

  /// Hybrid search. Takes `text` (what TraceBrain's SDK tools send) or
  /// `semantic_query` as the intent, and `exact_keywords` for the lexical side.
  func search(_ request: Request) async throws -> Response {
    let parameters = QueryParameters(request)
    let minRating = try parameters.int("min_rating", in: 1...5) ?? 4
    let limit = try parameters.int("limit", in: 1...50) ?? 3
    let keywords = parameters.string("exact_keywords")
    // A TraceKV extension: one side of the search alone (how soon each index finds a trace).
    let modeName = parameters.string("mode") ?? SearchMode.hybrid.rawValue
    guard let mode = SearchMode(rawValue: modeName) else {
      throw Refused(.unprocessableContent, "mode must be hybrid, vector or lexical, not '\(modeName)'")
    }
    guard let intent = parameters.string("text") ?? parameters.string("semantic_query") ?? keywords else {
      throw Refused(.unprocessableContent, "give text, semantic_query or exact_keywords")
    }
    let results = try await HTTPReplies.offloadTimed { [store] in
      try ExperienceSearch.run(store, intent: intent, keywords: keywords, minRating: minRating, limit: limit, mode: mode)
    }
    // How long the search waited for a thread, ran, and was on a processor: a client can tell the server's
    // time from its own, and the search's work from time it was preempted.
    let timing = HTTPReplies.serverTiming(["queue": results.waited, "search": results.ran, "cpu": results.cpu])
    return HTTPReplies.json(
      .ok, .object(JSONObject(["total": .int(results.value.count), "results": .array(results.value)])),
      headers: [HTTPReplies.serverTimingField: timing])
  }

  func episodes(_ request: Request, withTraces: Bool) async throws -> Response {
    let parameters = QueryParameters(request)
    let skip = try parameters.int("skip", in: 0...Int(Int32.max)) ?? 0
    let limit = try parameters.int("limit", in: 1...100) ?? 10
    let idQuery = parameters.string("query")
    let below = try parameters.double("min_confidence_lt", in: 0...1)
    let (total, items) = try await HTTPReplies.offload { [store] () throws -> (Int, [JSONValue]) in
      let matching = try store.episodes().filter { episode in
        (idQuery.map { $0 == episode.episodeID } ?? true)
          && (below.map { limit in episode.minConfidence.map { $0 < limit } ?? false } ?? true)
      }
      let page = matching.dropFirst(skip).prefix(limit)
      let items: [JSONValue] = try page.map { episode in
        guard withTraces else {
          return .object(
            JSONObject([
              "episode_id": .string(episode.episodeID), "start_time": .string(episode.startTime.text),
              "trace_count": .int(episode.traceCount),
              "min_confidence": episode.minConfidence.map(JSONValue.double) ?? .null,
            ]))
        }
        let traces = try store.episode(episode.episodeID).compactMap { try store.trace(id: $0.traceID) }
        return .object(
          JSONObject([
            "episode_id": .string(episode.episodeID), "traces": .array(traces.map(TraceBrainShapes.trace)),
          ]))
      }
      return (matching.count, items)
    }
    return HTTPReplies.json(
      .ok,
      .object(
        JSONObject(["total": .int(total), "skip": .int(skip), "limit": .int(limit), "episodes": .array(items)])))
  }

  func episode(_ context: BasicRequestContext, full: Bool) async throws -> Response {
    let episodeID = try context.parameters.require("episode_id")
    let traces = try await HTTPReplies.offload { [store] in
      try store.episode(episodeID).compactMap { try store.trace(id: $0.traceID) }
    }
    guard !traces.isEmpty else { throw Refused(.notFound, "Episode not found") }
    let shape = full ? TraceBrainShapes.trace : TraceBrainShapes.episodeTraceSummary
    return HTTPReplies.json(
      .ok, .object(JSONObject(["episode_id": .string(episodeID), "traces": .array(traces.map(shape))])))
  }

  /// Streams the matching traces as JSON Lines (`format=jsonl`) or one JSON
  /// array, from one read snapshot, holding at most a few traces in memory;
  /// `openai-chat` and `preference` (`preference_style`, `min_rating_gap`)
  /// stream the training exports as JSON Lines.
  func exportTraces(_ request: Request) throws -> Response {
    let parameters = QueryParameters(request)
    let filter = try parameters.traceFilter()
    let limit = try parameters.int("limit", in: 1...5000) ?? Int.max
    let format = (parameters.string("format") ?? "json").lowercased()
    let formats: [String: ExportFormat] = ["json": .json, "jsonl": .jsonl, "openai-chat": .openAIChat, "preference": .preference]
    guard let exportFormat = formats[format] else {
      throw Refused(.badRequest, "Invalid format. Use 'json', 'jsonl', 'openai-chat' or 'preference'.")
    }
    var training = TrainingExportOptions()
    if let style = parameters.string("preference_style") {
      guard let value = PreferenceStyle(rawValue: style) else { throw Refused(.badRequest, "preference_style must be openai or trl") }
      training.preferenceStyle = value
    }
    training.minimumRatingGap = try parameters.int("min_rating_gap", in: 1...4) ?? training.minimumRatingGap
    let chunks = ExportStream.start(store: store) { [training] store, write in
      try store.export(filter, format: exportFormat, limit: limit, training: training, to: write)
    }
    var headers: HTTPFields = [:]
    headers[.contentType] = format == "json" ? "application/json" : "application/x-jsonlines"
    headers[.contentDisposition] = "attachment; filename=tracebrain_export.\(format == "json" ? "json" : "jsonl")"
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        for try await chunk in chunks { try await writer.write(ByteBuffer(string: chunk)) }
        try await writer.finish(nil)
      })
  }

  // MARK: Writes

  func postTrace(_ request: Request) async throws -> Response {
    let (object, bytes) = try await jsonObjectBody(request, limit: configuration.maximumBodyBytes)
    guard let traceID = object["trace_id"]?.stringValue, !traceID.isEmpty else {
      throw Refused(.unprocessableContent, "trace_id is required")
    }
    try await ingest(bytes)
    return HTTPReplies.json(.created, TraceBrainShapes.acknowledgement(traceID, "Trace stored successfully"))
  }

  /// Registers a trace before its spans exist (an empty trace, merged into later).
  func initTrace(_ request: Request) async throws -> Response {
    let (object, _) = try await jsonObjectBody(request, limit: configuration.maximumBodyBytes)
    guard let traceID = object["trace_id"]?.stringValue, !traceID.isEmpty else {
      throw Refused(.unprocessableContent, "trace_id is required")
    }
    var attributes = JSONObject()
    if let prompt = object["system_prompt"]?.stringValue { attributes["system_prompt"] = .string(prompt) }
    if let episode = object["episode_id"]?.stringValue { attributes["tracebrain.episode.id"] = .string(episode) }
    let trace = JSONValue.object(
      JSONObject(["trace_id": .string(traceID), "attributes": .object(attributes), "spans": .array([])]))
    try await ingest(JSONWriter.compactBytes(trace))
    return HTTPReplies.json(.created, TraceBrainShapes.acknowledgement(traceID, "Trace initialized successfully"))
  }

  func feedback(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let traceID = try context.parameters.require("trace_id")
    let (object, _) = try await jsonObjectBody(request, limit: 1 << 20)
    guard let rating = object["rating"]?.intValue else {
      throw Refused(.unprocessableContent, "rating (1 to 5) is required")
    }
    let comment = object["comment"]?.stringValue
    let tags = object["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let metadata = object["metadata"]?.objectValue ?? JSONObject()
    let priority = object["priority"]?.intValue
    try await change(
      .feedback(traceID: traceID, rating: rating, comment: comment, tags: tags, metadata: metadata, priority: priority))
    return HTTPReplies.json(.ok, TraceBrainShapes.acknowledgement(traceID, "Feedback added successfully"))
  }

  func signal(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let traceID = try context.parameters.require("trace_id")
    let (object, _) = try await jsonObjectBody(request, limit: 1 << 20)
    guard let reason = object["reason"]?.stringValue else { throw Refused(.unprocessableContent, "reason is required") }
    try await change(.signal(traceID: traceID, reason: reason))
    return HTTPReplies.json(.ok, TraceBrainShapes.acknowledgement(traceID, "Trace flagged for review"))
  }

  /// Attaches the evaluation in the body (TraceKV calls no LLM judge).
  func evaluate(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let traceID = try context.parameters.require("trace_id")
    let (object, _) = try await jsonObjectBody(request, limit: 1 << 20)
    guard object["rating"] != nil || object["confidence"] != nil else {
      throw Refused(
        .unprocessableContent,
        "TraceKV runs no judge model: send the evaluation in the body ({rating, feedback, confidence, error_type, priority})")
    }
    let evaluation = TraceBrainShapes.evaluation(from: object)
    try await change(.evaluation(traceID: traceID, evaluation))
    return HTTPReplies.json(.ok, .object(evaluation))
  }

  func deleteTrace(_ context: BasicRequestContext) async throws -> Response {
    let traceID = try context.parameters.require("trace_id")
    let deleted = try await write { store in .int(try store.delete(traceIDs: [traceID]).deleted) }
    guard deleted.intValue == 1 else { throw Refused(.notFound, "Trace with ID '\(traceID)' not found") }
    return HTTPReplies.json(.ok, .null)
  }

  func cleanup(_ request: Request) async throws -> Response {
    let parameters = QueryParameters(request)
    let hours = try parameters.int("older_than_hours", in: 1...Int(Int32.max))
    var statuses: Set<TraceStatus> = []
    if let status = parameters.string("status") {
      guard let value = TraceStatus(rawValue: status) else {
        throw Refused(.unprocessableContent, "status must be one of running, completed, needs_review, failed")
      }
      statuses = [value]
    }
    guard hours != nil || !statuses.isEmpty else {
      throw Refused(.unprocessableContent, "give older_than_hours or status: TraceKV does not delete every trace at once")
    }
    let cutoff = hours.map { Timestamp(microseconds: Timestamp.now.microseconds - Int64($0) * 3_600_000_000) }
      ?? Timestamp(microseconds: Int64.max)
    let chosen = statuses
    let deleted = try await write { store in .int(try store.delete(olderThan: cutoff, statuses: chosen)) }
    return HTTPReplies.json(
      .ok,
      .object(
        JSONObject([
          "deleted": deleted,
          "filters": .object(
            JSONObject([
              "older_than_hours": hours.map(JSONValue.int) ?? .null,
              "status": statuses.first.map { .string($0.rawValue) } ?? .null,
            ])),
          "timestamp": .string(Timestamp.now.text),
        ])))
  }

  // MARK: Through the writer

  private func ingest(_ bytes: [UInt8]) async throws {
    switch try await submit(.ingest(IngestBody(kind: .traceBrain, bytes: bytes))) {
    case .failed(let error): throw error
    case .ingested, .operated: return
    }
  }

  /// A governance change, committed with the others waiting (group commit).
  private func change(_ change: TraceChange) async throws {
    if case .failed(let error) = try await submit(.change(change)) { throw error }
  }

  private func write(_ operation: @escaping @Sendable (TraceStore) throws -> JSONValue) async throws -> JSONValue {
    switch try await submit(.operation(operation)) {
    case .operated(let value): return value
    case .failed(let error): throw error
    case .ingested: preconditionFailure("an operation answered as an ingest")
    }
  }

  private func submit(_ job: IngestWriter.Job) async throws -> IngestWriter.Outcome {
    do { return try await writer.submit(job) } catch {
      throw Refused(
        .serviceUnavailable, error.message(configuration),
        headers: [.retryAfter: String(configuration.retryAfterSeconds)])
    }
  }
}
