import Foundation

/// The B-tree pages of an LMDB file's newest commit, read from its bytes (a
/// test's map of where to damage a store; LMDB 0.9's 64-bit layout, as
/// `LMDBPageCheck` describes it).
struct StorePages: Sendable {
  enum Kind: Equatable, Sendable { case branch, leaf, overflow }

  struct Page: Sendable {
    var number: Int
    var kind: Kind
    var table: String
    /// Branch and leaf pages: how many nodes.
    var nodes: Int
  }

  let bytes: Data
  let pageSize: Int
  private(set) var pages: [Page] = []

  init(_ bytes: Data) {
    self.bytes = bytes
    // LMDB keeps the page size in the free table's md_pad (the meta's first MDB_db, at 40); the
    // newer meta page has the larger transaction id (at 144); the main table's MDB_db is at 88.
    pageSize = Int(Self.u32(bytes, 40))
    let newest = Self.u64(bytes, 144) >= Self.u64(bytes, pageSize + 144) ? 0 : pageSize
    walkTable(record: newest + 88, name: "main")
  }

  /// Pages of `kind` in `table` (every table when nil), by page number.
  func pages(_ kind: Kind, in table: String? = nil) -> [Page] {
    pages.filter { $0.kind == kind && (table == nil || $0.table == table) }.sorted { $0.number < $1.number }
  }

  /// The byte offset of node `index` of page `number`.
  func nodeOffset(page number: Int, node index: Int) -> Int {
    number * pageSize + Int(Self.u16(bytes, number * pageSize + 16 + 2 * index))
  }

  private mutating func walkTable(record at: Int, name: String) {
    let depth = Int(Self.u16(bytes, at + 6))
    let root = Self.u64(bytes, at + 40)
    guard root != UInt64.max else { return }
    walk(Int(root), levelsBelow: depth - 1, table: name)
  }

  private mutating func walk(_ number: Int, levelsBelow: Int, table: String) {
    let base = number * pageSize
    let keys = (Int(Self.u16(bytes, base + 12)) - 16) / 2
    pages.append(Page(number: number, kind: levelsBelow == 0 ? .leaf : .branch, table: table, nodes: keys))
    for index in 0..<keys {
      let node = base + Int(Self.u16(bytes, base + 16 + 2 * index))
      let low = Int(Self.u16(bytes, node)), high = Int(Self.u16(bytes, node + 2))
      let flags = Int(Self.u16(bytes, node + 4)), keyBytes = Int(Self.u16(bytes, node + 6))
      if levelsBelow > 0 {
        walk(low | high << 16 | flags << 32, levelsBelow: levelsBelow - 1, table: table)
      } else if flags & 0x01 != 0 {  // F_BIGDATA: the value is on overflow pages
        let first = Int(Self.u64(bytes, node + 8 + keyBytes))
        pages.append(Page(number: first, kind: .overflow, table: table, nodes: 0))
      } else if flags & 0x02 != 0 {  // F_SUBDATA: a named table's record
        let name = String(decoding: bytes[(node + 8)..<(node + 8 + keyBytes)], as: UTF8.self)
        walkTable(record: node + 8 + keyBytes, name: name)
      }
    }
  }

  static func u16(_ bytes: Data, _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
  static func u32(_ bytes: Data, _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
  static func u64(_ bytes: Data, _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
}
