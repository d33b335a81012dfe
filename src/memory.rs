//! The process's resident memory at rest.
//!
//! Measured with `/proc/<pid>/smaps` on the idle server (BENCHMARKS.md): of 48 MiB resident,
//! 20 MiB were transparent huge pages in the allocator's arena, each 2 MiB page resident for a
//! few small allocations; once those were gone, 21 of 35 MiB were the executable's own pages,
//! most touched only while starting (migrations, building the schema).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

/// Requests begun (over either transport); [`hand_back_when_quiet`] watches it.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts a request: the server is not quiet.
pub fn request_began() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// Hands the executable's pages back ([`hand_back_code`]) one second after the server
/// listens, once the schemas are built and the background tasks have started, and (with a
/// `quiet` spell) again whenever it passes without a request after requests were answered:
/// the code a request ran stays resident only while requests come. The first request after a
/// quiet spell maps what it runs again from the page cache (the pages stay there), about 2 ms
/// on the bench's host (BENCHMARKS.md).
pub async fn hand_back_when_quiet(quiet: Option<Duration>) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    hand_back_code();
    let Some(quiet) = quiet else { return };
    let mut seen = REQUESTS.load(Ordering::Relaxed);
    let mut handed_back = true;
    loop {
        tokio::time::sleep(quiet).await;
        let now = REQUESTS.load(Ordering::Relaxed);
        if now != seen {
            (seen, handed_back) = (now, false);
        } else if !handed_back {
            hand_back_code();
            handed_back = true;
        }
    }
}

/// Hands back the executable's read-only pages (code and constants): nothing is lost, and
/// what runs again comes back on first use.
///
/// - A mapping no one wrote (the code, the constants) only loses its page-table entries
///   (`MADV_DONTNEED`): its pages stay in the page cache, so they come back without reading the
///   file.
/// - A read-only mapping with pages of the process's own (constants the loader relocated, then
///   made read-only) must keep them: the kernel may only page those out (`MADV_PAGEOUT`, Linux 5.4
///   and later), which without swap leaves them as they are.
///
/// An error, or an older kernel, leaves memory as it was.
#[cfg(target_os = "linux")]
pub fn hand_back_code() {
    for mapping in read_only_mappings() {
        let advice = if mapping.anonymous_kb == 0 { libc::MADV_DONTNEED } else { libc::MADV_PAGEOUT };
        // SAFETY: the range is a whole read-only mapping of this process backed by the executable
        // file. Dropping the page-table entries of pages no one wrote changes no contents (they
        // are read again from the file); a mapping with written pages is only paged out.
        unsafe {
            libc::madvise(mapping.start as *mut libc::c_void, mapping.end.saturating_sub(mapping.start), advice);
        }
    }
}

/// A read-only mapping of the executable file, with what of it is resident.
#[cfg(target_os = "linux")]
struct Mapping {
    start: usize,
    end: usize,
    resident_kb: u64,
    /// Pages of the process's own in it (written, such as relocated constants).
    anonymous_kb: u64,
}

/// The executable's read-only mappings, from `/proc/self/smaps` (none when it cannot be read):
/// each a header line `start-end perms offset device inode path`, then `Key: value` lines.
#[cfg(target_os = "linux")]
fn read_only_mappings() -> Vec<Mapping> {
    let (Ok(smaps), Ok(exe)) = (std::fs::read_to_string("/proc/self/smaps"), std::fs::read_link("/proc/self/exe"))
    else {
        return Vec::new();
    };
    let (mut found, mut current) = (Vec::new(), None);
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(first), Some(second)) = (fields.next(), fields.next()) else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16))
        {
            let path = line.find('/').map(|at| std::path::Path::new(&line[at..]));
            let read_only = second.as_bytes().get(1) == Some(&b'-');
            current = (read_only && path == Some(exe.as_path())).then_some(Mapping {
                start,
                end,
                resident_kb: 0,
                anonymous_kb: 0,
            });
        } else if let Some(mapping) = current.as_mut() {
            match (first, second.parse()) {
                ("Rss:", Ok(kb)) => mapping.resident_kb = kb,
                // The last line of a mapping that this reads.
                ("Anonymous:", Ok(kb)) => {
                    mapping.anonymous_kb = kb;
                    found.extend(current.take());
                }
                _ => {}
            }
        }
    }
    found
}

/// Nothing to do elsewhere.
#[cfg(not(target_os = "linux"))]
pub fn hand_back_code() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Resident kB of the executable's read-only mappings: (no one wrote them, relocated).
    fn resident_kb() -> (u64, u64) {
        let mappings = read_only_mappings();
        let of = |clean: bool| mappings.iter().filter(|m| (m.anonymous_kb == 0) == clean).map(|m| m.resident_kb).sum();
        (of(true), of(false))
    }

    /// Pointers the loader relocates at start: they live in a mapping the process wrote, then
    /// made read-only, whose pages must survive (reading the file again would undo the
    /// relocations).
    static NAMES: [&str; 3] = ["drafts", "trends", "performance"];

    #[test]
    fn the_executables_pages_go_back_and_what_the_loader_wrote_stays() {
        let names = || std::hint::black_box(&NAMES).iter().map(|n| n.len()).sum::<usize>();
        assert_eq!(names(), 23);
        let (clean, relocated) = resident_kb();
        assert!(clean > 0 && relocated > 0, "clean {clean} kB, relocated {relocated} kB");
        hand_back_code();
        let (clean_after, _) = resident_kb();
        assert!(clean_after < clean, "code resident before {clean} kB, after {clean_after} kB");
        // Read from the file again, the relocated pointers would point nowhere.
        assert_eq!(names(), 23, "relocated pointers still point where they did");
    }
}
