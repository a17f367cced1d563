import Testing

@testable import VectorIndex

/// `ChunkedArray` (on `ChunkedRows`) is copy-on-write per chunk and per group
/// of 256 chunks: versions never see each other's writes, whichever group
/// and chunk a write lands in.
@Suite struct ChunkedRowsTests {
  @Test("copies are independent across many chunk groups, both ways, and grow apart")
  func copiesAreIndependent() {
    // One element per chunk: 1,000 chunks in 4 groups.
    var original = ChunkedArray<Int32>(fill: -1, shift: 0)
    original.grow(to: 1_000)
    for index in 0..<1_000 { original[index] = Int32(index) }
    var copy = original
    for index in stride(from: 3, to: 1_000, by: 97) { copy[index] = -Int32(index) }
    copy.grow(to: 1_300)
    copy[1_299] = 7
    for index in 0..<1_000 { #expect(original[index] == Int32(index)) }
    #expect(original.count == 1_000)
    for index in stride(from: 5, to: 1_000, by: 89) { original[index] = 42 }
    for index in 0..<1_000 {
      let expected: Int32 = index % 97 == 3 ? -Int32(index) : Int32(index)
      #expect(copy[index] == expected, "copy, \(index)")
      #expect(original[index] == (index % 89 == 5 ? 42 : Int32(index)), "original, \(index)")
    }
    #expect(copy[1_298] == -1 && copy[1_299] == 7)
  }

  @Test("borrowed chunks are copied before a write and moved by a rebase without being read")
  func borrowedChunks() {
    let lent = UnsafeMutableBufferPointer<Float>.allocate(capacity: 8)
    defer { lent.deallocate() }
    for index in 0..<8 { lent[index] = Float(index) }
    var rows = ChunkedRows<Float>(stride: 2, shift: 1, fill: 0)
    rows.append(RowChunk(capacity: 4, repeating: 9))
    rows.append(RowChunk(borrowing: UnsafePointer(lent.baseAddress!), capacity: 4))
    #expect(rows.row(2).pointee == 0 && rows.row(3)[1] == 3)
    rows.writableRow(3)[1] = 30
    #expect(lent[3] == 3 && rows.row(3)[1] == 30 && rows.row(2).pointee == 0)
    var moved = ChunkedRows<Float>(stride: 2, shift: 1, fill: 0)
    moved.append(RowChunk(borrowing: UnsafePointer(lent.baseAddress!), capacity: 4))
    moved.rebaseBorrowed(by: 4 * MemoryLayout<Float>.stride)  // the same bytes one chunk further on
    #expect(moved.row(0).pointee == 4 && moved.row(1)[1] == 7)
    // 16 bytes of table per chunk, plus the chunks this process allocated (4 floats each).
    #expect(rows.memoryBytes == 2 * 16 + 2 * 16 && moved.memoryBytes == 16)
  }
}
