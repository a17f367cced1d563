import RRF
import Testing

@Suite struct ReciprocalRankFusionTests {
  let fusion = ReciprocalRankFusion.standard

  @Test func hitsInBothListsAddUp() {
    let fused = fusion.fuse([RankedList(name: "lexical", ids: ["a", "b", "c"]), RankedList(name: "vector", ids: ["b", "d"])])
    #expect(fused.map(\.id) == ["b", "a", "d", "c"])
    #expect(fused[0].score == 1.0 / 62 + 1.0 / 61)
    #expect(fused[1].score == 1.0 / 61)
    #expect(fused[2].score == 1.0 / 62)
    #expect(fused[3].score == 1.0 / 63)
    #expect(fused.map(\.rank) == [1, 2, 3, 4])
    let b = fused[0]
    #expect(b.contributions.map(\.name) == ["lexical", "vector"])
    #expect(b.contributions.map(\.rank) == [2, 1])
    #expect(b.contributions.map(\.score) == [1.0 / 62, 1.0 / 61])
    #expect(b.bestRank == 1)
  }

  @Test func disjointListsInterleaveByRankThenId() {
    let fused = fusion.fuse([RankedList(ids: [1, 2]), RankedList(ids: [3, 4])])
    // 1 and 3 tie at 1/61 with best rank 1: the lower id first; same for 2 and 4.
    #expect(fused.map(\.id) == [1, 3, 2, 4])
  }

  @Test func tiesBreakOnBestRankBeforeId() throws {
    // With k = 0: v = 1/1, w = 1/1, u = 1/2 + 1/2 = 1. All tie at exactly 1.
    let fusion = try ReciprocalRankFusion(k: 0)
    let fused = fusion.fuse([RankedList(ids: [5, 1]), RankedList(ids: [7, 1])])
    #expect(fused.map(\.score) == [1, 1, 1])
    // u (id 1) has the lowest id but only reached rank 2: it comes last.
    #expect(fused.map(\.id) == [5, 7, 1])
  }

  @Test func weightsScaleContributions() throws {
    let fused = fusion.fuse([try RankedList(ids: [1, 2], weight: 1), try RankedList(ids: [3], weight: 2)])
    #expect(fused.map(\.id) == [3, 1, 2])
    #expect(fused[0].score == 2.0 / 61)
    #expect(fused[0].contributions.map(\.weight) == [2])
    // A weight of zero leaves the list out entirely.
    let without = fusion.fuse([try RankedList(ids: [1], weight: 0), RankedList(ids: [2])])
    #expect(without.map(\.id) == [2])
    #expect(throws: FusionError.self) { try RankedList(ids: [1], weight: -1) }
    #expect(throws: FusionError.self) { try RankedList(ids: [1], weight: .nan) }
  }

  @Test func weightsCanOverturnRanks() throws {
    // Lexical says 1 then 2; vector says 2 then 1; vector weighted 3×.
    let fused = fusion.fuse([RankedList(ids: [1, 2]), try RankedList(ids: [2, 1], weight: 3)])
    #expect(fused.map(\.id) == [2, 1])
    #expect(fused[0].score == 1.0 / 62 + 3.0 / 61)
  }

  @Test func depthLimitsEachList() throws {
    let fusion = try ReciprocalRankFusion(depth: 2)
    let fused = fusion.fuse([RankedList(ids: [1, 2, 3]), RankedList(ids: [4])])
    #expect(Set(fused.map(\.id)) == [1, 2, 4])
  }

  @Test func repeatedIdCountsOnceAtItsBestRank() {
    let fused = fusion.fuse([RankedList(ids: [1, 1, 2])])
    #expect(fused.map(\.id) == [1, 2])
    #expect(fused[0].score == 1.0 / 61)
    #expect(fused[1].contributions.map(\.rank) == [3])
  }

  @Test func pagesTileTheFusedList() {
    let lists = [RankedList(ids: Array(0..<30)), RankedList(ids: Array((15..<45).reversed()))]
    let all = fusion.fuse(lists)
    var paged: [FusedHit<Int>] = []
    for offset in stride(from: 0, to: all.count, by: 7) { paged += fusion.fuse(lists, offset: offset, limit: 7) }
    #expect(paged.map(\.id) == all.map(\.id))
    #expect(paged.map(\.rank) == Array(1...all.count))
    #expect(fusion.fuse(lists, offset: all.count, limit: 5).isEmpty)
    #expect(fusion.fuse(lists, offset: 3, limit: 0).isEmpty)
  }

  @Test func emptyInputGivesEmptyOutput() {
    #expect(fusion.fuse([RankedList<Int>]()).isEmpty)
    #expect(fusion.fuse([RankedList<Int>(ids: []), RankedList<Int>(ids: [])]).isEmpty)
  }

  @Test func invalidParametersThrow() {
    #expect(throws: FusionError.self) { try ReciprocalRankFusion(k: -1) }
    #expect(throws: FusionError.self) { try ReciprocalRankFusion(k: .infinity) }
    #expect(throws: FusionError.self) { try ReciprocalRankFusion(depth: 0) }
  }
}
