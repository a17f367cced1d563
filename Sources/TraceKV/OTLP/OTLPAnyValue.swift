/// Turns OTLP `AnyValue`s and `KeyValue` lists into the plain JSON that
/// TraceKV keeps in span attributes: `{"stringValue": "x"}` becomes `"x"`, an
/// `arrayValue` an array, a `kvlistValue` an object, `bytesValue` its base64
/// text. Plain JSON is what TraceBrain attributes are, so search, export and
/// reconstruction read OTLP attributes without knowing where they came from.
enum OTLPAnyValue {
  /// A `KeyValue` list (attributes) as an object; a repeated key keeps its last value.
  static func keyValues(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> JSONObject {
    var object = JSONObject()
    for (index, item) in try OTLPScalars.array(value, path).enumerated() {
      let itemPath = "\(path)[\(index)]"
      guard case .object(let pair) = item else {
        throw OTLPScalars.fail(itemPath, "must be a {key, value} object")
      }
      guard case .string(let key)? = pair["key"] else {
        throw OTLPScalars.fail("\(itemPath).key", "must be a string")
      }
      object[key] = try decode(pair["value"], "\(itemPath).value")
    }
    return object
  }

  /// One `AnyValue`. An empty `{}` (no value set) is `null`.
  static func decode(_ value: JSONValue?, _ path: String) throws(TraceKVError) -> JSONValue {
    let object = try OTLPScalars.object(value, path)
    // Unknown members are ignored (OTLP/JSON), so look for the known ones only.
    if let text = object["stringValue"] {
      return .string(try OTLPScalars.string(text, "\(path).stringValue"))
    }
    if let flag = object["boolValue"] {
      switch flag {
      case .bool(let value): return .bool(value)
      case .null: return .bool(false)
      default: throw OTLPScalars.fail("\(path).boolValue", "must be true or false")
      }
    }
    if let integer = object["intValue"] {
      return .number(String(try OTLPScalars.int64(integer, "\(path).intValue")))
    }
    if let double = object["doubleValue"] {
      return try decodeDouble(double, "\(path).doubleValue")
    }
    if let array = object["arrayValue"] {
      let values = try OTLPScalars.object(array, "\(path).arrayValue")["values"]
      return .array(
        try OTLPScalars.array(values, "\(path).arrayValue.values").enumerated().map {
          (index, item) throws(TraceKVError) in try decode(item, "\(path).arrayValue.values[\(index)]")
        })
    }
    if let list = object["kvlistValue"] {
      let values = try OTLPScalars.object(list, "\(path).kvlistValue")["values"]
      return .object(try keyValues(values, "\(path).kvlistValue.values"))
    }
    if let bytes = object["bytesValue"] {
      return .string(try OTLPScalars.base64(bytes, "\(path).bytesValue"))
    }
    return .null
  }

  /// A `double`: a JSON number, or (proto3 JSON) a string holding a number or
  /// `NaN`/`Infinity`/`-Infinity`. JSON has no non-finite numbers, so those are
  /// kept as their string.
  private static func decodeDouble(_ value: JSONValue, _ path: String) throws(TraceKVError) -> JSONValue {
    switch value {
    case .number: return value
    case .null: return .number("0")
    case .string(let text):
      if ["NaN", "Infinity", "-Infinity"].contains(text) { return .string(text) }
      guard let double = Double(text), double.isFinite else {
        throw OTLPScalars.fail(path, "must be a number")
      }
      return .double(double)
    default: throw OTLPScalars.fail(path, "must be a number")
    }
  }
}
