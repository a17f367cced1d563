/// A JSON value that keeps what TraceBrain producers wrote: object key order,
/// and numbers as their literal text (so `3` stays `3` and `0.1` is not
/// re-rounded on export).
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  /// A number, kept as its JSON literal.
  case number(String)
  case string(String)
  case array([JSONValue])
  /// Members in the order they were written; a repeated key keeps its last value.
  case object(JSONObject)

  /// The string, when this is one.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The number as a Double, when this is a number.
  public var doubleValue: Double? {
    if case .number(let literal) = self { return Double(literal) }
    return nil
  }

  /// The number as an Int, when this is an integral number (`4` or `4.0`).
  public var intValue: Int? {
    guard case .number(let literal) = self else { return nil }
    if let value = Int(literal) { return value }
    guard let value = Double(literal), value.rounded() == value, abs(value) < 1e15 else { return nil }
    return Int(value)
  }

  public var objectValue: JSONObject? {
    if case .object(let value) = self { return value }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// A number value from a Swift integer.
  public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

  /// A number value from a finite Swift double (non-finite values become `null`:
  /// JSON has no NaN).
  public static func double(_ value: Double) -> JSONValue {
    guard value.isFinite else { return .null }
    if value.rounded() == value, abs(value) < 1e15 { return .number(String(Int(value))) }
    return .number(String(value))
  }

  /// This value as text: a string as itself, anything else as compact JSON.
  /// TraceBrain renders non-string message content this way.
  public var text: String {
    if case .string(let value) = self { return value }
    return JSONWriter.compact(self)
  }
}

/// An ordered JSON object.
///
/// Members live in one array: agent-trace objects are small (a handful to a
/// few dozen keys), where a linear scan beats hashing and costs one
/// allocation instead of two.
public struct JSONObject: Sendable, Hashable, Sequence {
  public typealias Member = (key: String, value: JSONValue)
  private var members: [Member] = []

  public init() {}

  public init(_ members: KeyValuePairs<String, JSONValue>) {
    for (key, value) in members { self[key] = value }
  }

  /// Members as parsed, without a duplicate check (the parser does it).
  init(parsedMembers: [Member]) { members = parsedMembers }

  public var keys: [String] { members.map(\.key) }

  public subscript(key: String) -> JSONValue? {
    get { members.first { $0.key == key }?.value }
    set {
      let index = members.firstIndex { $0.key == key }
      switch (index, newValue) {
      case (let index?, let value?): members[index].value = value
      case (let index?, nil): members.remove(at: index)
      case (nil, let value?): members.append((key, value))
      case (nil, nil): break
      }
    }
  }

  public var count: Int { members.count }
  public var isEmpty: Bool { members.isEmpty }

  public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }

  /// Objects are equal when they have the same members, in any order (JSON
  /// objects are unordered; the order is kept only to write them back as read).
  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return lhs.members.allSatisfy { member in rhs[member.key] == member.value }
  }

  public func hash(into hasher: inout Hasher) {
    // Order-independent, to agree with ==.
    var combined = 0
    for member in members {
      var memberHasher = Hasher()
      memberHasher.combine(member.key)
      memberHasher.combine(member.value)
      combined ^= memberHasher.finalize()
    }
    hasher.combine(count)
    hasher.combine(combined)
  }

  /// Sets every member of `other`, keeping this object's order for keys it already has.
  public mutating func merge(_ other: JSONObject) {
    for (key, value) in other { self[key] = value }
  }
}
