//! Authorizes LiveRamp on a platform for an integration, then waits for the user.
//!
//! Settings come from `Config::from_env` (`LIVERAMP_CREDENTIALS`, `LIVERAMP_ORG_ID`, and
//! `LIVERAMP_ACTIVATION_URL` to point it elsewhere):
//!
//! ```sh
//! LIVERAMP_CREDENTIALS=credentials.json LIVERAMP_ORG_ID=... \
//!   cargo run --example activation_oauth -- <oAuthEndpointID> [<oAuthConnectionID to re-authorize>]
//! ```

use futures::StreamExt;
use liveramp::poll::PollEvent;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = liveramp::Config::from_env()?.activation()?;
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .ok_or("usage: activation_oauth <oAuthEndpointID> [<oAuthConnectionID>]")?;

    let start = match args.next() {
        Some(existing) => client.reauthorize_oauth_connection(endpoint, existing),
        None => client.start_oauth_connection(endpoint),
    };
    let pending = start.send().await?;
    println!(
        "Open this page and authorize LiveRamp:\n  {}",
        pending.authorization_url()
    );

    let mut progress = pending.progress();
    while let Some(event) = progress.next().await {
        match event? {
            PollEvent::Progress(status) => println!("status: {status}"),
            PollEvent::Done(connection_id) => {
                println!("authorized: oAuthConnectionID {connection_id}")
            }
        }
    }
    Ok(())
}
