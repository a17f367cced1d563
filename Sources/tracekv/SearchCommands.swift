import ArgumentParser
import ConsoleSupport
import Embeddings
import Foundation
import TraceKV

/// The options `search` and `experiences` share.
struct SearchOutputOptions: ParsableArguments {
  @Option(parsing: .unconditional, help: "Hits to return.")
  var limit: Int?

  @Flag(help: "Show each hit's vector rank and similarity, BM25 rank, score and terms, and RRF terms.")
  var explain = false

  @Flag(help: "Attach each hit's rebuilt messages.")
  var withMessages = false

  @Flag(help: "Print JSON.")
  var json = false

  @Option(
    help: ArgumentHelp(
      "The least cosine similarity for a trace found only by the vector side (default: the embedder's; 0: none).",
      valueName: "x"))
  var minSimilarity: Double?
}

struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Hybrid search: HNSW over embedded trace text + BM25, fused by Reciprocal Rank Fusion.")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "What you are looking for (the semantic intent).")
  var text: String

  @Option(help: "Exact keywords for the lexical side (default: the text).")
  var keywords: String?

  @Option(help: "hybrid, vector or lexical.")
  var mode = "hybrid"

  @OptionGroup var filterOptions: FilterOptions

  @Option(parsing: .unconditional, help: "Hits to skip (paging over the fused list).")
  var offset = 0

  @Option(help: "RRF weights, e.g. lexical=1,vector=1.")
  var weights: String?

  @Option(name: .customLong("rrf-k"), help: "RRF's k: a hit at rank r scores weight/(k + r).")
  var rrfK: Double = 60

  @OptionGroup var output: SearchOutputOptions

  func validate() throws {
    guard SearchMode(rawValue: mode) != nil else { throw ValidationError("--mode must be hybrid, vector or lexical") }
    guard offset >= 0, (output.limit ?? 10) >= 0 else { throw ValidationError("--limit and --offset must not be negative") }
    _ = try parseWeights()
  }

  private func parseWeights() throws -> (lexical: Double, vector: Double) {
    guard let weights else { return (1, 1) }
    do { return try SearchQuery.parseWeights(weights) } catch { throw ValidationError(error.message) }
  }

  func run() throws {
    let weights = try parseWeights()
    let query = SearchQuery(
      text: text, keywords: keywords, mode: SearchMode(rawValue: mode)!, filter: try filterOptions.filter(),
      limit: output.limit ?? 10, offset: offset, explain: output.explain, withMessages: output.withMessages,
      lexicalWeight: weights.lexical, vectorWeight: weights.vector, rrfK: rrfK, minSimilarity: output.minSimilarity)
    let store = try storeOptions.open()
    let results = try store.search(query)
    SearchPrinter(options: output, query: query, embedder: store.embedderIdentity).print(results.hits)
  }
}

struct ExperiencesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiences",
    abstract: "search_past_experiences: past runs like TEXT that went well (rating ≥ 4 by default).")

  @OptionGroup var storeOptions: StoreOptions

  @Argument(help: "The task at hand.")
  var text: String

  @Option(parsing: .unconditional, help: "Rating at least N (human rating, else the AI's).")
  var minRating = 4

  @OptionGroup var output: SearchOutputOptions

  func run() throws {
    let query = SearchQuery(
      text: text, filter: TraceFilter(minRating: minRating), limit: output.limit ?? 3, explain: output.explain,
      withMessages: output.withMessages, minSimilarity: output.minSimilarity)
    let store = try storeOptions.open()
    let results = try store.search(query)
    SearchPrinter(options: output, query: query, embedder: store.embedderIdentity).print(results.hits)
  }
}

/// Prints hits as a readable ranking or as `{"embedder": …, "results": [...]}`.
struct SearchPrinter {
  let options: SearchOutputOptions
  let query: SearchQuery
  /// The store's embedder, named in both outputs: it decides what "similar" means.
  let embedder: EmbedderIdentity

  func print(_ hits: [SearchHit]) {
    if options.json {
      Console.printJSON(.object(JSONObject(["embedder": .string(embedder.name), "results": .array(hits.map(json))])))
      return
    }
    Swift.print("embedder: \(embedder.name)")
    guard !hits.isEmpty else {
      Swift.print("no traces match “\(query.text)”")
      return
    }
    for (index, hit) in hits.enumerated() {
      Swift.print("\(index + 1). \(hit.traceID)  score \(String(format: "%.4f", hit.score))  "
        + "rating \(hit.rating.map(String.init) ?? "-")  \(hit.status.rawValue)  episode \(hit.episodeID ?? "-")")
      var why: [String] = []
      if let vector = hit.vector { why.append("vector #\(vector.rank) (cosine \(String(format: "%.3f", vector.similarity)))") }
      if let lexical = hit.lexical { why.append("BM25 #\(lexical.rank) (\(String(format: "%.2f", lexical.score)))") }
      if !why.isEmpty { Swift.print("   why: " + why.joined(separator: ", ")) }
      if let feedback = hit.feedback?.comment ?? hit.aiEvaluation?.feedback { Swift.print("   feedback: \(Console.short(feedback, 90))") }
      if options.explain {
        for term in hit.fusion {
          Swift.print(
            "   rrf \(term.name): \(term.weight)/(\(Self.number(query.rrfK)) + \(term.rank)) = \(String(format: "%.5f", term.score))")
        }
        for term in hit.lexicalExplanation?.terms ?? [] {
          Swift.print("   bm25 '\(term.term)': tf \(term.termFrequency), df \(term.documentFrequency), "
            + "idf \(String(format: "%.3f", term.idf)) → \(String(format: "%.3f", term.score))")
        }
      }
      for message in hit.messages ?? [] { Swift.print("   [\(message.role)] \(Console.short(message.content, 90))") }
    }
  }

  /// 60 as "60", 2.5 as "2.5".
  private static func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  private func json(_ hit: SearchHit) -> JSONValue {
    var object = JSONObject([
      "trace_id": .string(hit.traceID), "score": .double(hit.score), "rating": Console.int(hit.rating),
      "status": .string(hit.status.rawValue), "episode_id": Console.text(hit.episodeID),
      "vector": hit.vector.map { .object(JSONObject(["rank": .int($0.rank), "similarity": .double($0.similarity)])) } ?? .null,
      "lexical": hit.lexical.map { .object(JSONObject(["rank": .int($0.rank), "score": .double($0.score)])) } ?? .null,
    ])
    if options.explain {
      object["rrf"] = .array(hit.fusion.map { term in
        .object(JSONObject(["list": .string(term.name), "rank": .int(term.rank), "weight": .double(term.weight),
                            "score": .double(term.score)]))
      })
      object["bm25_terms"] = .array((hit.lexicalExplanation?.terms ?? []).map { term in
        .object(JSONObject(["term": .string("\(term.term)"), "tf": .int(Int(term.termFrequency)),
                            "df": .int(Int(term.documentFrequency)), "idf": .double(term.idf), "score": .double(term.score)]))
      })
    }
    if options.withMessages { object["messages"] = .array((hit.messages ?? []).map(\.json)) }
    return .object(object)
  }
}
