import Hummingbird
import TraceKV

/// The one place TraceKV's error kinds become HTTP statuses.
enum ServerErrors {
  /// The status a failure of kind `kind` is answered with.
  static func status(for kind: TraceKVError.Kind) -> HTTPResponse.Status {
    switch kind {
    case .invalidInput: .badRequest
    case .notFound: .notFound
    case .readOnly: .forbidden
    case .storeFull: .insufficientStorage
    case .corrupted, .notAStore, .unsupportedVersion, .storage: .internalServerError
    case .embedderMismatch, .embedderUnavailable: .serviceUnavailable
    }
  }

  /// Any error thrown by the store as a `TraceKVError` (the store throws only
  /// those; anything else is reported as a storage failure, never dropped).
  static func storeError(_ error: any Error) -> TraceKVError {
    (error as? TraceKVError) ?? TraceKVError(.storage, "\(error)")
  }
}

extension HTTPResponse.Status {
  /// 507: the store cannot grow.
  static var insufficientStorage: Self { .init(code: 507, reasonPhrase: "Insufficient Storage") }
}
