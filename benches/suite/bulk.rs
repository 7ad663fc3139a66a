//! Bulk AbiliTec resolution against the sandbox enforcing the documented batch limit
//! (360 calls per minute), time-scaled so that a run takes seconds: the records per minute
//! achieved against the limit, and how many calls the sandbox refused with 429.

use std::num::NonZeroU32;
use std::time::Instant;

use futures::TryStreamExt;
use liveramp::bulk::BulkOptions;
use liveramp::limit::RateLimits;

/// Records resolved.
const RECORDS: usize = 100_000;
/// Items per batch call: small enough that the limit, not the batch size, sets the pace.
const BATCH: usize = 100;
/// How much faster than real time the sandbox's minute runs.
const SCALE: f64 = 20.0;
/// The documented batch calls per minute.
const BATCHES_PER_MINUTE: u32 = 360;

/// Prints the figure.
pub fn run() {
    println!(
        "## bulk AbiliTec: {RECORDS} records in batches of {BATCH}, against the sandbox's limit of \
         {BATCHES_PER_MINUTE} batch calls per minute, time-scaled {SCALE}x"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let sandbox = liveramp_sandbox::Sandbox::builder()
            .abilitec_limits(None, Some(BATCHES_PER_MINUTE), SCALE)
            .start()
            .await
            .expect("sandbox");
        // The client paces at the same limit, in real minutes.
        let per_real_minute = (f64::from(BATCHES_PER_MINUTE) * SCALE) as u32;
        let config = sandbox.config().expect("config").with_rate_limits(
            RateLimits::none().with_abilitec(None, NonZeroU32::new(per_real_minute)),
        );
        let client = config.abilitec().expect("client");
        let items: Vec<_> = (0..RECORDS)
            .map(|i| {
                client
                    .match_people()
                    .email(format!("person{i}@example.com").as_str())
                    .batch_item()
                    .expect("item")
            })
            .collect();
        let started = Instant::now();
        let resolved: Vec<_> = client
            .resolve(
                futures::stream::iter(items),
                BulkOptions::default().batch_size(BATCH).in_flight(4),
            )
            .try_collect()
            .await
            .expect("resolved");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(resolved.len(), RECORDS);
        let limit_per_second = f64::from(per_real_minute) / 60.0 * BATCH as f64;
        let achieved = RECORDS as f64 / seconds;
        // The client starts with one second's worth at once; past it, the pace is the limit's.
        let burst = limit_per_second;
        let steady = (RECORDS as f64 - burst) / seconds;
        println!(
            "records per minute achieved / limit: {:.3} over the whole run, {:.3} past the first \
             second's burst (goal >= 0.95); 429 answers: {} (goal 0); {seconds:.2} s",
            achieved / limit_per_second,
            steady / limit_per_second,
            sandbox.rate_limited(),
        );
    });
}
