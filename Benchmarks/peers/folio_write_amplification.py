"""What one 4 KiB page rewritten and synced costs the disk, by how the file's pages came into the page
cache: the question behind a small LMDB commit (a feedback writes 4-5 pages, then fdatasync).

A file of SIZE MiB is written page by page and synced, dropped from the cache (fadvise DONTNEED), then
brought back in one of four ways: not at all (`none`), read through a read-only mmap with MADV_RANDOM
(`random`: no readahead, as LMDB's MDB_NORDAHEAD), read through a plain mmap (`normal`: the kernel's
readahead, which may cache the file in large folios), or rewritten in 1 MiB pwrites and synced
(`large-writes`: a multi-page write may be cached as one large folio, as LMDB's multi-page pwritev). Then COUNT random pages are each rewritten with pwrite and synced
with fdatasync, and the bytes the process sent to the disk (/proc/self/io write_bytes) are divided by COUNT.

    python3 Benchmarks/peers/folio_write_amplification.py [--size 256] [--count 300] [--dir /tmp]

Prints one line per mode. On a filesystem that writes back whole large folios, `normal` sends far
more than 4,096 bytes a sync.
"""

import argparse
import mmap
import os
import random


def written_bytes():
    fields = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
    return int(fields["write_bytes"])


def measure(path, size, count, mode):
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        mapped = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        if mode == "random":
            mapped.madvise(mmap.MADV_RANDOM)
        if mode in ("random", "normal"):
            sum(mapped[offset] for offset in range(0, size, 4096))
        if mode == "large-writes":
            block = os.urandom(1 << 20)
            for offset in range(0, size, 1 << 20):
                os.pwrite(fd, block, offset)
            os.fsync(fd)
        page, rng = os.urandom(4096), random.Random(7)
        before = written_bytes()
        for _ in range(count):
            os.pwrite(fd, page, rng.randrange(size // 4096) * 4096)
            os.fdatasync(fd)
        mapped.close()
        return (written_bytes() - before) / count
    finally:
        os.close(fd)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="file size in MiB")
    parser.add_argument("--count", type=int, default=300, help="pages rewritten and synced")
    parser.add_argument("--dir", default="/tmp", help="where the file goes (on the filesystem to test)")
    args = parser.parse_args()
    size = args.size << 20
    path = os.path.join(args.dir, f"folio-amplification-{os.getpid()}.bin")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        page = os.urandom(4096)
        for offset in range(0, size, 4096):
            os.pwrite(fd, page, offset)
        os.fsync(fd)
        os.close(fd)
        for mode in ("none", "random", "normal", "large-writes"):
            print(f"{mode:>12}: {measure(path, size, args.count, mode):,.0f} bytes to disk a 4 KiB pwrite + fdatasync")
    finally:
        os.remove(path)


if __name__ == "__main__":
    main()
