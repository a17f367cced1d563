/// Checks stored posting chunks one at a time, in key order, as a store's
/// `verify` scans them: each key is a chunk key, each chunk decodes, starts
/// at the document its key names and does not overlap the chunk before it of
/// its term. What the store then cross-checks (documents, lengths) it gets
/// from `postings`.
public struct PostingChunkAudit: Sendable {
  /// One chunk as found: a name for messages, what is wrong with it, and its
  /// postings (empty when it does not decode).
  public struct Finding: Sendable {
    public var name: String
    public var violations: [String]
    public var postings: [Posting]
  }

  private var previous: (term: [UInt8], last: UInt32)?

  public init() {}

  /// Checks the entry stored under `key`: one chunk, or each chunk of a
  /// block (`PostingBlock`), which must decode, start where its key says,
  /// and agree with the block's directory and summary (a query trusts those
  /// to skip chunks and bound their scores without reading them).
  public mutating func checkEntry(key: [UInt8], value: [UInt8]) -> [Finding] {
    guard unsafe value.withUnsafeBytes({ unsafe PostingBlock.isBlock($0) }), let (term, first) = PostingChunkKey.decode(key)
    else { return [check(key: key, value: value)] }
    let name = "block of '\(term)' at document \(first)"
    guard let (chunks, summary) = unsafe value.withUnsafeBytes({ raw in
      unsafe PostingBlock.Directory(raw).map { directory in unsafe (directory.chunks, directory.summary) }
    })
    else {
      return [Finding(name: name, violations: ["the \(name) does not decode (\(value.count) bytes)"], postings: [])]
    }
    var findings: [Finding] = []
    var largestFrequency: UInt32 = 0
    var shortestLength = UInt32.max
    for (index, chunk) in chunks.enumerated() {
      // A chunk inside is named by the document the directory gives; the first must be the block's key.
      var finding = check(
        key: PostingChunkKey.encode(term: term, firstDocument: index == 0 ? first : chunk.firstDocument),
        value: value[chunk.range])
      if let head = finding.postings.first, let last = finding.postings.last,
        (finding.postings.count, head.document, last.document) != (chunk.postings, chunk.firstDocument, chunk.lastDocument)
      {
        finding.violations.append(
          "the directory gives \(chunk.postings) postings from document \(chunk.firstDocument) to \(chunk.lastDocument), "
            + "the chunk holds \(finding.postings.count) from \(head.document) to \(last.document)")
      }
      for posting in finding.postings {
        largestFrequency = max(largestFrequency, posting.termFrequency)
        shortestLength = min(shortestLength, posting.documentLength)
      }
      finding.violations = finding.violations.map { "\($0) (chunk \(index + 1) of the \(name))" }
      findings.append(finding)
    }
    // The summary bounds every score of the block: it must not claim less.
    if largestFrequency > summary.frequency || shortestLength < summary.length {
      findings[0].violations.append(
        "the \(name) claims term frequencies up to \(summary.frequency) and lengths from \(summary.length), "
          + "its chunks hold \(largestFrequency) and \(shortestLength)")
    }
    return findings
  }

  /// Checks the chunk stored under `key`.
  public mutating func check(key: some Collection<UInt8>, value: some Collection<UInt8>) -> Finding {
    guard let (term, first) = PostingChunkKey.decode(key) else {
      return Finding(
        name: "a key of \(key.count) bytes", violations: ["a key that is not a posting-chunk key (\(key.count) bytes)"],
        postings: [])
    }
    let name = "chunk of '\(term)' at document \(first)"
    guard let postings = PostingChunk.decode(Array(value)), let head = postings.first, let last = postings.last else {
      return Finding(name: name, violations: ["the \(name) does not decode (\(value.count) bytes)"], postings: [])
    }
    var violations: [String] = []
    // A posting no impact covers could score above the chunk's bound, and
    // block-max pruning would then skip a document of the top k.
    let impacts = PostingChunk.impacts(Array(value)) ?? []
    if !impacts.isEmpty, let uncovered = postings.first(where: { !ChunkImpacts.cover(impacts, $0) }) {
      violations.append("the impacts of the \(name) do not bound its posting of document \(uncovered.document)")
    }
    if head.document != first { violations.append("the \(name) starts at document \(head.document)") }
    if let previous, previous.term.elementsEqual(term.utf8), previous.last >= head.document {
      violations.append("the \(name) overlaps the chunk before it")
    }
    previous = (Array(term.utf8), last.document)
    return Finding(name: name, violations: violations, postings: postings)
  }
}
