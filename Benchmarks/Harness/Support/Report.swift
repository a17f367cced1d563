import Foundation
// TextTable and ProgressLine are shared with the tracekv CLI.
@_exported import ConsoleSupport

/// Shared pieces of every harness subcommand: a monotonic clock, latency
/// percentiles, a progress line on stderr and a plain-text table (the JSON
/// reports are in `Reports/`).

/// Monotonic nanoseconds.
@inline(__always) func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Seconds elapsed since `start` (from `nowNanoseconds()`).
func secondsSince(_ start: UInt64) -> Double { Double(nowNanoseconds() - start) / 1e9 }

/// CPU time (user + system) this process has used: on a shared machine it
/// moves far less than wall time when other work takes the cores.
func cpuSeconds() -> Double {
  var usage = rusage()
  #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  #else
    getrusage(RUSAGE_SELF, &usage)
  #endif
  func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
  return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU time of the calling thread: like `cpuSeconds()`, but blind to the
/// process's other threads (a single-threaded query loop's own cost).
func threadCPUSeconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The `p`-th percentile (0...100) of `samples` by nearest rank; 0 when empty.
func percentile(_ samples: [Double], _ p: Double) -> Double {
  guard !samples.isEmpty else { return 0 }
  let sorted = samples.sorted()
  let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
  return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Formats a number with a fixed count of decimals.
func fixed(_ value: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", value) }
