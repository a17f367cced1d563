import Foundation
import LexicalIndex
import TraceKV
import VectorIndex

/// Builds the traces of `prepare traces-1m`, one at a time, from a seeded
/// stream: the same packages, documents and seed give the same traces.
struct TraceGenerator {
  struct Package {
    var name: String
    var synopsis: String
    var description: String
  }

  struct Trace {
    var id: String
    /// The package the trace was built around (nil: a banking trace).
    var package: Int?
    var json: JSONValue
    /// The user task, completions, tool outputs and answer: what a reader sees.
    var conversation: String
  }

  let packages: [Package]
  let banking: [BEIRCollection.Document]
  /// Sentences of each description, split once.
  private var sentences: [[String]]
  /// Cumulative weights 1/√(rank + 1) over `order`, for the package draw.
  private let cumulative: [Double]
  private let order: [Int]
  private var random: SplitMix64

  init(packages: [Package], banking: [BEIRCollection.Document], seed: UInt64) {
    self.packages = packages
    self.banking = banking
    sentences = packages.map { Self.sentences(of: $0.description) }
    random = SplitMix64(seed: seed)
    var order = Array(packages.indices)
    for index in stride(from: order.count - 1, to: 0, by: -1) {
      order.swapAt(index, Int(random.next() % UInt64(index + 1)))
    }
    self.order = order
    var running = 0.0
    cumulative = order.indices.map { rank in
      running += 1 / Double(rank + 1).squareRoot()
      return running
    }
  }

  static let systemPrompts = [
    "You are a Debian system administration agent with shell access. Install, configure and explain packages.",
    "You are a DevOps assistant. Use the tools to inspect hosts, manage packages and report what you changed.",
    "You are a helpful software librarian. Find the right package for the user's need and explain it briefly.",
    "You are a build engineer agent. Keep the CI images reproducible and their package lists minimal.",
  ]
  static let bankingPrompt = "You are a customer support agent for a retail bank. Follow the knowledge base exactly."
  static let tasks = [
    "Please install %@ on the build server. From its page: %@",
    "What does %@ do? Someone told me: %@",
    "Set up %@ for our team; the notes say: %@",
    "Is %@ the right tool here? The docs mention: %@",
    "Our nightly job needs %@. Context: %@",
    "Remove %@ if it is unused, but first check this: %@",
  ]
  static let errors = [
    "E: Unable to locate package %@",
    "dpkg: error processing package %@ (--configure): dependency problems - leaving unconfigured",
    "Err:1 http://deb.debian.org/debian bookworm/main %@: Connection timed out after 30000 ms (code 504)",
    "E: Sub-process /usr/bin/dpkg returned an error code (1) while installing %@",
    "Error: permission denied opening /var/lib/dpkg/lock-frontend while handling %@",
  ]
  static let tools = ["apt_show", "search_docs", "read_manual", "shell"]

  /// The trace numbered `number` (its id is derived from the number).
  mutating func trace(number: Int) -> Trace {
    let id = String(format: "%016llx%016llx", UInt64(number), 0x7472_6163_6573 as UInt64)
    if !banking.isEmpty && draw(10) == 0 { return bankingTrace(id: id) }
    let package = packageDraw()
    let name = packages[package].name
    let own = sentences[package]
    var spans: [JSONValue] = []
    var conversation: [String] = []
    var clock = 0

    let task = String(format: pick(Self.tasks), name, pick(own))
    conversation.append(task)
    let tool = pick(Self.tools)
    let argument = tool == "search_docs" ? words(from: own, count: 2 + draw(4)) : name
    let completion = "Thought: I should look at \(name) first.\n"
      + #"{"tool_calls": [{"name": "\#(tool)", "arguments": {"query": "\#(argument)"}}]}"#
    conversation.append(completion)
    spans.append(llmSpan("step-0", parent: nil, clock: &clock, user: task, completion: completion,
      toolCode: "\(tool)({'query': '\(argument)'})"))

    // One or two tool calls: a passage of the description, another package's (noise), or an error.
    var parent = "step-0"
    for call in 0..<(1 + draw(2)) {
      let failed = draw(100) < 15
      let output: String
      if failed {
        output = String(format: pick(Self.errors), name)
      } else if draw(100) < 25 {
        output = passage(sentences[packageDraw()])
      } else {
        output = passage(own)
      }
      conversation.append(output)
      let span = "tool-\(call)"
      spans.append(toolSpan(span, parent: parent, clock: &clock, tool: tool, input: argument, output: output,
        failed: failed))
      parent = span
    }
    let answer = "\(name): " + pick(own)
    conversation.append(answer)
    spans.append(answerSpan("answer", parent: parent, clock: &clock, answer: answer))
    return Trace(
      id: id, package: package,
      json: traceJSON(id: id, prompt: pick(Self.systemPrompts), spans: spans, number: number),
      conversation: conversation.joined(separator: "\n"))
  }

