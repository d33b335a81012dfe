//! The process's resident memory at rest.
//!
//! Measured with `/proc/<pid>/smaps` on the idle server (BENCHMARKS.md): of 48 MiB resident,
//! 20 MiB were transparent huge pages in the allocator's arena, each 2 MiB page resident for a
//! few small allocations; once those were gone, 21 of 35 MiB were the executable's own pages,
//! most touched only while starting (migrations, building the schema).

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

/// Hands back the executable's read-only pages (code and constants) once the server has
/// started: the kernel takes them out of this process (`MADV_PAGEOUT`, Linux 5.4 and later),
/// and the code that requests run comes back on first use. Nothing is lost: these pages are
/// the executable file's, unchanged. An error, or an older kernel, leaves memory as it was.
#[cfg(target_os = "linux")]
pub fn started() {
    let (Ok(maps), Ok(exe)) = (std::fs::read_to_string("/proc/self/maps"), std::fs::read_link("/proc/self/exe")) else {
        return;
    };
    for line in maps.lines() {
        // `start-end perms offset device inode path`
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [range, perms, _, _, _, path] = fields[..] else { continue };
        if perms.as_bytes().get(1) != Some(&b'-') || std::path::Path::new(path) != exe {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else { continue };
        // SAFETY: the range is a whole mapping of this process, read-only and backed by the
        // executable file; paging it out changes no contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end.saturating_sub(start), libc::MADV_PAGEOUT);
        }
    }
}

/// Nothing to do elsewhere.
#[cfg(not(target_os = "linux"))]
pub fn started() {}
