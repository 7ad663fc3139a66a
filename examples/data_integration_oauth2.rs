//! Requests OAuth2 credentials for a Data Integration data source and waits for the user.
//!
//! Settings come from `Config::from_env` (`LIVERAMP_DATA_INTEGRATION_TOKEN`, and
//! `LIVERAMP_DATA_INTEGRATION_URL` to point it elsewhere):
//!
//! ```sh
//! LIVERAMP_DATA_INTEGRATION_TOKEN=... \
//!   cargo run --example data_integration_oauth2 -- <datasource id> [<validity seconds>]
//! ```

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = liveramp::Config::from_env()?.data_integration()?;
    let mut args = std::env::args().skip(1);
    let datasource = args
        .next()
        .ok_or("usage: data_integration_oauth2 <datasource id> [<seconds>]")?;
    let validity: u64 = args.next().map_or(Ok(600), |s| s.parse())?;

    let pending = client
        .request_oauth2_credentials(&datasource, Duration::from_secs(validity))
        .await?;
    match pending.auth_uri() {
        Some(auth_uri) => println!("Open this page and consent:\n  {auth_uri}"),
        None => println!("The API answered no consent page; waiting anyway"),
    }
    // Another process can take over the wait from `pending.pull_id()` and
    // `pending.expires_at()` (`Client::resume_oauth2_credentials`): keep them as you keep a
    // secret, since the pull ID answers the provider's token. They are not printed here.
    println!("valid until {:?}", pending.expires_at());
    let credentials = pending.wait().await?;
    println!(
        "credentials received ({}); the access token is {:?}",
        credentials.message.as_deref().unwrap_or("no message"),
        credentials.access_token
    );
    Ok(())
}
