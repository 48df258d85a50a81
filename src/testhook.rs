//! Hooks that let tests widen a race window. Debug builds only: a release build ignores the
//! variables entirely.

/// `OMC_TEST_PAUSE_AT=point:MS` sleeps MS milliseconds at `point` (several: comma-separated).
pub fn pause(point: &str) {
    #[cfg(debug_assertions)]
    if let Ok(spec) = std::env::var("OMC_TEST_PAUSE_AT") {
        for item in spec.split(',') {
            if let Some((p, ms)) = item.split_once(':')
                && p == point
                && let Ok(ms) = ms.parse::<u64>()
            {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}
