import CMalloc

/// How the process's allocator gives memory back (docs/PERFORMANCE.md, "Memory after a backlog").
///
/// glibc raises its thresholds as it sees large blocks freed: after one 2 MB message, blocks up
/// to 2 MB stay in the thread's arena and up to 4 MB of free space at its top is kept. After a
/// 2000-message backlog the idle daemon held 10.4 MB of anonymous memory of which 2.4 MB was in
/// use (`malloc_stats`). Fixed thresholds keep what an arena holds back to 1 MB, and blocks of
/// more than 1 MB (the rare large message) get pages of their own, returned when freed.
public enum MemoryPolicy {
    public static let threshold: Int32 = 1 << 20

    /// Fixes the thresholds; first thing in `main`, before threads start. False when glibc refused.
    @discardableResult
    public static func apply() -> Bool {
        mallopt(M_MMAP_THRESHOLD, threshold) == 1 && mallopt(M_TRIM_THRESHOLD, threshold) == 1
    }

    /// Returns the free pages inside the arenas, after a cycle: what a burst left behind is not
    /// the idle service's to keep. Well under a millisecond.
    public static func trim() {
        malloc_trim(0)
    }
}
