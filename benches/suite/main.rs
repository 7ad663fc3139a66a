//! Every runtime benchmark of the crate, each figure a ratio against a baseline measured in the
//! same run, in interleaved rounds: per-call overhead of the typed client, token cache figures,
//! a 1 GiB consent file download and a consent sync of 1,000 files. Run with
//! `cargo bench -p liveramp-bench --bench suite`; build figures come from `cargo xtask bench-build`. Results and
//! the machine they ran on: `BENCHMARKS.md`.

mod bulk;
mod download;
#[cfg(feature = "redis")]
mod fleet;
mod hostile;
mod instructions;
mod overhead;
mod server;
mod stats;
mod sync;
mod tokens;

fn main() {
    // A child process measuring one download.
    if let Ok(variant) = std::env::var(download::CHILD_ENV) {
        download::child_main(&variant);
        return;
    }
    #[cfg(feature = "redis")]
    if let Ok(job) = std::env::var(fleet::CHILD_ENV) {
        fleet::child_main(&job);
        return;
    }
    if let Ok(variant) = std::env::var(sync::CHILD_ENV) {
        sync::child_main(&variant);
        return;
    }
    if let Ok(base) = std::env::var(hostile::CHILD_ENV) {
        hostile::child_main(&base);
        return;
    }
    // One variant of the overhead figure alone, for a profiler: `profile raw|library CALLS
    // [BASE_URL]`, against the server at BASE_URL or one of its own.
    // Flags are cargo's (`cargo bench` passes `--bench`).
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let [mode, variant, calls, base @ ..] = args.as_slice()
        && mode == "profile"
    {
        let calls = calls.parse().unwrap_or(1000);
        match base.first() {
            Some(base) => overhead::profile(base, variant, calls),
            None => overhead::profile(&server::Server::start().base(), variant, calls),
        }
        return;
    }
    let only = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    println!("liveramp bench suite: {}", machine());
    let server = server::Server::start();
    if only.is_empty() || only == "overhead" {
        overhead::run(&server);
    }
    if only.is_empty() || only == "instructions" {
        instructions::run(&server);
    }
    if only.is_empty() || only == "tokens" {
        tokens::run();
    }
    if only.is_empty() || only == "download" {
        download::run(&server);
    }
    if only.is_empty() || only == "hostile" {
        hostile::run(&server);
    }
    if only.is_empty() || only == "bulk" {
        bulk::run();
    }
    if only.is_empty() || only == "sync" {
        sync::run(&server);
    }
    #[cfg(feature = "redis")]
    if only.is_empty() || only == "fleet" {
        fleet::run();
    }
}

/// nproc, CPU model, memory and load average, from `/proc`.
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown");
    let memory = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .map(|l| l.trim_start_matches("MemTotal:").trim().to_owned())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let load = read("/proc/loadavg");
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{cpus} CPUs ({model}), {memory} memory, load average {}",
        load.join(" ")
    )
}
