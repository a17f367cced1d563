import CLMDB

/// A named LMDB sub-database ("table"), opened once per environment.
struct LMDBDatabase: Sendable {
  let name: String
  let handle: MDB_dbi
}
