// swift-tools-version: 6.2
import PackageDescription

/// Settings shared by every Swift target, defined once.
let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "TraceKV",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "TraceKV", targets: ["TraceKV"]),
    .library(name: "VectorIndex", targets: ["VectorIndex"]),
    .library(name: "LexicalIndex", targets: ["LexicalIndex"]),
    .library(name: "RRF", targets: ["RRF"]),
    .library(name: "Embeddings", targets: ["Embeddings"]),
    .executable(name: "tracekv", targets: ["tracekv"]),
    .executable(name: "tracekv-bench", targets: ["tracekv-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // The server only (TraceKVServer): code linking the TraceKV library builds none of these.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
  ],
  targets: [
    // C shims over Debian's liblmdb-dev and the CBLAS interface of libblas.so.3.
    .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
    .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
    // Debian's zlib, for OTLP bodies sent with Content-Encoding: gzip.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // Integers as bytes (big- and little-endian, LEB128), one codec for every index and table.
    .target(name: "ByteCodecs", swiftSettings: swiftSettings + [.strictMemorySafety()]),
    .target(name: "VectorIndex", dependencies: ["CBLAS", "ByteCodecs"], swiftSettings: swiftSettings),
    // Posting chunks are lent as non-escapable values (lifetimes: LentPostingChunks); unsafe code is spelled `unsafe`.
    .target(
      name: "LexicalIndex", dependencies: ["ByteCodecs"],
      swiftSettings: swiftSettings + [.strictMemorySafety(), .enableExperimentalFeature("Lifetimes")]),
    .target(name: "RRF", swiftSettings: swiftSettings),
    .target(name: "Embeddings", dependencies: ["CBLAS"], swiftSettings: swiftSettings),
    // LMDB's entry points under a fault guard: a damaged page gives an error code, not a signal (C, tiny).
    .target(name: "LMDBFaultGuard", dependencies: ["CLMDB"]),
    // The only code that calls mdb_*: environments, transactions, cursors, file checks; its own error type.
    .target(
      name: "LMDBKit", dependencies: ["CLMDB", "LMDBFaultGuard", "ByteCodecs"],
      // Every unsafe operation is spelled `unsafe`: the room where the map's bytes are lent out.
      swiftSettings: swiftSettings + [.strictMemorySafety()]),
    .target(
      name: "TraceKV",
      dependencies: ["LMDBKit", "ByteCodecs", "VectorIndex", "LexicalIndex", "RRF", "Embeddings"],
      // The dated price table `usage` prices calls with (PriceTable.builtIn).
      resources: [.copy("Curation/model-prices.json")],
      // Unsafe code is spelled `unsafe`; records are read from lent `RawSpan`s (lifetimes: ByteReader).
      swiftSettings: swiftSettings + [.strictMemorySafety(), .enableExperimentalFeature("Lifetimes")]),

    // `tracekv serve` and `tracekv mcp`: HTTP (OTLP, TraceBrain's REST API, MCP) over the store.
    .target(
      name: "TraceKVServer",
      dependencies: [
        "TraceKV", "Embeddings", "CZlib", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "MCP", package: "swift-sdk"), .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: swiftSettings),

    // Tables and progress lines shared by the two executables.
    .target(name: "ConsoleSupport", swiftSettings: swiftSettings),
    .executableTarget(
      name: "tracekv",
      dependencies: [
        "TraceKV", "TraceKVServer", "ConsoleSupport", "Embeddings",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings),
    .executableTarget(
      name: "tracekv-bench",
      dependencies: ["TraceKV", "ConsoleSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Benchmarks/Harness",
      swiftSettings: swiftSettings),

    .target(name: "TestSupport", dependencies: ["VectorIndex"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
    .testTarget(
      name: "TraceKVTests", dependencies: ["TraceKV", "LMDBKit", "TestSupport"],
      // The oracle is Python run by hand; its expected outputs are read from the source tree.
      exclude: ["Oracle", "Expected", "OTLPData", "Fixtures"], swiftSettings: swiftSettings),
    .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "LexicalIndexTests", dependencies: ["LexicalIndex", "ByteCodecs", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(name: "RRFTests", dependencies: ["RRF"], swiftSettings: swiftSettings),
    // The server's parts below HTTP; the HTTP faces are tested with the real clients (Tests/ClientTests).
    .testTarget(
      name: "TraceKVServerTests", dependencies: ["TraceKVServer", "TraceKV", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(name: "ByteCodecsTests", dependencies: ["ByteCodecs"], swiftSettings: swiftSettings),
    .testTarget(
      name: "EmbeddingsTests", dependencies: ["Embeddings", "TestSupport"],
      // Read from the source tree by path (sentence-transformers' reference output).
      exclude: ["Fixtures"], swiftSettings: swiftSettings),
  ]
)
