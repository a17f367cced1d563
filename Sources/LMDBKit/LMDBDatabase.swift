import CLMDB

/// A named LMDB sub-database ("table"), opened once per environment.
package struct LMDBDatabase: Sendable {
  package let name: String
  package let handle: MDB_dbi

  package init(name: String, handle: MDB_dbi) {
    self.name = name
    self.handle = handle
  }
}
