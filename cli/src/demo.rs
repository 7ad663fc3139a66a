//! `liveramp demo`: starts the sandbox in-process and walks through every API's main flow,
//! printing each step.

use std::time::{Duration, SystemTime};

use liveramp::activation::ConnectionRequest;
use liveramp::poll::PollConfig;
use liveramp_sandbox::Sandbox;
use serde::Serialize;
use serde_json::{Value, json};

use crate::abilitec::{MatchArgs, match_pii};
use crate::exit::{CliError, Failure, auth_error, flow_error};
use crate::output::Output;
use liveramp::consent::sync::{self, Quiet};

/// One step of the walk-through.
#[derive(Debug, Serialize)]
pub struct Step {
    /// The API or stage.
    pub api: &'static str,
    /// What happened, in words.
    pub text: String,
    /// What happened, as data.
    pub data: Value,
}

/// Collects the steps and prints each as it happens (text mode).
struct Steps {
    out: Output,
    steps: Vec<Step>,
}

impl Steps {
    fn push(&mut self, api: &'static str, text: String, data: Value) {
        self.out.step(&format!("[{api:<16}] {text}"));
        self.steps.push(Step { api, text, data });
    }
}

/// Runs the demo.
pub async fn run(out: Output) -> Result<(), CliError> {
    let sandbox = Sandbox::start()
        .await
        .map_err(|e| CliError::new(Failure::Generic, e))?;
    let mut steps = Steps {
        out,
        steps: Vec::new(),
    };
    steps.push(
        "sandbox",
        format!("all four APIs served by the sandbox at {}", sandbox.url()),
        json!({ "url": sandbox.url() }),
    );
    let config = crate::sandbox::config(&sandbox)?;
    let result = walk(&sandbox, &config, &mut steps).await;
    let _ = sandbox.shutdown().await;
    result?;
    if out.is_json() {
        out.emit(&steps.steps, |_| String::new());
    } else {
        out.step("done: every flow ran against the sandbox");
    }
    Ok(())
}

