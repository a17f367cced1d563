import Foundation

/// Walks every B-tree page of an LMDB file's newest commit with `pread`,
/// without LMDB, and names each page that LMDB could not walk safely.
///
/// LMDB 0.9 keeps no checksums and trusts what it reads from its map: a
/// zeroed page or a flipped node offset makes it fail an assertion or read
/// outside the page, ending the process. `verify` runs this first, so that
/// it reports such damage instead of dying of it. It costs one read of every
/// page in use, which is why other commands do not.
///
/// Layout (LMDB 0.9, `mdb.c`, 64-bit): a page header is `mp_pgno` u64,
/// `mp_pad` u16, `mp_flags` u16 (branch 0x01, leaf 0x02, overflow 0x04),
/// then `mp_lower`, `mp_upper` u16 (an overflow page has its page count, u32,
/// there); `mp_ptrs` (u16 node offsets) follow at 16. A node is `mn_lo`,
/// `mn_hi`, `mn_flags`, `mn_ksize` (u16 each), then the key and the data. A
/// branch node's child is `mn_lo | mn_hi << 16 | mn_flags << 32`; a leaf
/// node's data size is `mn_lo | mn_hi << 16`, its flags `F_BIGDATA` 0x01 (the
/// data is the u64 number of an overflow page) and `F_SUBDATA` 0x02 (the data
/// is a named table's 48-byte `MDB_db`, whose `md_depth` u16 is at 6 and
/// `md_root` u64 at 40). The meta page holds the free-page table's `MDB_db`
/// at 40 and the main table's at 88.
package struct LMDBPageCheck {
  private let descriptor: Int32
  private let pageSize: Int
  private let lastPage: UInt64
  private var visited = Set<UInt64>()
  private(set) var problems: [String] = []

  static let headerBytes = 16
  static let invalidPage = UInt64.max
  static let freeTable = "the free-page table"

  /// The problems of the file at `path` (empty: every page is sound); the
  /// meta pages and the file's length were checked by `LMDBMetaPages`.
  package static func problems(path: String) throws(LMDBError) -> [String] {
    let (meta, _) = try LMDBMetaPages.newest(path: path)
    let descriptor = unsafe open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LMDBError.system("read", path: path) }
    defer { close(descriptor) }
    var check = LMDBPageCheck(descriptor: descriptor, pageSize: meta.pageSize, lastPage: meta.lastPage)
    guard let metaPage = check.page(meta.metaPage) else { return ["the newest meta page cannot be read"] }
    for (offset, name) in [(40, Self.freeTable), (88, "the main table")] {
      let record = Array(metaPage[(Self.headerBytes + offset - 16)..<(Self.headerBytes + offset + 32)])
      check.walkTable(record, name: name, isMain: offset == 88)
    }
    return check.problems
  }

  private init(descriptor: Int32, pageSize: Int, lastPage: UInt64) {
    self.descriptor = descriptor
    self.pageSize = pageSize
    self.lastPage = lastPage
  }

  private func page(_ number: UInt64) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: pageSize)
    let offset = number.multipliedReportingOverflow(by: UInt64(pageSize))
    guard !offset.overflow, offset.partialValue < UInt64(Int64.max) else { return nil }
    let count = unsafe bytes.withUnsafeMutableBytes { unsafe pread(descriptor, $0.baseAddress, pageSize, off_t(offset.partialValue)) }
    return count == pageSize ? bytes : nil
  }

  /// Walks a table from its 48-byte `MDB_db` record.
  private mutating func walkTable(_ record: [UInt8], name: String, isMain: Bool) {
    let depth = Int(u16(record, 6))
    let root = u64(record, 40)
    // TraceKV's tables use none of LMDB's key or duplicate flags (0x02…0x40), which change
    // how LMDB reads the pages; LMDB's free-page table has integer keys (0x08).
    let allowed: UInt16 = name == Self.freeTable ? 0x08 : 0
    guard u16(record, 4) & 0x7E & ~allowed == 0 else {
      problems.append("\(name): its flags 0x\(String(u16(record, 4), radix: 16)) are not a TraceKV table's")
      return
    }
    guard root != Self.invalidPage else { return }  // an empty table
    guard depth >= 1, depth <= 32 else {
      problems.append("\(name): its depth \(depth) is not possible")
      return
    }
    walk(root, levelsBelow: depth - 1, table: name, isMain: isMain)
  }

  private mutating func walk(_ number: UInt64, levelsBelow: Int, table: String, isMain: Bool) {
    guard problems.count < 50 else { return }
    func problem(_ text: String) { problems.append("\(table), page \(number): \(text)") }
    guard number >= 2, number <= lastPage else { return problem("the page number is outside the file's \(lastPage + 1) pages") }
    guard visited.insert(number).inserted else { return problem("the page is reached twice") }
    guard let bytes = page(number) else { return problem("the page cannot be read") }
    guard u64(bytes, 0) == number else { return problem("it records page number \(u64(bytes, 0)) (a zeroed or misplaced page)") }
    let flags = u16(bytes, 10)
    let isLeaf = levelsBelow == 0
    guard flags & (isLeaf ? 0x02 : 0x01) != 0, flags & 0x04 == 0 else {
      return problem("its flags 0x\(String(flags, radix: 16)) are not those of a \(isLeaf ? "leaf" : "branch") page")
    }
    let lower = Int(u16(bytes, 12))
    let upper = Int(u16(bytes, 14))
    guard lower >= Self.headerBytes, lower <= upper, upper <= pageSize, (lower - Self.headerBytes) % 2 == 0 else {
      return problem("its free-space bounds \(lower)…\(upper) are not possible")
    }
    let keys = (lower - Self.headerBytes) / 2
    if !isLeaf && keys == 0 { return problem("a branch page without children") }
    for index in 0..<keys {
      let node = Int(u16(bytes, Self.headerBytes + 2 * index))
      guard node >= upper, node + 8 <= pageSize else { return problem("node \(index) lies outside the page (offset \(node))") }
      let low = UInt64(u16(bytes, node))
      let high = UInt64(u16(bytes, node + 2))
      let nodeFlags = u16(bytes, node + 4)
      let keyBytes = Int(u16(bytes, node + 6))
      guard node + 8 + keyBytes <= pageSize else { return problem("node \(index)'s key runs past the page") }
      if !isLeaf {
        let child = low | high << 16 | UInt64(nodeFlags) << 32
        walk(child, levelsBelow: levelsBelow - 1, table: table, isMain: isMain)
        continue
      }
      // F_DUPDATA (0x04) and unknown flags: TraceKV stores no duplicates.
      guard nodeFlags & ~0x03 == 0 else { return problem("node \(index) has flags 0x\(String(nodeFlags, radix: 16))") }
      let dataBytes = Int(low | high << 16)
      let data = node + 8 + keyBytes
      if nodeFlags & 0x01 != 0 {  // F_BIGDATA
        guard data + 8 <= pageSize else { return problem("node \(index)'s overflow page number runs past the page") }
        checkOverflow(u64(bytes, data), bytes: dataBytes, table: table, node: index, in: number)
      } else {
        guard data + dataBytes <= pageSize else { return problem("node \(index)'s value (\(dataBytes) bytes) runs past the page") }
        if nodeFlags & 0x02 != 0 {  // F_SUBDATA: a named table's record
          guard dataBytes == 48 else { return problem("node \(index)'s table record has \(dataBytes) bytes, not 48") }
          let name = isMain ? "table '\(String(decoding: bytes[(node + 8)..<data], as: UTF8.self))'" : table
          walkTable(Array(bytes[data..<(data + 48)]), name: name, isMain: false)
        }
      }
    }
  }

  private mutating func checkOverflow(_ first: UInt64, bytes: Int, table: String, node: Int, in number: UInt64) {
    func problem(_ text: String) { problems.append("\(table), page \(number), node \(node): \(text)") }
    guard first >= 2, first <= lastPage, let page = page(first) else {
      return problem("its overflow page \(first) is outside the file")
    }
    let pages = UInt64(u32(page, 12))
    guard u64(page, 0) == first, u16(page, 10) & 0x04 != 0 else {
      return problem("overflow page \(first) is not an overflow page (a zeroed or misplaced page)")
    }
    guard pages >= 1, first + pages - 1 <= lastPage, bytes <= Int(pages) * pageSize - Self.headerBytes else {
      return problem("overflow page \(first) claims \(pages) pages for a \(bytes)-byte value")
    }
    for extra in first..<(first + pages) where !visited.insert(extra).inserted {
      return problem("overflow page \(extra) is reached twice")
    }
  }

  private func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
  private func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
  private func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
}
