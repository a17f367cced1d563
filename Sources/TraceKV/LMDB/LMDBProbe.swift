import LMDBKit
import CLMDB

/// Raw LMDB measurements for the benchmark harness: the physical limit the
/// store is compared with. Not part of the product API.
@_spi(Benchmarks)
public enum LMDBProbe {
  /// Writes one value of each size in `valueSizes` under increasing 8-byte
  /// keys into a new environment at `path`, one write transaction (synced
  /// commit) per `batch` puts. Returns the seconds taken and the file size.
  /// - Throws: ``TraceKVError`` from LMDB: `.notAStore` when `path` holds another file, `.readOnly` when it may not be
  ///   written, `.storeFull` when the map or the disk fills up, `.storage` for any other failure.
  public static func timePuts(path: String, valueSizes: [Int], batch: Int) throws -> (seconds: Double, bytes: Int) {
    let environment = try LMDBEnvironment(path: path, readOnly: false)
    let table = try environment.openTables(["raw"], create: true)["raw"]!
    let largest = valueSizes.max() ?? 0
    let payload = [UInt8](repeating: 0x5A, count: largest)
    let start = ContinuousClock.now
    var next = 0
    while next < valueSizes.count {
      let end = min(next + batch, valueSizes.count)
      try environment.write { transaction in
        for index in next..<end {
          var key = ByteWriter(capacity: 8)
          key.bigEndian(UInt64(index))
          try transaction.put(table, key: key.bytes, value: payload[0..<valueSizes[index]], append: true)
        }
      }
      next = end
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let bytes = try environment.read { transaction in try transaction.pageCount(table) } * environment.pageSize
    return (seconds, bytes)
  }
}

extension TraceStore {
  /// The store file's page size in bytes (the fuzz harness cuts at page boundaries).
  @_spi(Benchmarks)
  public func pageSize() -> Int { environment.pageSize }

  /// The encoded size of every stored span record (what the raw probe writes).
  /// - Throws: ``TraceKVError`` with kind `.corrupted` when LMDB reports a damaged page, `.storage` when it fails
  ///   otherwise (the records are not decoded).
  @_spi(Benchmarks)
  public func spanRecordSizes() throws(TraceKVError) -> [Int] {
    try read { transaction in
      var sizes: [Int] = []
      try transaction.scan(tables.spans) { _, value in
        sizes.append(value.byteCount)
        return true
      }
      return sizes
    }
  }
}
