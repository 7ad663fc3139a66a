//! Authorizes LiveRamp on a platform for an integration, then waits for the user.
//!
//! ```sh
//! LIVERAMP_BASE_URL=https://api.liveramp.com/activation LIVERAMP_TOKEN=... LIVERAMP_ORG_ID=... \
//!   cargo run --example activation_oauth -- <oAuthEndpointID> [<oAuthConnectionID to re-authorize>]
//! ```

use std::sync::Arc;

use futures::StreamExt;
use liveramp::activation::Client;
use liveramp::auth::StaticToken;
use liveramp::poll::PollEvent;
use liveramp::transport::Transport;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("LIVERAMP_BASE_URL")
        .unwrap_or_else(|_| "https://api.liveramp.com/activation".to_owned());
    let token = std::env::var("LIVERAMP_TOKEN")?;
    let org_id = std::env::var("LIVERAMP_ORG_ID")?;
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .ok_or("usage: activation_oauth <oAuthEndpointID> [<oAuthConnectionID>]")?;

    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(token)))
        .org_id(&org_id)?
        .build();
    let client = Client::new_with_client(&base_url, liveramp::http::client()?, transport);

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
