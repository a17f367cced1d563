/// Decides which spans of a trace are the LLM calls, before they are stored.
///
/// 1. **One call, one span.** Stacked instrumentations describe one call
///    several times, each span the parent of the next (Google ADK's
///    `call_llm` → `generate_content` → OpenLLMetry's `openai.chat`). In each
///    such nest the call is the innermost LLM span that recorded a prompt
///    (else the innermost); the others become `llm_call_wrapper` spans, so the
///    call is counted, and its tokens summed, once. A call without usage or
///    reply of its own takes them from its nest.
/// 2. **Messages on agent spans.** An agent span (`invoke_agent`,
///    pydantic-ai's agent run) that records messages when its one LLM call
///    records none gives that call its prompt and reply.
enum LLMCallResolver {
  static func resolve(_ spans: inout [OTLPMapping.Mapped]) {
    let indexByID = Dictionary(
      spans.indices.map { (spans[$0].span.spanID, $0) }, uniquingKeysWith: { a, _ in a })
    func ancestors(_ index: Int) -> [Int] {
      var chain: [Int] = []
      var seen: Set<Int> = [index]
      var current = spans[index].span.parentID.flatMap { indexByID[$0] }
      while let parent = current, seen.insert(parent).inserted {
        chain.append(parent)
        current = spans[parent].span.parentID.flatMap { indexByID[$0] }
      }
      return chain
    }
    let llm = spans.indices.filter { spans[$0].isLLM }
    let ancestry = Dictionary(uniqueKeysWithValues: llm.map { ($0, ancestors($0)) })

    // Nests: LLM spans grouped by their outermost LLM ancestor.
    var nests: [Int: [Int]] = [:]
    for index in llm {
      let root = ancestry[index]!.last { spans[$0].isLLM } ?? index
      nests[root, default: []].append(index)
    }
    for members in nests.values where members.count > 1 {
      let depth = Dictionary(uniqueKeysWithValues: members.map { ($0, ancestry[$0]!.count) })
      let deepestFirst = members.sorted { depth[$0]! > depth[$1]! }
      let call = deepestFirst.first { spans[$0].prompt != nil } ?? deepestFirst[0]
      for member in members where member != call {
        spans[call].usage = spans[call].usage ?? spans[member].usage
        spans[call].reply = spans[call].reply ?? spans[member].reply
        spans[member].type = OTLPMapping.wrapperType
      }
    }

    for agent in spans.indices
    where spans[agent].isAgent && (spans[agent].prompt != nil || spans[agent].reply != nil) {
      let calls = llm.filter { spans[$0].isLLM && ancestry[$0]!.contains(agent) }
      guard calls.count == 1, spans[calls[0]].prompt == nil else { continue }
      spans[calls[0]].prompt = spans[agent].prompt
      spans[calls[0]].reply = spans[calls[0]].reply ?? spans[agent].reply
    }
    for index in spans.indices { OTLPMapping.finish(&spans[index]) }
  }
}
