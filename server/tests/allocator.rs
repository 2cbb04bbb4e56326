//! The allocator's setting, in a test binary of its own: mimalloc's options
//! may be changed only while no other thread allocates, and a binary with
//! one test runs nothing beside it.

#[test]
fn mimallocs_purge_delay_is_found_and_shortened_once() {
    assert!(
        server::allocator::return_freed_memory_promptly(),
        "mimalloc's purge delay option was not where expected, or not at its default"
    );
    assert!(
        !server::allocator::return_freed_memory_promptly(),
        "the purge delay did not change"
    );
}
