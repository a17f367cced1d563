import LMDBKit

/// What an export writes.
public enum ExportFormat: String, Sendable, CaseIterable {
  /// One trace per line in TraceBrain shape (re-ingestable).
  case jsonl
  /// A JSON array of traces in TraceBrain shape.
  case json
  /// One `{"trace_id", "messages": [...]}` per line: chat format for SFT.
  case messages
  /// One `{"trace_id", "turns": [...]}` per line: prompt → completion pairs.
  case turns
  /// One `{"messages", "tools"}` per run in OpenAI's chat fine-tuning format;
  /// runs without an assistant turn are skipped, exact duplicates dropped.
  case openAIChat = "openai-chat"
  /// Preference pairs from episodes (`PreferencePairs`), one per line.
  case preference
}

extension TraceStore {
  /// Streams the matching traces, newest first by event time, to `write` in
  /// chunks of text; nothing larger than one trace is held in memory. Runs
  /// in one read transaction, so the export is one consistent snapshot.
  /// Returns the number of lines (traces, or pairs) written; `limit` counts them too.
  /// `training` shapes `preference` (and is checked for every format).
  /// - Throws: ``TraceKVError``: `.invalidInput` for bad `training` options, `.corrupted` for a damaged record, span or index
  ///   entry, `.storage` when LMDB fails. An error of `write` ends the export and comes back translated: a
  ///   ``TraceKVError`` unchanged, an error of another type as kind `.storage` (its description in `cause`).
  @discardableResult
  public func export(
    _ filter: TraceFilter = TraceFilter(), format: ExportFormat, limit: Int = .max,
    training: TrainingExportOptions = TrainingExportOptions(),
    to write: (String) throws -> Void, progress: ((Int) -> Void)? = nil
  ) throws(TraceKVError) -> Int {
    try training.validate()
    // The line each trace becomes; the training formats pair or reshape runs and are written apart.
    let line: (UInt32, TraceRecord, LMDBTransaction) throws -> String
    switch format {
    case .openAIChat: return try exportChats(filter, limit: limit, to: write, progress: progress)
    case .preference: return try exportPreferences(filter, limit: limit, options: training, to: write)
    case .jsonl, .json:
      line = { [self] doc, record, transaction in
        var trace = record.trace
        trace.spans = try spans(of: doc, in: transaction)
        return JSONWriter.compact(.object(TraceBrainFormat.encode(trace)))
      }
    case .messages, .turns:
      line = { [self] doc, record, transaction in
        let reconstruction = Reconstruction(
          systemPrompt: record.trace.systemPrompt, spans: try spanViews(of: doc, in: transaction))
        var object = JSONObject()
        object["trace_id"] = .string(record.trace.traceID)
        object[format.rawValue] =
          format == .messages
          ? .array(reconstruction.messages().map(\.json)) : .array(reconstruction.turns().map(\.json))
        return JSONWriter.compact(.object(object))
      }
    }
    return try read { transaction in
      var count = 0
      if format == .json { try write("[") }
      try forEachRecord(matching: filter, in: transaction) { doc, record in
        guard count < limit else { return false }
        let line = try line(doc, record, transaction)
        if format == .json {
          try write((count == 0 ? "\n" : ",\n") + line)
        } else {
          try write(line + "\n")
        }
        count += 1
        if count % 1000 == 0 { progress?(count) }
        return true
      }
      if format == .json { try write(count == 0 ? "]\n" : "\n]\n") }
      progress?(count)
      return count
    }
  }
}

extension ChatMessage {
  /// `{"role", "content"}`, plus `tool_calls` (`[{id, name, arguments}]`),
  /// `tool_call_id` and `reasoning` when the message has them.
  public var json: JSONValue {
    var object = JSONObject(["role": .string(role), "content": .string(content)])
    if let toolCalls {
      object["tool_calls"] = .array(
        toolCalls.map { call in
          .object(
            JSONObject([
              "id": call.id.map(JSONValue.string) ?? .null, "name": .string(call.name),
              "arguments": .string(call.arguments),
            ]))
        })
    }
    if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
    if let reasoning { object["reasoning"] = .string(reasoning) }
    return .object(object)
  }
}

extension Turn {
  /// `{"prompt_for_model", "model_completion", "thought", "tool_code", "tool_output"}`, absent values null.
  public var json: JSONValue {
    func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    return .object(
      JSONObject([
        "prompt_for_model": .array(promptForModel.map(\.json)), "model_completion": text(modelCompletion),
        "thought": text(thought), "tool_code": text(toolCode), "tool_output": text(toolOutput),
      ]))
  }
}
