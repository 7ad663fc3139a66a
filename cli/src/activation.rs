//! `liveramp activation`: destinations, their integrations, integration connections.

use clap::{Args, Subcommand};
use liveramp::activation::{Client, types};
use serde::Serialize;

use crate::exit::{CliError, lib_error};
use crate::output::Output;

/// The `activation` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ActivationCommand {
    /// Lists the destinations (all pages).
    Destinations,
    /// Lists a destination's integrations (all pages).
    Integrations {
        /// The destination.
        #[arg(long, value_name = "ID")]
        destination_id: String,
    },
    /// Integration connections: list, get, create, delete.
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// OAuth connections: authorize LiveRamp on a platform.
    #[command(subcommand)]
    Oauth(crate::activation_oauth::OauthCommand),
}

/// The `activation connections` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ConnectionsCommand {
    /// Lists the integration connections (all pages).
    List,
    /// Shows one integration connection.
    Get {
        /// The integration connection.
        id: String,
    },
    /// Creates an integration connection.
    Create(CreateConnection),
    /// Deletes an integration connection.
    Delete {
        /// The integration connection.
        id: String,
    },
}

/// What `activation connections create` sends.
#[derive(Debug, Clone, Args)]
pub struct CreateConnection {
    /// The destination of the integration.
    #[arg(long, value_name = "ID")]
    pub destination_id: String,
    /// The integration.
    #[arg(long, value_name = "ID")]
    pub integration_id: String,
    /// A property the integration requires, as KEY=VALUE (repeat for several).
    // Text, checked when the connection is made: a value clap refused would be quoted in its
    // error, and property values are often a platform's API keys.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub properties: Vec<String>,
    /// A device type (PII, WEB, IOS, ANDROID, CUSTOM_ID, MIXED, OTHER, RAMP_ID); repeat for
    /// several.
    #[arg(long = "device-type", value_name = "TYPE")]
    pub device_types: Vec<String>,
    /// The OAuth connection, required when the integration has an OAuth endpoint.
    #[arg(long, value_name = "ID")]
    pub oauth_connection_id: Option<String>,
    /// A distribution manager to create with the connection.
    #[arg(long, value_name = "NAME")]
    pub distribution_manager_name: Option<String>,
}

/// A `--property` as its key and value; its text is not quoted when it is not `KEY=VALUE`.
fn parse_property(text: &str) -> Result<(&str, &str), CliError> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        _ => Err(CliError::usage(
            "a --property must be KEY=VALUE (its text is not shown: it may be a secret)",
        )),
    }
}

/// Runs an `activation` subcommand.
pub async fn run(
    command: &ActivationCommand,
    config: &liveramp::Config,
    out: Output,
) -> Result<(), CliError> {
    let client = config.activation().map_err(crate::exit::auth_error)?;
    match command {
        ActivationCommand::Destinations => {
            let spinner = out.spinner("listing destinations");
            let destinations = destinations(&client).await;
            spinner.finish_and_clear();
            out.emit(&destinations?, |list| {
                lines(list, |d| format!("{}  {}", d.id, d.name))
            });
        }
        ActivationCommand::Integrations { destination_id } => {
            let spinner = out.spinner("listing integrations");
            let integrations = integrations(&client, destination_id).await;
            spinner.finish_and_clear();
            out.emit(&integrations?, |list| lines(list, human_integration));
        }
        ActivationCommand::Connections(command) => connections(&client, command, out).await?,
        ActivationCommand::Oauth(command) => {
            crate::activation_oauth::run(command, &client, out).await?
        }
    }
    Ok(())
}

async fn connections(
    client: &Client,
    command: &ConnectionsCommand,
    out: Output,
) -> Result<(), CliError> {
    match command {
        ConnectionsCommand::List => {
            let spinner = out.spinner("listing integration connections");
            let list = list_connections(client).await;
            spinner.finish_and_clear();
            out.emit(&list?, |list| lines(list, human_connection));
        }
        ConnectionsCommand::Get { id } => {
            let connection = client
                .get_integration_connection()
                .integration_connection_id(id)
                .send()
                .await
                .map_err(lib_error)?
                .into_inner();
            out.emit(&connection, human_connection);
        }
        ConnectionsCommand::Create(create) => {
            let created = create_connection(client, create).await?;
            out.emit(&created, |c| {
                format!("created integration connection {}", c.id)
            });
        }
        ConnectionsCommand::Delete { id } => {
            client
                .delete_integration_connection()
                .integration_connection_id(id)
                .send()
                .await
                .map_err(lib_error)?;
            out.emit(&Deleted { id: id.clone() }, |d| {
                format!("deleted integration connection {}", d.id)
            });
        }
    }
    Ok(())
}

