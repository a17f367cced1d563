/// Which preference-pair shape `export --format preference` writes.
public enum PreferenceStyle: String, Sendable, CaseIterable {
  /// OpenAI's preference fine-tuning: `{"input": {"messages"}, "preferred_output", "non_preferred_output"}`.
  case openai
  /// TRL's conversational preference form: `{"prompt", "chosen", "rejected"}`.
  case trl
}

/// Options of the training exports (`openai-chat`, `preference`).
public struct TrainingExportOptions: Sendable, Equatable {
  public var preferenceStyle: PreferenceStyle
  /// A pair needs the preferred attempt rated at least this much above the
  /// rejected one (ratings 1–5, so 1 … 4).
  public var minimumRatingGap: Int

  public static let defaultRatingGap = 2

  public init(
    preferenceStyle: PreferenceStyle = .openai, minimumRatingGap: Int = TrainingExportOptions.defaultRatingGap
  ) {
    self.preferenceStyle = preferenceStyle
    self.minimumRatingGap = minimumRatingGap
  }

  func validate() throws(TraceKVError) {
    guard (1...4).contains(minimumRatingGap) else {
      throw .invalid("the rating gap of a preference pair must be 1 to 4, not \(minimumRatingGap)")
    }
  }
}

/// OpenAI's chat fine-tuning JSON for conversations (`ChatConversation`).
enum OpenAIChatFormat {
  /// `{"messages": [...], "tools": [...]}`; `tools` only when a call is made.
  static func line(_ conversation: ChatConversation) -> JSONValue {
    var object = JSONObject(["messages": .array(conversation.messages.map(message))])
    let tools = tools(conversation.messages)
    if !tools.isEmpty { object["tools"] = .array(tools) }
    return .object(object)
  }

  static func message(_ message: ChatMessage) -> JSONValue {
    switch message.role {
    case "assistant":
      var object = JSONObject(["role": .string("assistant")])
      let calls = message.toolCalls ?? []
      object["content"] = message.content.isEmpty && !calls.isEmpty ? .null : .string(message.content)
      if !calls.isEmpty {
        object["tool_calls"] = .array(
          calls.map { call in
            .object(
              JSONObject([
                "id": .string(call.id ?? ""), "type": .string("function"),
                "function": .object(
                  JSONObject(["name": .string(call.name), "arguments": .string(call.arguments)])),
              ]))
          })
      }
      return .object(object)
    case "tool":
      return .object(
        JSONObject([
          "role": .string("tool"), "tool_call_id": .string(message.toolCallID ?? ""),
          "content": .string(message.content),
        ]))
    default:
      return .object(JSONObject(["role": .string(message.role), "content": .string(message.content)]))
    }
  }

  /// One function per tool name called, in order of first call, with the
  /// parameters its first call's arguments show (their JSON types).
  static func tools(_ messages: [ChatMessage]) -> [JSONValue] {
    var seen = Set<String>()
    var tools: [JSONValue] = []
    for call in messages.flatMap({ $0.toolCalls ?? [] }) where seen.insert(call.name).inserted {
      var properties = JSONObject()
      if case .object(let arguments)? = try? JSONParser.parse(call.arguments) {
        for (key, value) in arguments {
          properties[key] = .object(JSONObject(["type": .string(schemaType(value))]))
        }
      }
      let parameters = JSONObject(["type": .string("object"), "properties": .object(properties)])
      tools.append(
        .object(
          JSONObject([
            "type": .string("function"),
            "function": .object(JSONObject(["name": .string(call.name), "parameters": .object(parameters)])),
          ])))
    }
    return tools
  }

  private static func schemaType(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool: "boolean"
    case .number(let literal): Int(literal) != nil ? "integer" : "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}

/// Preference pairs from episodes (README "Training exports").
///
/// In each episode, the attempts that have a rating, a task (a user message
/// before the first assistant turn) and a final answer are ranked by rating,
/// then newest first, then trace id. The best is preferred over every other
/// attempt rated at least `minimumRatingGap` lower. The prompt is the
/// preferred attempt's messages before its first assistant turn; each
/// output is the attempt's last assistant text (text only, as OpenAI's
/// preference fine-tuning takes).
enum PreferencePairs {
  struct Attempt {
    var traceID: String
    var rating: Int
    var eventTime: Int64
    var prompt: [ChatMessage]
    var answer: String
  }

  /// The prompt and final answer of a conversation, or nil without either.
  static func attempt(traceID: String, rating: Int, eventTime: Int64, _ conversation: ChatConversation)
    -> Attempt?
  {
    let messages = conversation.messages
    guard let firstAssistant = messages.firstIndex(where: { $0.role == "assistant" }) else { return nil }
    let prompt = Array(messages[..<firstAssistant])
    guard prompt.contains(where: { $0.role == "user" }),
      let answer = messages.last(where: { $0.role == "assistant" && !$0.content.isEmpty })?.content
    else { return nil }
    return Attempt(traceID: traceID, rating: rating, eventTime: eventTime, prompt: prompt, answer: answer)
  }

  /// The pairs (preferred, rejected) of one episode's attempts.
  static func pairs(_ attempts: [Attempt], minimumGap: Int) -> [(preferred: Attempt, rejected: Attempt)] {
    let ranked = attempts.sorted {
      ($0.rating, $0.eventTime, $1.traceID) > ($1.rating, $1.eventTime, $0.traceID)
    }
    guard let best = ranked.first else { return [] }
    return ranked.dropFirst().filter { best.rating - $0.rating >= minimumGap }.map { (best, $0) }
  }

  static func line(_ pair: (preferred: Attempt, rejected: Attempt), style: PreferenceStyle) -> JSONValue {
    let prompt = JSONValue.array(pair.preferred.prompt.map(OpenAIChatFormat.message))
    func answer(_ attempt: Attempt) -> JSONValue {
      .array([.object(JSONObject(["role": .string("assistant"), "content": .string(attempt.answer)]))])
    }
    switch style {
    case .openai:
      return .object(
        JSONObject([
          "input": .object(JSONObject(["messages": prompt])), "preferred_output": answer(pair.preferred),
          "non_preferred_output": answer(pair.rejected),
        ]))
    case .trl:
      return .object(
        JSONObject(["prompt": prompt, "chosen": answer(pair.preferred), "rejected": answer(pair.rejected)]))
    }
  }
}
