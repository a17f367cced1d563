import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The module's only memory-mapping code. A safetensors file is an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw tensor bytes. The weights are used in
// place from a read-only mapping: pages are shared between processes, and
// loading costs one header parse (the encoder copies only the small matrices
// it stacks, see `BertEncoder.Layer`).

/// Name, dtype, shape and byte range of one tensor in a safetensors header.
struct TensorInfo: Equatable, Sendable {
  var dtype: String
  var shape: [Int]
  /// Byte range relative to the start of the data section.
  var dataOffsets: Range<Int>
  var elementCount: Int { shape.reduce(1, *) }
}

/// Parses a safetensors header (the JSON after the 8-byte length).
///
/// Pure, so the tests can feed it hand-built bytes.
func parseSafeTensorsHeader(_ json: [UInt8], file: String, dataLength: Int) throws(EmbeddingError) -> [String: TensorInfo] {
  func corrupt(_ reason: String) -> EmbeddingError { .modelCorrupt(file: file, reason: reason) }
  let object: Any
  do { object = try JSONSerialization.jsonObject(with: Data(json)) } catch { throw corrupt("header is not JSON") }
  guard let entries = object as? [String: Any] else { throw corrupt("header is not a JSON object") }
  var tensors: [String: TensorInfo] = [:]
  for (name, value) in entries where name != "__metadata__" {
    guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
      let shape = (entry["shape"] as? [NSNumber])?.map(\.intValue),
      let offsets = (entry["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2
    else { throw corrupt("tensor \(name) lacks dtype, shape or data_offsets") }
    guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
      throw corrupt("tensor \(name) lies outside the file (offsets \(offsets), data \(dataLength) bytes)")
    }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw corrupt("tensor \(name) has a negative dimension") }
    let info = TensorInfo(dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
    if let width = bytesPerElement[dtype], info.elementCount * width != info.dataOffsets.count {
      throw corrupt("tensor \(name): shape \(shape) of \(dtype) does not fill \(info.dataOffsets.count) bytes")
    }
    tensors[name] = info
  }
  return tensors
}

private let bytesPerElement: [String: Int] = [
  "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
]

/// A safetensors file mapped read-only; tensors are views into the mapping.
///
/// `@unchecked Sendable`: the mapping is `PROT_READ` and never changes after
/// `init`, so concurrent reads are safe; it is unmapped in `deinit`, and every
/// `FloatTensor` keeps the file alive through its `owner` reference.
final class SafeTensorsFile: @unchecked Sendable {
  let path: String
  /// The tensors by name, as the header lists them.
  let tensors: [String: TensorInfo]
  /// The raw JSON header bytes (for the model fingerprint).
  let headerBytes: [UInt8]
  private let base: UnsafeRawPointer
  private let mappedLength: Int
  private let dataStart: Int

  init(path: String) throws(EmbeddingError) {
    self.path = path
    let name = (path as NSString).lastPathComponent
    func corrupt(_ reason: String) -> EmbeddingError { .modelCorrupt(file: name, reason: reason) }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw .modelMissing(directory: (path as NSString).deletingLastPathComponent, file: name)
    }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw corrupt("cannot stat: \(String(cString: strerror(errno)))") }
    let length = Int(status.st_size)
    guard length >= 8 else { throw corrupt("shorter than its 8-byte header length") }
    guard let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
      throw corrupt("cannot map: \(String(cString: strerror(errno)))")
    }
    let raw = UnsafeRawPointer(mapping)
    let headerLength = Int(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
    guard headerLength > 0, headerLength <= length - 8 else {
      munmap(mapping, length)
      throw corrupt("header length \(headerLength) exceeds the file size \(length)")
    }
    let header = Array(UnsafeRawBufferPointer(start: raw + 8, count: headerLength))
    do {
      tensors = try parseSafeTensorsHeader(header, file: name, dataLength: length - 8 - headerLength)
    } catch {
      munmap(mapping, length)
      throw error
    }
    headerBytes = header
    base = raw
    mappedLength = length
    dataStart = 8 + headerLength
  }

  deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }

  /// The float32 tensor `name`, checked against `shape`, without copying.
  func floats(_ name: String, shape: [Int]) throws(EmbeddingError) -> FloatTensor {
    let file = (path as NSString).lastPathComponent
    guard let info = tensors[name] else { throw .modelCorrupt(file: file, reason: "no tensor \(name)") }
    guard info.dtype == "F32" else {
      throw .unsupportedModel(reason: "tensor \(name) is \(info.dtype); only float32 weights are supported")
    }
    guard info.shape == shape else {
      throw .modelCorrupt(file: file, reason: "tensor \(name) has shape \(info.shape), expected \(shape)")
    }
    let start = dataStart + info.dataOffsets.lowerBound
    // The format aligns tensors (its header is space-padded to 8 bytes); a
    // misaligned float pointer would be undefined behaviour, so refuse it.
    guard start % MemoryLayout<Float>.alignment == 0 else {
      throw .modelCorrupt(file: file, reason: "tensor \(name) is not 4-byte aligned")
    }
    let pointer = (base + start).assumingMemoryBound(to: Float.self)
    return FloatTensor(owner: self, pointer: pointer, shape: shape)
  }
}

/// A read-only float32 tensor living inside a mapped safetensors file.
///
/// Valid as long as the value exists: it holds its file, which unmaps only
/// when the last tensor and the file object are gone.
struct FloatTensor: @unchecked Sendable {
  private let owner: SafeTensorsFile
  let pointer: UnsafePointer<Float>
  let shape: [Int]
  var count: Int { shape.reduce(1, *) }

  fileprivate init(owner: SafeTensorsFile, pointer: UnsafePointer<Float>, shape: [Int]) {
    self.owner = owner
    self.pointer = pointer
    self.shape = shape
  }

  /// A bounds-checked copy of all elements (for the small vectors: biases, LayerNorm).
  func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

  /// Adds row `row` of this 2-D tensor into `destination[offset..<offset+columns]`.
  func addRow(_ row: Int, into destination: inout [Float], at offset: Int) {
    let columns = shape[1]
    precondition(shape.count == 2 && row >= 0 && row < shape[0], "row \(row) outside tensor \(shape)")
    precondition(offset >= 0 && offset + columns <= destination.count, "destination too small for a row")
    let source = pointer + row * columns
    destination.withUnsafeMutableBufferPointer { target in
      for j in 0..<columns { target[offset + j] += source[j] }
    }
  }
}