async fn walk(
    sandbox: &Sandbox,
    config: &liveramp::Config,
    steps: &mut Steps,
) -> Result<(), CliError> {
    let _ = sandbox;
    // Token.
    let token = config
        .service_account_tokens()
        .map_err(auth_error)?
        .token()
        .await
        .map_err(auth_error)?;
    let expires_in = token
        .jwt_expiry()
        .and_then(|at| at.duration_since(SystemTime::now()).ok())
        .map(|d| d.as_secs());
    steps.push(
        "token",
        format!(
            "service-account password grant: a JWT access token valid {} s (not shown)",
            expires_in.unwrap_or_default()
        ),
        json!({ "expiresInSeconds": expires_in }),
    );

    // Destinations and an integration that needs OAuth.
    let activation = config.activation().map_err(auth_error)?;
    let destinations = crate::activation::destinations(&activation).await?;
    steps.push(
        "activation",
        format!(
            "{} destinations: {}",
            destinations.len(),
            destinations
                .iter()
                .take(3)
                .map(|d| d.name.as_str())
                .chain((destinations.len() > 3).then_some("..."))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        json!(destinations.iter().map(|d| &d.id).collect::<Vec<_>>()),
    );
    let mut found = None;
    for destination in &destinations {
        let integrations = crate::activation::integrations(&activation, &destination.id).await?;
        if let Some(integration) = integrations
            .into_iter()
            .find(|i| i.oauth_endpoint_id.is_some())
        {
            found = Some((destination.clone(), integration));
            break;
        }
    }
    let Some((destination, integration)) = found else {
        return Err(CliError::new(
            Failure::Generic,
            "the sandbox has no integration with an OAuth endpoint",
        ));
    };
    let endpoint = integration.oauth_endpoint_id.clone().unwrap_or_default();
    steps.push(
        "activation",
        format!(
            "integration {} of {} needs OAuth (endpoint {endpoint}) and {} properties",
            integration.name,
            destination.name,
            integration.required_properties.len()
        ),
        json!({ "destinationID": destination.id, "integrationID": integration.id, "oAuthEndpointID": endpoint }),
    );

    // OAuth connect, the sandbox's consent page standing in for the platform's.
    let pending = activation
        .start_oauth_connection(endpoint.clone())
        .poll_config(PollConfig::brief())
        .send()
        .await
        .map_err(flow_error)?;
    steps.push(
        "activation oauth",
        format!("authorization URL: {}", pending.authorization_url()),
        json!({ "authorizationUrl": pending.authorization_url() }),
    );
    browse(pending.authorization_url()).await?;
    steps.push(
        "browser",
        "the simulated browser opened the consent page and granted access".to_owned(),
        Value::Null,
    );
    let oauth_connection_id = pending.wait().await.map_err(flow_error)?;
    steps.push(
        "activation oauth",
        format!("authorized: oAuthConnectionID {oauth_connection_id}"),
        json!({ "oAuthConnectionID": oauth_connection_id }),
    );

    // An integration connection with it.
    let mut request = ConnectionRequest::new().oauth_connection_id(oauth_connection_id.clone());
    for property in &integration.required_properties {
        request = request.property(property.name.clone(), format!("demo-{}", property.name));
    }
    if let Some(device_type) = integration.device_types.first() {
        request = request.device_type(device_type.clone());
    }
    let connection_id = activation
        .create_connection_from_integration(&destination.id, &integration, request)
        .await
        .map_err(flow_error)?;
    steps.push(
        "activation",
        format!("created integration connection {connection_id}"),
        json!({ "integrationConnectionID": connection_id }),
    );

    // Consent files: list, sync, sync again.
    let consent = config.consent().map_err(auth_error)?;
    let files = sync::list_all(&consent).await?;
    steps.push(
        "consent",
        format!("{} consent files listed", files.len()),
        json!({ "files": files.len() }),
    );
    let dir = tempfile::tempdir().map_err(|e| CliError::new(Failure::Generic, e))?;
    let report = sync::sync(&consent, dir.path(), &Quiet).await?;
    let bytes: u64 = report.downloaded.iter().map(|e| e.bytes).sum();
    steps.push(
        "consent sync",
        format!(
            "{} files ({bytes} bytes) streamed, fsynced and recorded in {}",
            report.downloaded.len(),
            dir.path().display()
        ),
        json!({ "downloaded": report.downloaded.len(), "bytes": bytes }),
    );
    let again = sync::sync(&consent, dir.path(), &Quiet).await?;
    steps.push(
        "consent sync",
        format!(
            "run again: {} downloaded, {} already there (each file exactly once)",
            again.downloaded.len(),
            again.already_synced
        ),
        json!({ "downloaded": again.downloaded.len(), "alreadySynced": again.already_synced }),
    );

    // AbiliTec.
    let abilitec = config.abilitec().map_err(auth_error)?;
    let answer = match_pii(
        &abilitec,
        &MatchArgs {
            name: Some("Jane Doe".to_owned()),
            street_address: Some("100 Main St".to_owned()),
            city: Some("Little Rock".to_owned()),
            state: Some("AR".to_owned()),
            zip_code: Some("72201".to_owned()),
            ..MatchArgs::default()
        },
    )
    .await?;
    let consumer_link = answer
        .document
        .pointer("/person/abilitec/consumerLink")
        .and_then(Value::as_str)
        .unwrap_or("none")
        .to_owned();
    steps.push(
        "abilitec",
        format!("client-credentials token, then a people match: consumerLink {consumer_link}"),
        json!({ "consumerLink": consumer_link }),
    );

    // Data Integration OAuth.
    let data_integration = config.data_integration().map_err(auth_error)?;
    let pending = data_integration
        .request_oauth2_credentials("fb", Duration::from_secs(300))
        .await
        .map_err(flow_error)?
        .poll_config(PollConfig::brief());
    steps.push(
        "data integration",
        format!(
            "OAuth2 credentials request: auth_uri {}",
            pending.auth_uri().unwrap_or("(none answered)")
        ),
        json!({ "authUri": pending.auth_uri() }),
    );
    if let Some(auth_uri) = pending.auth_uri() {
        browse(auth_uri).await?;
    }
    let credentials = pending.wait().await.map_err(flow_error)?;
    steps.push(
        "data integration",
        format!(
            "credentials received{} (access token not shown)",
            credentials
                .user_id
                .map(|id| format!(" for provider user {id}"))
                .unwrap_or_default()
        ),
        json!({ "userId": credentials.user_id }),
    );
    Ok(())
}

/// The simulated browser: a GET of the sandbox's consent page.
async fn browse(url: &str) -> Result<(), CliError> {
    let http = liveramp::http::client().map_err(|e| CliError::new(Failure::Generic, e))?;
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| CliError::new(Failure::Network, e.without_url()))?;
    if !response.status().is_success() {
        return Err(CliError::new(
            Failure::Api,
            format!("the consent page answered {}", response.status()),
        ));
    }
    Ok(())
}
