//! Returning freed memory to the operating system.
//!
//! glibc's allocator keeps memory freed by a thread in that thread's arena for reuse, and
//! raises its threshold for handing large blocks straight back to the kernel after the first
//! one is freed. A server that once held a burst of large buffers (argon2's 19 MiB per hash,
//! start-up's migrations) would keep that memory resident for good. `malloc_trim` gives free
//! pages back; it is cheap when there is little to give. Other allocators return memory on
//! their own, so elsewhere this does nothing.

/// Gives free heap memory back to the kernel. Called after start-up and when the password
/// hashing threads let their buffers go.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only walks the allocator's own free lists under its locks; it
    // takes no pointers from us and may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
