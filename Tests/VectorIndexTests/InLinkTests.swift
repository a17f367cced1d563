import TestSupport
import Testing

@testable import VectorIndex

/// Which nodes a link list may drop: a node must keep an in-link a search
/// can arrive by, and an in-link from a node it links back to alone is not
/// one (two such nodes form an island no search reaches).
@Suite struct InLinkTests {
  /// Five nodes, their layer-0 lists set by hand: 0 → 1, 2; 1 ⇄ 2; 3 → 4.
  func graph() throws -> HNSWGraph {
    var index = try HNSWIndex(dimension: 4, metric: .cosine, m: 4, efConstruction: 16, seed: 1)
    for label in UInt32(0)..<5 {
      _ = try index.insert([1, Float(label), Float(label * label), 1], label: label)
    }
    let graph = index.graph
    for slot in UInt32(0)..<5 { graph.setLinks(slot, 0, [UInt32]()) }
    graph.setLinks(0, 0, [1, 2])
    graph.setLinks(1, 0, [2])
    graph.setLinks(2, 0, [1])
    graph.setLinks(3, 0, [4])
    return graph
  }

  /// `keepsOutsideInLink` for `node` once 0's list drops it.
  func keepsOne(_ graph: HNSWGraph, _ node: UInt32) -> Bool {
    let held = graph.neighbours(0, 0).contains(node) ? 1 : 0
    return graph.keepsOutsideInLink(node, remaining: graph.inLinks(node) - held, apartFrom: 0)
  }

  @Test func anInLinkFromANodeItLinksBackToIsNotEnough() throws {
    let graph = try graph()
    // Without 0's link, 1 and 2 link only to each other.
    #expect(!keepsOne(graph, 2))
    #expect(!keepsOne(graph, 1))
    // 4 is linked from 3, which it does not link back to.
    #expect(keepsOne(graph, 4))
    // 3 has no in-link at all.
    #expect(!keepsOne(graph, 3))
  }

  @Test func anInLinkFromElsewhereIsEnough() throws {
    let graph = try graph()
    graph.setLinks(3, 0, [4, 2])
    #expect(keepsOne(graph, 2))
    #expect(!keepsOne(graph, 1))
  }
}