  private mutating func bankingTrace(id: String) -> Trace {
    let document = banking[draw(banking.count)]
    let question = "I have a question about \(document.title.isEmpty ? "my account" : document.title)."
    var clock = 0
    let completion = #"Thought: I will search the knowledge base.\#n{"tool_calls": [{"name": "kb_search", "arguments": {"query": "\#(document.title)"}}]}"#
    let output = passage(Self.sentences(of: document.text))
    let answer = "According to our policy: " + pick(Self.sentences(of: document.text))
    let spans = [
      llmSpan("step-0", parent: nil, clock: &clock, user: question, completion: completion,
        toolCode: "kb_search({'query': '\(document.title)'})"),
      toolSpan("tool-0", parent: "step-0", clock: &clock, tool: "kb_search", input: document.title, output: output,
        failed: false),
      answerSpan("answer", parent: "tool-0", clock: &clock, answer: answer),
    ]
    return Trace(
      id: id, package: nil, json: traceJSON(id: id, prompt: Self.bankingPrompt, spans: spans, number: 0),
      conversation: [question, completion, output, answer].joined(separator: "\n"))
  }

  // MARK: Draws

  /// A uniform integer in 0..<count, the same on every toolchain.
  private mutating func draw(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

  private mutating func pick<T>(_ values: [T]) -> T { values[draw(values.count)] }

  /// A package by the skewed weights: a binary search of a uniform draw.
  private mutating func packageDraw() -> Int {
    let target = Double(random.next() >> 11) * 0x1p-53 * cumulative.last!
    var low = 0
    var high = cumulative.count - 1
    while low < high {
      let middle = (low + high) / 2
      if cumulative[middle] <= target { low = middle + 1 } else { high = middle }
    }
    return order[low]
  }

  /// One to all of the sentences, a contiguous run from a random start.
  private mutating func passage(_ sentences: [String]) -> String {
    let start = draw(sentences.count)
    let count = 1 + draw(sentences.count - start)
    return sentences[start..<start + count].joined(separator: " ")
  }

  private mutating func words(from sentences: [String], count: Int) -> String {
    let all = sentences.joined(separator: " ").split(whereSeparator: { !$0.isLetter && !$0.isNumber })
    guard !all.isEmpty else { return "help" }
    return (0..<count).map { _ in String(all[draw(all.count)]) }.joined(separator: " ")
  }

  static func sentences(of text: String) -> [String] {
    var result: [String] = []
    var current = ""
    for character in text {
      current.append(character == "\n" ? " " : character)
      if character == "." || character == ":" || character == "\n" {
        let trimmed = current.trimmingCharacters(in: .whitespaces)
        if trimmed.count > 1 { result.append(trimmed) }
        current = ""
      }
    }
    let trimmed = current.trimmingCharacters(in: .whitespaces)
    if !trimmed.isEmpty { result.append(trimmed) }
    return result.isEmpty ? [text] : result
  }

  // MARK: JSON

  private func time(_ clock: inout Int) -> JSONValue {
    clock += 1
    return .string(String(format: "2026-01-01T00:%02d:%02d.000Z", clock / 60 % 60, clock % 60))
  }

  private func llmSpan(
    _ id: String, parent: String?, clock: inout Int, user: String, completion: String, toolCode: String
  ) -> JSONValue {
    let content = JSONWriter.compact(.array([.object(JSONObject(["role": .string("user"), "content": .string(user)]))]))
    return .object(JSONObject([
      "span_id": .string(id), "parent_id": parent.map { .string($0) } ?? .null, "name": .string("LLM Inference"),
      "start_time": time(&clock), "end_time": time(&clock),
      "attributes": .object(JSONObject([
        "tracebrain.span.type": .string("llm_inference"), "tracebrain.llm.new_content": .string(content),
        "tracebrain.llm.completion": .string(completion), "tracebrain.llm.tool_code": .string(toolCode),
      ])),
    ]))
  }

  private func toolSpan(
    _ id: String, parent: String, clock: inout Int, tool: String, input: String, output: String, failed: Bool
  ) -> JSONValue {
    var attributes = JSONObject([
      "tracebrain.span.type": .string("tool_execution"), "tracebrain.tool.name": .string(tool),
      "tracebrain.tool.input": .string(input), "tracebrain.tool.output": .string(output),
    ])
    if failed {
      attributes["otel.status_code"] = .string("ERROR")
      attributes["otel.status_description"] = .string("Tool execution failed")
    }
    return .object(JSONObject([
      "span_id": .string(id), "parent_id": .string(parent), "name": .string("Tool Execution: \(tool)"),
      "start_time": time(&clock), "end_time": time(&clock), "attributes": .object(attributes),
    ]))
  }

  private func answerSpan(_ id: String, parent: String, clock: inout Int, answer: String) -> JSONValue {
    .object(JSONObject([
      "span_id": .string(id), "parent_id": .string(parent), "name": .string("LLM Inference (Final)"),
      "start_time": time(&clock), "end_time": time(&clock),
      "attributes": .object(JSONObject([
        "tracebrain.span.type": .string("llm_inference"), "tracebrain.llm.final_answer": .string(answer),
      ])),
    ]))
  }

  private func traceJSON(id: String, prompt: String, spans: [JSONValue], number: Int) -> JSONValue {
    .object(JSONObject([
      "trace_id": .string(id), "attributes": .object(JSONObject(["system_prompt": .string(prompt)])),
      "spans": .array(spans),
    ]))
  }
}

/// Document frequencies over a sample of conversations, and the document
/// frequency of query terms drawn as `tracekv-bench search` draws them
/// (`DrawnQuery`): how much a query's terms can prune.
struct TermStatistics {
  private(set) var documents = 0
  private var frequency: [String: Int] = [:]
  private var kept: [String] = []
  private let index = BM25Index()

