//! The process's memory allocator: mimalloc, set to give freed memory back
//! to the system promptly.
//!
//! Merging a push allocates and frees many small objects (automerge's
//! columns, the hydrated record). glibc's malloc spent about a third of the
//! merge threads' time on them, and the sync benchmark ingests about an
//! eighth more with mimalloc (BENCHMARKS.md, "Third pass"). Defined here,
//! once, so the `outreach` binary, the benchmarks and the tests all run on it.
//!
//! mimalloc also replaces C's `malloc` in those binaries (its `override`
//! feature), so SQLite allocates from it too. With glibc's, each of SQLite's
//! worker threads kept an arena of its own: about 20 MiB across four under
//! load, held after use, against about 10 MiB in mimalloc's heap, which
//! gives freed pages back after the purge delay below.

use std::ffi::c_long;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its place in mimalloc's `mi_option_t`, which
/// libmimalloc-sys does not name.
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// mimalloc's own default for the purge delay. Finding it there confirms
/// that [`PURGE_DELAY_OPTION`] is the option meant; any other value (another
/// mimalloc, or `MIMALLOC_PURGE_DELAY` set in the environment) is left alone.
const MIMALLOC_PURGE_DELAY_MS: c_long = 1_000;

/// How long memory freed in the process stays with it before mimalloc
/// gives it back to the system. With mimalloc's one second, the server held
/// about 4 MiB more under load, which took it past the 50 MB it is allowed
/// (BENCHMARKS.md); a tenth of a second ingests as fast.
const PURGE_DELAY_MS: c_long = 100;

/// Shortens mimalloc's purge delay from 1 s to 100 ms. Returns whether it
/// did. Call it first thing in `main`, while no other thread exists.
pub fn return_freed_memory_promptly() -> bool {
    #[allow(
        unsafe_code,
        reason = "mimalloc's options can be set only through its C interface"
    )]
    // SAFETY: both calls read or store one integer in mimalloc's option
    // table. mimalloc's options are not guarded against concurrent change,
    // so this runs at the start of `main`, before any other thread exists.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) != MIMALLOC_PURGE_DELAY_MS {
            return false;
        }
        libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, PURGE_DELAY_MS);
    }
    true
}
