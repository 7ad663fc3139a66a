//! Requests OAuth2 credentials for a Data Integration data source and waits for the user.
//!
//! ```sh
//! DATA_INTEGRATION_BASE_URL=https://console.rivery.io/api DATA_INTEGRATION_TOKEN=... \
//!   cargo run --example data_integration_oauth2 -- <datasource id> [<validity seconds>]
//! ```

use std::sync::Arc;
use std::time::Duration;

use liveramp::auth::StaticToken;
use liveramp::data_integration::Client;
use liveramp::transport::Transport;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("DATA_INTEGRATION_BASE_URL")
        .unwrap_or_else(|_| "https://console.rivery.io/api".to_owned());
    let token = std::env::var("DATA_INTEGRATION_TOKEN")?;
    let mut args = std::env::args().skip(1);
    let datasource = args
        .next()
        .ok_or("usage: data_integration_oauth2 <datasource id> [<seconds>]")?;
    let validity: u64 = args.next().map_or(Ok(600), |s| s.parse())?;

    let transport = Transport::builder()
        .token_source(Arc::new(StaticToken::new(token)))
        .build();
    let client = Client::new_with_client(&base_url, liveramp::http::client()?, transport);

    let pending = client
        .request_oauth2_credentials(&datasource, Duration::from_secs(validity))
        .await?;
    match pending.auth_uri() {
        Some(auth_uri) => println!("Open this page and consent:\n  {auth_uri}"),
        None => println!("The API answered no consent page; waiting anyway"),
    }
    let credentials = pending.wait().await?;
    println!(
        "credentials received ({}); the access token is {:?}",
        credentials.message.as_deref().unwrap_or("no message"),
        credentials.access_token
    );
    Ok(())
}
