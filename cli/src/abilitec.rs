//! `liveramp abilitec match`: matches PII to a person, place, household or entity.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::exit::{CliError, Failure, lib_error};
use crate::output::Output;

/// The `abilitec` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AbilitecCommand {
    /// Matches PII against the AbiliTec graph.
    Match(MatchArgs),
    /// Matches every row of a CSV file (a header naming the documented fields) through batch
    /// calls; writes the results in input order.
    MatchFile(crate::match_file::MatchFileArgs),
}

/// The kinds of document a match answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentClass {
    /// A person (consumer link).
    People,
    /// A place (address link).
    Places,
    /// A household (household link).
    Households,
    /// An entity.
    Entities,
}

/// The PII of a match.
#[derive(Debug, Clone, Default, Args)]
pub struct MatchArgs {
    /// What to match to.
    #[arg(long = "class", value_enum, default_value = "people")]
    pub class: Option<DocumentClass>,
    /// The full, unparsed name.
    #[arg(long)]
    pub name: Option<String>,
    /// The parsed first name (instead of --name).
    #[arg(long)]
    pub first_name: Option<String>,
    /// The parsed last name (instead of --name).
    #[arg(long)]
    pub last_name: Option<String>,
    /// The full street address line.
    #[arg(long)]
    pub street_address: Option<String>,
    /// The city.
    #[arg(long)]
    pub city: Option<String>,
    /// The two-letter state.
    #[arg(long)]
    pub state: Option<String>,
    /// The ZIP code (5, 9 or 11 digits).
    #[arg(long)]
    pub zip_code: Option<String>,
    /// An email address.
    #[arg(long)]
    pub email: Option<String>,
    /// A 10-digit phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Run the strict match cascade instead of the default one.
    #[arg(long)]
    pub strict: bool,
}

/// A match answer: the document class and the document as the API sent it.
#[derive(Debug, Serialize)]
pub struct MatchAnswer {
    /// What was matched to.
    pub class: DocumentClass,
    /// The answered document.
    pub document: serde_json::Value,
}

/// Runs an `abilitec` subcommand; `settings_files` are the files its settings were read from.
pub async fn run(
    command: &AbilitecCommand,
    config: &liveramp::Config,
    settings_files: &[std::path::PathBuf],
    out: Output,
) -> Result<(), CliError> {
    if let AbilitecCommand::MatchFile(args) = command {
        crate::match_file::check_args(args, out)?;
    }
    let client = config.abilitec().map_err(crate::exit::auth_error)?;
    match command {
        AbilitecCommand::Match(args) => {
            let spinner = out.spinner("matching");
            let answer = match_pii(&client, args).await;
            spinner.finish_and_clear();
            out.emit(&answer?, human_answer);
        }
        AbilitecCommand::MatchFile(args) => {
            let summary = crate::match_file::run(&client, args, settings_files, out).await?;
            // The results went to the output; the summary is for the person running it, or,
            // under `--json` with the results in a file, the JSON on stdout.
            match (out.is_json(), &args.output) {
                (true, Some(_)) => out.emit(&summary, |_| String::new()),
                _ => out.note(&crate::match_file::human_summary(&summary)),
            }
        }
    }
    Ok(())
}

/// Sets every given PII field on a match request builder.
macro_rules! with_pii {
    ($request:expr, $args:expr) => {{
        let mut request = $request;
        let args = $args;
        if let Some(v) = &args.name {
            request = request.name(v.clone());
        }
        if let Some(v) = &args.first_name {
            request = request.first_name(v.clone());
        }
        if let Some(v) = &args.last_name {
            request = request.last_name(v.clone());
        }
        if let Some(v) = &args.street_address {
            request = request.street_address(v.clone());
        }
        if let Some(v) = &args.city {
            request = request.city(v.clone());
        }
        if let Some(v) = &args.state {
            request = request.state(v.as_str());
        }
        if let Some(v) = &args.zip_code {
            request = request.zip_code(v.as_str());
        }
        if let Some(v) = &args.email {
            request = request.email(v.as_str());
        }
        if let Some(v) = &args.phone {
            request = request.phone(v.as_str());
        }
        if args.strict {
            request = request.match_level(liveramp::abilitec::types::MatchLevel::Strict);
        }
        request
    }};
}

/// Sends the match `args` describe.
pub async fn match_pii(
    client: &liveramp::abilitec::Client,
    args: &MatchArgs,
) -> Result<MatchAnswer, CliError> {
    let class = args.class.unwrap_or(DocumentClass::People);
    let document = match class {
        DocumentClass::People => to_json(
            with_pii!(client.match_people(), args)
                .send()
                .await
                .map_err(lib_error)?
                .into_inner(),
        ),
        DocumentClass::Places => to_json(
            with_pii!(client.match_places(), args)
                .send()
                .await
                .map_err(lib_error)?
                .into_inner(),
        ),
        DocumentClass::Households => to_json(
            with_pii!(client.match_households(), args)
                .send()
                .await
                .map_err(lib_error)?
                .into_inner(),
        ),
        DocumentClass::Entities => to_json(
            with_pii!(client.match_entities(), args)
                .send()
                .await
                .map_err(lib_error)?
                .into_inner(),
        ),
    }?;
    Ok(MatchAnswer { class, document })
}

fn to_json(document: impl Serialize) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(document).map_err(|e| CliError::new(Failure::Generic, e))
}

fn human_answer(answer: &MatchAnswer) -> String {
    // The document has one member named after its class: person, place, household, entity.
    let Some(document) = answer.document.as_object().and_then(|o| o.values().next()) else {
        return "no document".to_owned();
    };
    let mut text = Vec::new();
    if let Some(links) = document.get("abilitec").and_then(|l| l.as_object()) {
        for (name, value) in links {
            text.push(format!("{name}: {}", value.as_str().unwrap_or_default()));
        }
    }
    if let Some(confidence) = document
        .pointer("/matchMetadata/matchConfidence")
        .and_then(|c| c.as_str())
    {
        text.push(format!("matchConfidence: {confidence}"));
    }
    if text.is_empty() {
        "no match".to_owned()
    } else {
        text.join("\n")
    }
}
