/// A cache prefetch hint, so the beam search can ask for the next nodes'
/// vectors and link lists while it is still working on the current one (the
/// graph is far larger than the caches; a search is a chain of cache misses,
/// and overlapping them is most of hnswlib's speed).
///
/// Swift has no prefetch in its standard library; this binds LLVM's
/// `llvm.prefetch` intrinsic by name, which every Swift toolchain lowers to
/// the target's prefetch instruction (`prefetcht0` on x86-64, `prfm` on arm64)
/// in debug and release builds alike. A hint: it never faults and never
/// changes a result.
///
/// `-Xswiftc -DTRACEKV_NO_PREFETCH` turns the hint into nothing: Swift 6.3's
/// ThreadSanitizer build emits the intrinsic as an `invoke`, which LLVM
/// rejects ("Cannot invoke an intrinsic"), so TSan runs need the flag.
#if TRACEKV_NO_PREFETCH
  @inline(__always)
  private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32) {}
#else
  @_silgen_name("llvm.prefetch.p0")
  private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

/// Hints that the cache line holding `address` will be read soon.
@inline(__always)
func prefetchForRead(_ address: UnsafeRawPointer) {
  llvmPrefetch(address, 0, 3, 1)
}

/// Hints that the `byteCount` bytes from `address` will be read soon.
@inline(__always)
func prefetchForRead(_ address: UnsafeRawPointer, byteCount: Int) {
  var offset = 0
  while offset < byteCount {
    llvmPrefetch(address + offset, 0, 3, 1)
    offset &+= 64
  }
  // The last line, which the stride may skip when the range is unaligned.
  llvmPrefetch(address + (byteCount &- 1), 0, 3, 1)
}
