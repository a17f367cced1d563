import Foundation

/// The two meta pages at the start of an LMDB file, read with `pread` before
/// LMDB maps the file.
///
/// LMDB reads every other page through its memory map, so a page missing at
/// the end of a truncated file is a `SIGBUS` at the first touch, in any
/// command. The newest meta page names the last page its commit uses; a file
/// shorter than that page's end is refused here, before LMDB sees it.
///
/// Layout (LMDB 0.9, `mdb.c`, 64-bit): a page starts with a 16-byte header
/// (`mp_pgno` u64, `mp_pad` u16, `mp_flags` u16 with `P_META` = 0x08, 4 bytes
/// more); the `MDB_meta` follows: `mm_magic` u32 (0xBEEFC0DE) at 16,
/// `mm_version` u32 (1) at 20, `mm_address` at 24, `mm_mapsize` at 32,
/// `mm_dbs[2]` (48 bytes each) at 40 — the page size `mm_psize` is the first
/// field of `mm_dbs[0]` — then `mm_last_pg` u64 at 136 and `mm_txnid` u64 at 144.
/// Meta page 0 is at offset 0, meta page 1 at offset `mm_psize`. LMDB uses
/// the valid one with the larger transaction id.
package struct LMDBMetaPages {
  /// One meta page's fields that matter here.
  package struct Meta: Equatable {
    var pageSize: Int
    var lastPage: UInt64
    var transactionID: UInt64
    /// 0 or 1: where this meta page is.
    var metaPage: UInt64 = 0

    /// The bytes the file needs for this commit's pages.
    var requiredBytes: UInt64 {
      let (bytes, overflow) = lastPage.addingReportingOverflow(1).partialValue.multipliedReportingOverflow(by: UInt64(pageSize))
      return overflow || lastPage == .max ? .max : bytes
    }
  }

  static let magic: UInt32 = 0xBEEF_C0DE
  static let dataVersion: UInt32 = 1
  static let metaFlag: UInt16 = 0x08
  static let headerBytes = 152

  /// The newest valid meta page of the file at `path`, and the file's size.
  package static func newest(path: String) throws(LMDBError) -> (meta: Meta, fileBytes: UInt64) {
    let descriptor = unsafe open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw LMDBError.system("read", path: path)
    }
    defer { close(descriptor) }
    var attributes = stat()
    guard unsafe fstat(descriptor, &attributes) == 0 else {
      throw LMDBError.system("read", path: path)
    }
    let fileBytes = UInt64(attributes.st_size)
    guard let first = try readMeta(descriptor, at: 0, path: path) else {
      throw LMDBError(.notAStore, "\(path) is not a TraceKV store (its first LMDB meta page is not valid); it was left untouched")
    }
    let pageSize = first.pageSize
    guard pageSize >= 512, pageSize <= 1 << 16, pageSize & (pageSize - 1) == 0 else {
      throw LMDBError(.corrupted, "the store \(path) is corrupted: its meta page records a page size of \(pageSize) bytes")
    }
    guard fileBytes >= UInt64(2 * pageSize) else {
      throw LMDBError(
        .corrupted,
        "the store \(path) is corrupted: the file has \(fileBytes) bytes, fewer than its two \(pageSize)-byte meta pages; it was truncated")
    }
    var second = try readMeta(descriptor, at: pageSize, path: path)
    second?.metaPage = 1
    let newest = [first, second].compactMap { $0 }.max { $0.transactionID < $1.transactionID }!
    return (newest, fileBytes)
  }

  /// Refuses a file shorter than its newest commit needs.
  package static func checkComplete(path: String) throws(LMDBError) {
    let (meta, fileBytes) = try newest(path: path)
    guard meta.requiredBytes <= fileBytes else {
      let missing = meta.requiredBytes &- fileBytes
      throw LMDBError(
        .corrupted,
        "the store \(path) is corrupted: its newest commit (transaction \(meta.transactionID)) uses pages up to \(meta.lastPage), "
          + "\(meta.requiredBytes) bytes, but the file has \(fileBytes) bytes (\(missing) missing): it was truncated. "
          + "Restore it from a backup; it was left untouched")
    }
  }

  /// The meta page at `offset`, or nil when it is not one (bad magic, version or flags).
  private static func readMeta(_ descriptor: Int32, at offset: Int, path: String) throws(LMDBError) -> Meta? {
    var bytes = [UInt8](repeating: 0, count: headerBytes)
    let count = unsafe bytes.withUnsafeMutableBytes { unsafe pread(descriptor, $0.baseAddress, headerBytes, off_t(offset)) }
    guard count >= 0 else { throw LMDBError.system("read", path: path) }
    guard count == headerBytes else { return nil }
    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
    guard u16(10) & metaFlag != 0, u32(16) == magic, u32(20) == dataVersion else { return nil }
    return Meta(pageSize: Int(u32(40)), lastPage: u64(136), transactionID: u64(144))
  }
}
