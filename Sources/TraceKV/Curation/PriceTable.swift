import Foundation

/// What one model costs, in US dollars per million tokens.
public struct ModelPrice: Sendable, Hashable {
  public var input: Decimal
  public var output: Decimal
  /// Cached input tokens; nil when the table does not know it (a call that
  /// read cached tokens then has no price).
  public var cached: Decimal?
  /// Where the price came from, and when it was read.
  public var source: String?
  public var asOf: String?

  public init(input: Decimal, output: Decimal, cached: Decimal?, source: String? = nil, asOf: String? = nil) {
    self.input = input
    self.output = output
    self.cached = cached
    self.source = source
    self.asOf = asOf
  }

  /// The cost of `tokens`, or nil when it read cached tokens and the cached
  /// price is unknown. Cached tokens are part of the input tokens and paid at
  /// the cached price; reasoning tokens are part of the output tokens.
  public func cost(_ tokens: TokenUsage) -> Decimal? {
    let cachedTokens = min(tokens.cachedTokens, tokens.inputTokens)
    var cachedCost: Decimal = 0
    if cachedTokens > 0 {
      guard let cached else { return nil }
      cachedCost = Decimal(cachedTokens) * cached
    }
    let fresh = Decimal(tokens.inputTokens - cachedTokens) * input
    return (fresh + cachedCost + Decimal(tokens.outputTokens) * output) / 1_000_000
  }
}

/// Prices per model, read from a JSON file (`Curation/model-prices.json`
/// ships with TraceKV; `--prices FILE` replaces it):
///
/// ```json
/// {"currency": "USD", "unit": "per 1M tokens", "as_of": "2026-12-06", "source": "…",
///  "models": {"gpt-4o-mini": {"input": 0.15, "output": 0.60, "cached": 0.075,
///                             "source": "…", "as_of": "2026-06-20"}}}
/// ```
///
/// A model is looked up by its exact id, then without a trailing `-YYYY-MM-DD`
/// (OpenAI's dated snapshots: `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`). A
/// model the table does not hold has no price: never a guess.
public struct PriceTable: Sendable, Hashable {
  public var models: [String: ModelPrice]
  /// Where the table came from (the file path, or "built-in").
  public var origin: String
  public var asOf: String?

  public init(models: [String: ModelPrice] = [:], origin: String = "none", asOf: String? = nil) {
    self.models = models
    self.origin = origin
    self.asOf = asOf
  }

  /// The file shipped with TraceKV, a resource of the module.
  public static let builtInFileName = "model-prices.json"

  /// The price of `model`, or nil.
  public func price(for model: String?) -> ModelPrice? {
    guard let model else { return nil }
    if let price = models[model] { return price }
    return Self.undated(model).flatMap { models[$0] }
  }

  /// `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`; nil when there is no date suffix.
  static func undated(_ model: String) -> String? {
    let bytes = Array(model.utf8)
    guard bytes.count > 11, bytes[bytes.count - 11] == UInt8(ascii: "-") else { return nil }
    let date = bytes.suffix(10)
    let shape = date.enumerated().allSatisfy { offset, byte in
      offset == 4 || offset == 7 ? byte == UInt8(ascii: "-") : (0x30...0x39).contains(byte)
    }
    return shape ? String(decoding: bytes.prefix(bytes.count - 11), as: UTF8.self) : nil
  }

  /// Reads a price table; `invalidInput` naming what is wrong.
  public init(json bytes: some Collection<UInt8>, origin: String) throws(TraceKVError) {
    guard case .object(let root) = try JSONParser.parse(bytes) else {
      throw TraceKVError.invalid("price table \(origin): the top level must be a JSON object")
    }
    if let currency = root["currency"]?.stringValue, currency != "USD" {
      throw TraceKVError.invalid("price table \(origin): currency must be USD, not '\(currency)'")
    }
    guard case .object(let entries)? = root["models"] else {
      throw TraceKVError.invalid("price table \(origin): needs a \"models\" object")
    }
    var models: [String: ModelPrice] = [:]
    for (model, entry) in entries {
      guard case .object(let fields) = entry else {
        throw TraceKVError.invalid("price table \(origin): model '\(model)' must be an object")
      }
      func rate(_ key: String, required: Bool) throws(TraceKVError) -> Decimal? {
        guard let value = fields[key], !value.isNull else {
          if required {
            throw TraceKVError.invalid("price table \(origin): model '\(model)' needs \"\(key)\"")
          }
          return nil
        }
        guard case .number(let literal) = value,
          let number = Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")),
          number >= 0, (Double(literal) ?? .infinity).isFinite
        else {
          throw TraceKVError.invalid(
            "price table \(origin): model '\(model)' \"\(key)\" must be a number of dollars per million tokens, at least 0"
          )
        }
        return number
      }
      models[model] = ModelPrice(
        input: try rate("input", required: true)!, output: try rate("output", required: true)!,
        cached: try rate("cached", required: false), source: fields["source"]?.stringValue,
        asOf: fields["as_of"]?.stringValue)
    }
    self.init(models: models, origin: origin, asOf: root["as_of"]?.stringValue)
  }

  /// Reads the price table at `path`.
  public init(contentsOf path: String) throws(TraceKVError) {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw TraceKVError(
        .invalidInput, "cannot read the price table \(path): \(error.localizedDescription)", path: path)
    }
    try self.init(json: data, origin: path)
  }

  /// The table shipped with TraceKV (`Curation/model-prices.json`), found in
  /// the module's resource folder next to the executable. A program whose
  /// folder lacks it gets `invalidInput` saying to pass a table, not a crash
  /// (SwiftPM's own accessor stops the process when its bundle is missing).
  public static func builtIn() throws(TraceKVError) -> PriceTable {
    let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
    let folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
    let file = folder.appendingPathComponent("TraceKV_TraceKV.resources").appendingPathComponent(
      builtInFileName)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw TraceKVError(
        .invalidInput,
        "the built-in price table is not installed (\(file.path)); pass a price table with --prices FILE",
        path: file.path)
    }
    var table = try PriceTable(contentsOf: file.path)
    table.origin = "built-in"
    return table
  }
}
