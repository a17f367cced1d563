import Foundation

/// A point in time as TraceBrain writes it: the producer's ISO 8601 text, kept
/// for a faithful export, and its instant in microseconds since 1970 UTC.
public struct Timestamp: Sendable, Hashable, Comparable {
  /// Microseconds since 1970-01-01T00:00:00Z.
  public let microseconds: Int64
  /// The text it was parsed from, else the canonical text of the instant.
  public var text: String { parsedText ?? Timestamp.format(microseconds) }
  /// Formatting waits until the text is asked for: decoding a stored trace
  /// (every search hit) must not pay for it.
  private let parsedText: String?

  public init(microseconds: Int64) {
    self.microseconds = microseconds
    parsedText = nil
  }

  /// Parses `YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|±HH:MM|±HHMM)?`; no offset means UTC.
  /// Returns nil for anything else (docs/trace-format.md §1: stored as "no time").
  public init?(iso8601 text: String) {
    guard let microseconds = Timestamp.parse(Array(text.utf8)) else { return nil }
    self.microseconds = microseconds
    parsedText = text
  }

  public init(date: Date) {
    self.init(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
  }

  public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

  public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds == rhs.microseconds }

  public func hash(into hasher: inout Hasher) { hasher.combine(microseconds) }

  public static var now: Timestamp { Timestamp(date: Date()) }

  // MARK: Parsing

  private static func parse(_ bytes: [UInt8]) -> Int64? {
    var position = 0
    func digits(_ count: Int) -> Int? {
      guard position + count <= bytes.count else { return nil }
      var value = 0
      for _ in 0..<count {
        let byte = bytes[position]
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
        position += 1
      }
      return value
    }
    func expect(_ byte: UInt8) -> Bool {
      guard position < bytes.count, bytes[position] == byte else { return false }
      position += 1
      return true
    }
    guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
      let day = digits(2), expect(UInt8(ascii: "T")), let hour = digits(2), expect(UInt8(ascii: ":")),
      let minute = digits(2), expect(UInt8(ascii: ":")), let second = digits(2)
    else { return nil }
    guard (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60, second < 60
    else { return nil }
    var microseconds: Int64 = 0
    if expect(UInt8(ascii: ".")) {
      var scale: Int64 = 100_000
      var count = 0
      while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
        microseconds += Int64(bytes[position] - 0x30) * scale
        scale /= 10
        position += 1
        count += 1
      }
      guard count > 0 else { return nil }
    }
    var offsetSeconds = 0
    if position < bytes.count {
      let sign = bytes[position]
      if sign == UInt8(ascii: "Z") {
        position += 1
      } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
        position += 1
        guard let offsetHours = digits(2), offsetHours < 24 else { return nil }
        _ = expect(UInt8(ascii: ":"))
        guard let offsetMinutes = digits(2), offsetMinutes < 60 else { return nil }
        offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
      } else {
        return nil
      }
    }
    guard position == bytes.count else { return nil }
    let days = daysFromCivil(year, month, day)
    let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
    return seconds * 1_000_000 + microseconds
  }

  private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

  private static func daysInMonth(_ year: Int, _ month: Int) -> Int {
    [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
  private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
  static func format(_ microseconds: Int64) -> String {
    let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
    let fraction = microseconds - seconds * 1_000_000
    var days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    let secondOfDay = Int(seconds - Int64(days) * 86_400)
    // civil_from_days
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let dayOfEra = days - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthPrime = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
    let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func pad(_ value: Int, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
      + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(Int(fraction), 6))Z"
  }
}