/// The answer of a delete.
#[derive(Debug, Serialize)]
struct Deleted {
    id: String,
}

/// How many items one list call asks for.
const PAGE_SIZE: u32 = 100;

/// Every item of a list, within the library's bounds: a server listing more (pages of new or
/// huge items for ever) would otherwise fill the memory before the pages run out.
async fn collect<T: serde::Serialize>(
    items: liveramp::paginate::Items<'_, T>,
) -> Result<Vec<T>, CliError> {
    use liveramp::paginate::{MAX_COLLECTED_BYTES, MAX_COLLECTED_ITEMS, collect_at_most};
    collect_at_most(items, MAX_COLLECTED_ITEMS, MAX_COLLECTED_BYTES)
        .await
        .map_err(lib_error)
}

/// Every destination.
pub async fn destinations(client: &Client) -> Result<Vec<types::Destination>, CliError> {
    collect(client.list_destinations().limit(PAGE_SIZE).stream()).await
}

/// Every integration of `destination_id`.
pub async fn integrations(
    client: &Client,
    destination_id: &str,
) -> Result<Vec<types::Integration>, CliError> {
    let request = client
        .list_destination_integrations()
        .destination_id(destination_id)
        .limit(PAGE_SIZE);
    collect(request.stream()).await
}

/// Every integration connection.
pub async fn list_connections(
    client: &Client,
) -> Result<Vec<types::IntegrationConnection>, CliError> {
    collect(
        client
            .list_integration_connections()
            .limit(PAGE_SIZE)
            .stream(),
    )
    .await
}

/// Creates the integration connection `create` describes.
pub async fn create_connection(
    client: &Client,
    create: &CreateConnection,
) -> Result<types::CreatedId, CliError> {
    let properties = create
        .properties
        .iter()
        .map(|text| {
            let (key, value) = parse_property(text)?;
            types::IntegrationConnectionProperty::try_from(
                types::IntegrationConnectionProperty::builder()
                    .property_key(key.to_owned())
                    .property_value(value.to_owned()),
            )
            .map_err(|e| CliError::usage(format!("--property {key}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let device_types: Vec<_> = create
        .device_types
        .iter()
        .map(|t| types::DeviceType::from(t.to_uppercase()))
        .collect();
    Ok(client
        .create_integration_connection()
        .body_map(|input| {
            input
                .integration_id([create.destination_id.clone(), create.integration_id.clone()])
                .properties(properties)
                .device_types(device_types)
                .oauth_connection_id(create.oauth_connection_id.clone())
                .distribution_manager_name(create.distribution_manager_name.clone())
        })
        .send()
        .await
        .map_err(lib_error)?
        .into_inner())
}

fn lines<T>(items: &[T], line: impl Fn(&T) -> String) -> String {
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

fn human_integration(integration: &types::Integration) -> String {
    let required: Vec<_> = integration
        .required_properties
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let oauth = integration
        .oauth_endpoint_id
        .as_deref()
        .map(|id| format!("  oauth endpoint {id}"))
        .unwrap_or_default();
    format!(
        "{}  {}  [{}]{}{}",
        integration.id,
        integration.name,
        integration.type_.as_str(),
        if required.is_empty() {
            String::new()
        } else {
            format!("  requires {}", required.join(", "))
        },
        oauth
    )
}

fn human_connection(connection: &types::IntegrationConnection) -> String {
    let [destination, integration] = &connection.integration_id;
    let oauth = connection
        .oauth_connection_id
        .as_deref()
        .map(|id| format!("  oauth connection {id}"))
        .unwrap_or_default();
    format!(
        "{}  destination {destination} integration {integration}{oauth}",
        connection.id
    )
}
