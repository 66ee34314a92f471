//! CPU time of the calling thread, for benchmarks on a shared machine: wall time there counts
//! the time other processes held the core, CPU time does not.

use std::time::Duration;

/// Nanoseconds this thread has run (Linux `/proc/thread-self/schedstat`, first field).
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs `routine` `iterations` times and returns the CPU time it took (wall time where the
/// CPU clock is unavailable).
pub fn cpu_time<T>(iterations: u64, mut routine: impl FnMut() -> T) -> Duration {
    let wall = std::time::Instant::now();
    let start = thread_cpu();
    for _ in 0..iterations {
        std::hint::black_box(routine());
    }
    match (start, thread_cpu()) {
        (Some(start), Some(end)) => end.saturating_sub(start),
        _ => wall.elapsed(),
    }
}
