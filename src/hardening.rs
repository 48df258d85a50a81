//! Process hygiene for a program that holds secrets.
//!
//! A core dump of omc would hold the master identity and decrypted keys in plaintext, in a file
//! that outlives the process (systemd-coredump, apport, `core` in the working directory). At
//! start omc turns core dumps off: `RLIMIT_CORE` 0 (soft limit; a child that wants cores may
//! raise it again) and, on Linux, `PR_SET_DUMPABLE` 0, which also keeps other processes of the
//! same user from attaching a debugger or reading `/proc/PID/mem`. Both are reset for programs
//! `omc exec` starts (execve restores dumpable; the child inherits only the soft limit).

/// Turn core dumps off for this process. Failures are ignored: a sandbox that forbids the
/// calls leaves omc working as before.
pub fn harden() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let hard = getrlimit(Resource::Core).maximum;
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: hard,
            },
        );
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

/// Whether this process may dump core, as the kernel reports it; `None` where it cannot say.
pub fn dumpable() -> Option<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, dumpable_behavior};
        dumpable_behavior()
            .ok()
            .map(|b| b != DumpableBehavior::NotDumpable)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    None
}

/// A test hook from the environment (`OMC_TEST_…`), honoured only in debug builds: a release
/// binary never lets its environment crash it on purpose or bend its clocks.
pub fn test_hook(name: &str) -> Option<String> {
    if cfg!(debug_assertions) {
        std::env::var(name).ok()
    } else {
        None
    }
}
