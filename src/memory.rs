//! The process's resident memory at rest.
//!
//! Measured with `/proc/<pid>/smaps` on the idle server (BENCHMARKS.md): of 48 MiB resident,
//! 20 MiB were transparent huge pages in the allocator's arena, each 2 MiB page resident for a
//! few small allocations.

/// Turns transparent huge pages off for this process (`PR_SET_THP_DISABLE`): memory is then
/// resident 4 KiB at a time. Call it first thing in `main`; the arena's first pages, touched
/// before `main`, stay as they are. An error leaves memory as it was.
#[cfg(target_os = "linux")]
pub fn lean() {
    // SAFETY: the call only sets a flag on this process; it takes no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Nothing to do elsewhere.
#[cfg(not(target_os = "linux"))]
pub fn lean() {}
