import ByteCodecs
import Testing

/// Expected bytes are written out by hand from the encodings' definitions.
@Suite struct ByteCodecsTests {
  @Test func leb128WritesSevenBitsPerByteLowFirst() {
    func encoded(_ value: UInt64) -> [UInt8] {
      var bytes: [UInt8] = []
      LEB128.append(value, to: &bytes)
      return bytes
    }
    #expect(encoded(0) == [0x00])
    #expect(encoded(127) == [0x7F])
    #expect(encoded(128) == [0x80, 0x01])
    #expect(encoded(300) == [0xAC, 0x02])
    #expect(encoded(16_384) == [0x80, 0x80, 0x01])
    #expect(encoded(UInt64(UInt32.max)) == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
    #expect(encoded(.max) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
  }

  @Test func leb128ReadsBackAndAdvances() {
    let bytes: [UInt8] = [0x7F, 0xAC, 0x02, 0x80, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
    var offset = 0
    #expect(LEB128.read(UInt32.self, from: bytes, at: &offset) == 127)
    #expect(offset == 1)
    #expect(LEB128.read(UInt32.self, from: bytes, at: &offset) == 300)
    #expect(offset == 3)
    #expect(LEB128.read(UInt32.self, from: bytes, at: &offset) == 16_384)
    #expect(LEB128.read(UInt32.self, from: bytes, at: &offset) == .max)
    #expect(offset == bytes.count)
    #expect(LEB128.read(UInt32.self, from: bytes, at: &offset) == nil)
  }

  @Test func leb128RefusesTruncatedAndOverflowingValues() {
    var offset = 0
    #expect(LEB128.read(UInt64.self, from: [0x80], at: &offset) == nil)
    offset = 0
    #expect(LEB128.read(UInt64.self, from: [0x80, 0x80], at: &offset) == nil)
    // 2^32 does not fit in 32 bits; it does in 64.
    let twoToThe32: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x10]
    offset = 0
    #expect(LEB128.read(UInt32.self, from: twoToThe32, at: &offset) == nil)
    offset = 0
    #expect(LEB128.read(UInt64.self, from: twoToThe32, at: &offset) == 1 << 32)
    // Ten bytes: the last may carry one bit into a UInt64, not two.
    let tooBig: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x02]
    offset = 0
    #expect(LEB128.read(UInt64.self, from: tooBig, at: &offset) == nil)
    // An overlong run of continuation bytes ends in nil, not a trap.
    offset = 0
    #expect(LEB128.read(UInt64.self, from: Array(repeating: 0x80, count: 20) + [0], at: &offset) == nil)
    offset = -1
    #expect(LEB128.read(UInt32.self, from: [0x01], at: &offset) == nil)
  }

  @Test func leb128ReadsFromASliceByItsOwnOffsets() {
    let whole: [UInt8] = [0xFF, 0xFF, 0xAC, 0x02]
    let slice = whole[2...]
    var offset = 0
    #expect(LEB128.read(UInt16.self, from: slice, at: &offset) == 300)
    #expect(offset == 2)
  }

  @Test func bigEndianPutsTheMostSignificantByteFirst() {
    #expect(BigEndian.bytes(UInt32(0x0102_0304)) == [1, 2, 3, 4])
    #expect(BigEndian.bytes(UInt64(1) << 63) == [0x80, 0, 0, 0, 0, 0, 0, 0])
    #expect(BigEndian.bytes(UInt16(0xABCD)) == [0xAB, 0xCD])
    var key: [UInt8] = [9]
    BigEndian.append(UInt32(258), to: &key)
    #expect(key == [9, 0, 0, 1, 2])
  }

  @Test func bigEndianReadsAtAnOffsetAndRefusesShortBytes() {
    let bytes: [UInt8] = [0xFF, 0, 0, 1, 2, 0xEE]
    #expect(BigEndian.read(UInt32.self, from: bytes, at: 1) == 258)
    #expect(BigEndian.read(UInt32.self, from: bytes, at: 2) == 0x0001_02EE)
    #expect(BigEndian.read(UInt32.self, from: bytes, at: 3) == nil)
    #expect(BigEndian.read(UInt32.self, from: bytes, at: -1) == nil)
    #expect(BigEndian.read(UInt64.self, from: bytes[1...], at: 0) == nil)
    #expect(BigEndian.read(UInt16.self, from: bytes[1...], at: 2) == 0x0102)
  }

  @Test func bigEndianKeysSortAsTheirNumbers() {
    let numbers: [UInt32] = [0, 1, 255, 256, 65_535, 65_536, 1 << 24, .max]
    let keys = numbers.map { BigEndian.bytes($0) }
    #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
  }

  @Test func littleEndianPutsTheLeastSignificantByteFirst() {
    var bytes: [UInt8] = []
    LittleEndian.append(UInt32(0x0102_0304), to: &bytes)
    LittleEndian.append(UInt16(0xABCD), to: &bytes)
    #expect(bytes == [4, 3, 2, 1, 0xCD, 0xAB])
    #expect(LittleEndian.read(UInt32.self, from: bytes) == 0x0102_0304)
    #expect(LittleEndian.read(UInt16.self, from: bytes, at: 4) == 0xABCD)
    #expect(LittleEndian.read(UInt16.self, from: bytes, at: 5) == nil)
    #expect(LittleEndian.read(UInt32.self, from: [0, 0, 0x80, 0x3F]) == Float(1).bitPattern)
  }
}