  mutating func add(_ text: String) {
    documents += 1
    for term in Set(index.tokenizer.tokens(text)) { frequency[term, default: 0] += 1 }
    if kept.count < 20_000 { kept.append(text) }
  }

  /// One line: distinct terms, and the query terms' document frequency
  /// (median, share in ≥ 5 % of the documents, share in ≤ 0.1 %).
  func summary(label: String) -> String {
    guard documents > 0 else { return "\(label): no documents" }
    var fractions: [Double] = []
    for query in DrawnQuery.draw(2_000, from: kept.count, text: { kept[$0] }) {
      for term in Set(index.queryTerms(query).map(\.description)) {
        fractions.append(Double(frequency[term] ?? 0) / Double(documents))
      }
    }
    fractions.sort()
    guard !fractions.isEmpty else { return "\(label): no query terms" }
    let common = Double(fractions.filter { $0 >= 0.05 }.count) / Double(fractions.count)
    let rare = Double(fractions.filter { $0 <= 0.001 }.count) / Double(fractions.count)
    return "\(label): \(documents) documents sampled, \(frequency.count) distinct terms; query terms "
      + "(2,000 queries of 6-12 words drawn from the conversations): median document frequency "
      + "\(fixed(fractions[fractions.count / 2] * 100, 2)) %, \(fixed(common * 100, 1)) % of them in ≥ 5 % "
      + "of the documents, \(fixed(rare * 100, 1)) % in ≤ 0.1 %"
  }
}
