/// `GET /api/v1/openapi.json`: the REST API as OpenAPI 3.1, written by hand
/// from the routes in `TraceBrainRoutes` (keep the two together).
enum OpenAPIDocument {
  static let json: String = {
    func parameter(_ name: String, _ type: String, _ description: String, in place: String = "query", required: Bool = false) -> String {
      #"{"name":"\#(name)","in":"\#(place)","required":\#(required),"schema":{"type":"\#(type)"},"description":"\#(description)"}"#
    }
    let traceID = parameter("trace_id", "string", "The trace id.", in: "path", required: true)
    let episodeID = parameter("episode_id", "string", "The episode id.", in: "path", required: true)
    let filters = [
      parameter("status", "string", "running, completed, needs_review or failed"),
      parameter("min_rating", "integer", "Rating at least this (1-5): the human rating, else the AI evaluation's."),
      parameter("error_type", "string", "An AI-evaluated error type, e.g. logic_loop."),
      parameter("min_confidence", "number", "AI confidence at least this (0-1)."),
      parameter("max_confidence", "number", "AI confidence at most this (0-1)."),
      parameter("start_time", "string", "Event time at or after this ISO 8601 instant."),
      parameter("end_time", "string", "Event time at or before this ISO 8601 instant."),
    ].joined(separator: ",")
    let object = #"{"content":{"application/json":{"schema":{"type":"object"}}}}"#
    let jsonBody = #"{"required":true,"content":{"application/json":{"schema":{"type":"object"}}}}"#
    func operation(_ summary: String, _ parameters: String = "", body: Bool = false, status: String = "200") -> String {
      let requestBody = body ? #","requestBody":\#(jsonBody)"# : ""
      return #"{"summary":"\#(summary)","parameters":[\#(parameters)]\#(requestBody),"responses":{"\#(status)":\#(object),"4XX":\#(object),"5XX":\#(object)}}"#
    }
    let paths: [(String, String)] = [
      ("/api/v1/health", #"{"get":\#(operation("Health check (no token needed)."))}"#),
      ("/api/v1/stats", #"{"get":\#(operation("Counts over the whole store."))}"#),
      ("/api/v1/analytics/tool_usage", #"{"get":\#(operation("Tool calls per tool, most used first.", parameter("limit", "integer", "At most this many tools (1-50, default 10).")))}"#),
      ("/api/v1/traces", #"{"get":\#(operation("Traces, newest first.", [parameter("skip", "integer", "Traces to skip."), parameter("limit", "integer", "1-100, default 20."), parameter("query", "string", "An exact trace id."), filters].joined(separator: ","))),"post":\#(operation("Stores (or merges) one TraceBrain trace; 201 once committed.", body: true, status: "201"))}"#),
      ("/api/v1/traces/init", #"{"post":\#(operation("Registers a trace before its spans: {trace_id, episode_id?, system_prompt?}.", body: true, status: "201"))}"#),
      ("/api/v1/traces/search", #"{"get":\#(operation("Hybrid search (BM25 + vectors, fused by RRF) over traces rated at least min_rating.", [parameter("text", "string", "The intent (what TraceBrain's SDK tools send)."), parameter("semantic_query", "string", "The intent, when text is absent."), parameter("exact_keywords", "string", "Matched exactly by the lexical side."), parameter("min_rating", "integer", "1-5, default 4."), parameter("limit", "integer", "1-50, default 3."), parameter("mode", "string", "TraceKV: hybrid (default), vector or lexical.")].joined(separator: ",")))}"#),
      ("/api/v1/traces/{trace_id}", #"{"get":\#(operation("One trace.", traceID)),"delete":\#(operation("Deletes one trace.", traceID))}"#),
      ("/api/v1/traces/{trace_id}/feedback", #"{"post":\#(operation("Human feedback {rating 1-5, comment?, tags?, metadata?, priority?}.", traceID, body: true))}"#),
      ("/api/v1/traces/{trace_id}/signal", #"{"post":\#(operation("Flags the trace for review {reason}.", traceID, body: true))}"#),
      ("/api/v1/ai_evaluate/{trace_id}", #"{"post":\#(operation("Attaches the evaluation in the body {rating, feedback, confidence, error_type?, priority?}; TraceKV calls no LLM.", traceID, body: true))}"#),
      ("/api/v1/export/traces", #"{"get":\#(operation("Streams matching traces as a JSON array or JSON Lines.", [parameter("format", "string", "json (default), jsonl, openai-chat or preference."), parameter("preference_style", "string", "openai (default) or trl."), parameter("min_rating_gap", "integer", "1-4, default 2."), parameter("limit", "integer", "1-5000."), filters].joined(separator: ",")))}"#),
      ("/api/v1/curriculum", #"{"get":\#(operation("Failed runs clustered by error type, failing tool and similarity, with one remediation task per cluster.", [parameter("min_cluster", "integer", "1-2000, default 1."), parameter("similarity", "number", "0-1, default 0.5."), parameter("examples", "integer", "0-20, default 3."), parameter("max_runs", "integer", "1-2000, default 2000."), filters].joined(separator: ",")))}"#),
      ("/api/v1/curriculum/export", #"{"get":\#(operation("The clusters' tasks as TraceBrain's curriculum export {id, role, content, metadata}.", [parameter("format", "string", "json (default) or jsonl."), parameter("min_cluster", "integer", "1-2000, default 1."), filters].joined(separator: ",")))}"#),
      ("/api/v1/episodes", #"{"get":\#(operation("Episodes with their traces.", [parameter("skip", "integer", ""), parameter("limit", "integer", "1-100, default 10."), parameter("query", "string", "An exact episode id."), parameter("min_confidence_lt", "number", "Lowest AI confidence below this.")].joined(separator: ",")))}"#),
      ("/api/v1/episodes/summary", #"{"get":\#(operation("Episodes with counts and lowest confidence.", [parameter("skip", "integer", ""), parameter("limit", "integer", "1-100, default 10."), parameter("query", "string", "An exact episode id."), parameter("min_confidence_lt", "number", "Lowest AI confidence below this.")].joined(separator: ",")))}"#),
      ("/api/v1/episodes/{episode_id}", #"{"get":\#(operation("An episode's trace summaries.", episodeID))}"#),
      ("/api/v1/episodes/{episode_id}/traces", #"{"get":\#(operation("An episode's traces.", episodeID))}"#),
      ("/api/v1/ops/traces/cleanup", #"{"delete":\#(operation("Deletes traces older than N hours and/or of a status (one of them is required).", [parameter("older_than_hours", "integer", "At least 1."), parameter("status", "string", "running, completed, needs_review or failed")].joined(separator: ",")))}"#),
      ("/api/v1/usage", #"{"get":\#(operation("LLM calls, tokens, cost (null without a price; built-in price table), latency p50/p95/p99 and errors, in total and grouped: {grouped_by, prices, total, groups: [{key, ...}]}.", [parameter("by", "string", "model, tool, agent, episode or day."), parameter("episode_id", "string", "Only this episode."), filters].joined(separator: ",")))}"#),
      ("/api/v1/diff", #"{"get":\#(operation("Two runs side by side: aligned steps, first divergence, tool changes, errors, outcome, deltas.", [parameter("a", "string", "Trace id of run A.", required: true), parameter("b", "string", "Trace id of run B.", required: true)].joined(separator: ",")))}"#),
      ("/v1/traces", #"{"post":\#(operation("OTLP/HTTP trace export (application/json or application/x-protobuf, gzip or not); 200 once committed.", body: true))}"#),
      ("/v1/logs", #"{"post":\#(operation("OTLP/HTTP log export.", body: true))}"#),
    ]
    let pathMembers = paths.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",")
    return #"{"openapi":"3.1.0","info":{"title":"TraceKV","version":"1.0.0","description":"TraceBrain-compatible REST API, OTLP/HTTP receiver and MCP (/mcp) over one TraceKV store."},"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}}},"paths":{\#(pathMembers)}}"#
  }()
}
