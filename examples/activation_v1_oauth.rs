//! Starts the OAuth authorization of a v1.1 destination account, then checks the redirect the
//! browser came back with.
//!
//! Settings come from `Config::from_env` (`LIVERAMP_ACTIVATION_V1_API_KEY`, and
//! `LIVERAMP_ACTIVATION_V1_URL` to point it elsewhere):
//!
//! ```sh
//! LIVERAMP_ACTIVATION_V1_API_KEY=... \
//!   cargo run --example activation_v1_oauth -- <account id> <redirect url>
//! ```
//! Then paste the full URL the browser was sent back to.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = liveramp::Config::from_env()?.activation_v1()?;
    let mut args = std::env::args().skip(1);
    let usage = "usage: activation_v1_oauth <account id> <redirect url>";
    let account_id: i64 = args.next().ok_or(usage)?.parse()?;
    let redirect_url = args.next().ok_or(usage)?;

    let account = client
        .get_destination_account()
        .id(account_id)
        .send()
        .await?
        .into_inner();
    if !account
        .destination_account
        .oauth_status
        .needs_authorization()
    {
        println!("account {account_id} needs no OAuth authorization");
        return Ok(());
    }
    let authorization = client
        .authorize_destination_account(account_id, &redirect_url)
        .await?;
    println!(
        "Open this page and authorize LiveRamp:\n  {}",
        authorization.authorization_url
    );
    println!("Then paste the URL the browser came back to:");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let status = authorization.state.check_redirect(line.trim())?;
    println!("authorization ended with status {status}");
    Ok(())
}
