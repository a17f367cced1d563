import Foundation

/// A row-major matrix read from or written to a vector file.
struct Matrix<Element> {
  var rows: Int
  var columns: Int
  var values: [Element]

  func row(_ index: Int) -> ArraySlice<Element> { values[(index * columns)..<((index + 1) * columns)] }
}

enum VectorFileError: Error, CustomStringConvertible {
  case unreadable(String, String)

  var description: String {
    switch self {
    case .unreadable(let path, let why): "\(path): \(why)"
    }
  }
}

/// big-ann-benchmarks `.fbin` / `.ibin` files: uint32 rows, uint32 columns,
/// then rows × columns little-endian float32 (fbin) or int32 (ibin).
enum BinFile {
  static func readFloats(_ path: String, limit: Int? = nil) throws -> Matrix<Float> {
    let (rows, columns, payload) = try read(path, limit: limit)
    return Matrix(rows: rows, columns: columns, values: payload.map { Float(bitPattern: $0) })
  }

  static func readInts(_ path: String, limit: Int? = nil) throws -> Matrix<Int32> {
    let (rows, columns, payload) = try read(path, limit: limit)
    return Matrix(rows: rows, columns: columns, values: payload.map { Int32(bitPattern: $0) })
  }

  static func write(_ matrix: Matrix<Float>, to path: String) throws {
    try write(rows: matrix.rows, columns: matrix.columns, words: matrix.values.map(\.bitPattern), to: path)
  }

  static func write(_ matrix: Matrix<Int32>, to path: String) throws {
    try write(rows: matrix.rows, columns: matrix.columns, words: matrix.values.map { UInt32(bitPattern: $0) }, to: path)
  }

  private static func read(_ path: String, limit: Int?) throws -> (Int, Int, [UInt32]) {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw VectorFileError.unreadable(path, "cannot open") }
    defer { try? handle.close() }
    guard let head = try handle.read(upToCount: 8), head.count == 8 else {
      throw VectorFileError.unreadable(path, "shorter than its 8-byte header")
    }
    let header = head.withUnsafeBytes { (UInt32(littleEndian: $0.load(as: UInt32.self)), UInt32(littleEndian: $0.load(fromByteOffset: 4, as: UInt32.self))) }
    let rows = min(Int(header.0), limit ?? Int.max)
    let columns = Int(header.1)
    let bytes = rows * columns * 4
    let body = try handle.read(upToCount: bytes) ?? Data()
    guard body.count == bytes else { throw VectorFileError.unreadable(path, "truncated: \(body.count) of \(bytes) bytes") }
    let words = body.withUnsafeBytes { raw in
      (0..<(rows * columns)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
    }
    return (rows, columns, words)
  }

  private static func write(rows: Int, columns: Int, words: [UInt32], to path: String) throws {
    var data = Data(capacity: 8 + 4 * words.count)
    for word in [UInt32(rows), UInt32(columns)] + words {
      withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) }
    }
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}

/// NumPy `.npy` files, version 1.0 or 2.0, little-endian float32 (`<f4`),
/// two dimensions, C or Fortran order (the GloVe package is Fortran order).
enum NpyFile {
  static func readFloats(_ path: String) throws -> Matrix<Float> {
    let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    guard data.count >= 10, data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)) else {
      throw VectorFileError.unreadable(path, "not a .npy file")
    }
    let major = data[data.startIndex + 6]
    let headerLength: Int
    let headerStart: Int
    if major == 1 {
      headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
      headerStart = 10
    } else {
      headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
      headerStart = 12
    }
    let header = String(decoding: data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'descr': '<f4'") else { throw VectorFileError.unreadable(path, "dtype is not <f4: \(header)") }
    let fortranOrder = header.contains("'fortran_order': True")
    guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
      throw VectorFileError.unreadable(path, "no shape")
    }
    let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard shape.count == 2 else { throw VectorFileError.unreadable(path, "shape \(shape) is not two-dimensional") }
    let offset = headerStart + headerLength
    let count = shape[0] * shape[1]
    guard data.count - offset >= 4 * count else { throw VectorFileError.unreadable(path, "truncated") }
    let (rows, columns) = (shape[0], shape[1])
    let values = data.withUnsafeBytes { raw in
      (0..<count).map { index in
        // Fortran order stores column after column: transpose to row-major.
        let stored = fortranOrder ? (index % columns) * rows + index / columns : index
        return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * stored, as: UInt32.self)))
      }
    }
    return Matrix(rows: rows, columns: columns, values: values)
  }
}

/// Reads `.npy` or `.fbin` by extension.
func readVectors(_ path: String, limit: Int? = nil) throws -> Matrix<Float> {
  if path.hasSuffix(".npy") {
    var matrix = try NpyFile.readFloats(path)
    if let limit, limit < matrix.rows {
      matrix.values.removeSubrange((limit * matrix.columns)...)
      matrix.rows = limit
    }
    return matrix
  }
  return try BinFile.readFloats(path, limit: limit)
}

/// Scales every row to unit length (zero rows are left as they are).
func normalizeRows(_ matrix: inout Matrix<Float>) {
  for row in 0..<matrix.rows {
    let range = (row * matrix.columns)..<((row + 1) * matrix.columns)
    let norm = matrix.values[range].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
    guard norm > 0 else { continue }
    for index in range { matrix.values[index] /= norm }
  }
}
