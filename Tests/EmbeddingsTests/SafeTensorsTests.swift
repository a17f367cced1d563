import Foundation
import TestSupport
import Testing

@testable import Embeddings

@Suite struct SafeTensorsTests {
  /// A safetensors file built by hand: `[8-byte LE length][JSON][data]`.
  static func file(header: String, data: [Float], in directory: TemporaryDirectory, headerLength: UInt64? = nil) throws -> String {
    var bytes: [UInt8] = []
    let json = Array(header.utf8)
    let length = headerLength ?? UInt64(json.count)
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
    bytes += json
    for value in data { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    let path = directory.path("model-\(UUID().uuidString).safetensors")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  // Header padded with spaces to a multiple of 8 bytes, as writers do, so the data stays aligned.
  static let header =
    #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}}"#
    .padding(toLength: 160, withPad: " ", startingAt: 0)

  @Test func parsesHeaderAndReadsTensorsInPlace() throws {
    let directory = try TemporaryDirectory()
    let path = try Self.file(header: Self.header, data: [1, 2, 3, 4, 5, 6, -1.5, 0.25], in: directory)
    let file = try SafeTensorsFile(path: path)
    #expect(file.tensors.count == 2)
    #expect(file.tensors["a"] == TensorInfo(dtype: "F32", shape: [2, 3], dataOffsets: 0..<24))
    #expect(try file.floats("a", shape: [2, 3]).toArray() == [1, 2, 3, 4, 5, 6])
    #expect(try file.floats("b", shape: [2]).toArray() == [-1.5, 0.25])
    var row: [Float] = [10, 10, 10]
    try file.floats("a", shape: [2, 3]).addRow(1, into: &row, at: 0)
    #expect(row == [14, 15, 16])
  }

  @Test func refusesWrongShapeDtypeOrName() throws {
    let directory = try TemporaryDirectory()
    let file = try SafeTensorsFile(path: try Self.file(header: Self.header, data: [Float](repeating: 0, count: 8), in: directory))
    #expect(throws: EmbeddingError.self) { try file.floats("a", shape: [3, 2]) }
    #expect(throws: EmbeddingError.self) { try file.floats("missing", shape: [2]) }
  }

  @Test func refusesCorruptFiles() throws {
    let directory = try TemporaryDirectory()
    // Header length past the end of the file.
    let tooLong = try Self.file(header: Self.header, data: [], in: directory, headerLength: 1 << 40)
    #expect(throws: EmbeddingError.self) { try SafeTensorsFile(path: tooLong) }
    // Offsets past the data.
    let outside = try Self.file(header: Self.header, data: [1, 2], in: directory)
    #expect(throws: EmbeddingError.self) { try SafeTensorsFile(path: outside) }
    // Not JSON.
    let garbage = try Self.file(header: "not json at all!", data: [], in: directory)
    #expect(throws: EmbeddingError.self) { try SafeTensorsFile(path: garbage) }
    // Shape that does not fill its byte range.
    let badShape = #"{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,8]}}"#
    #expect(throws: EmbeddingError.self) { try parseSafeTensorsHeader(Array(badShape.utf8), file: "x", dataLength: 8) }
    // Missing file: reported as missing, with the fetch hint.
    do {
      _ = try SafeTensorsFile(path: directory.path("absent.safetensors"))
      Issue.record("opening an absent file succeeded")
    } catch {
      #expect(error.description.contains("tracekv model fetch"))
    }
  }

  @Test func missingModelDirectoryNamesTheFetchCommand() throws {
    let directory = try TemporaryDirectory()
    do {
      _ = try MiniLMEmbedder(files: ModelFiles(directory: directory.url.path))
      Issue.record("loading from an empty directory succeeded")
    } catch {
      #expect(error == .modelMissing(directory: directory.url.path, file: "config.json"))
      #expect(error.description.contains("make model"))
    }
    #expect(try Embedders.makeDefault(modelFiles: ModelFiles(directory: directory.url.path)).name == "hashing")
  }
}
