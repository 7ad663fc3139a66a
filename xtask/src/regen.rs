//! `cargo xtask regen [--check]`: the files derived from the specs for people to read.

use liveramp_codegen::APIS;

use crate::diff;

/// The generated page of every operation.
pub const OPERATIONS_MD: &str = "docs/operations.md";

/// Writes the derived files, or with `check` fails with a diff when one is stale.
pub fn run(check: bool) -> Result<(), String> {
    let fresh = render()?;
    let current = std::fs::read_to_string(OPERATIONS_MD).unwrap_or_default();
    if check {
        if current == fresh {
            return Ok(());
        }
        print!("{}", diff::lines(&current, &fresh));
        return Err(format!(
            "{OPERATIONS_MD} is stale: run `cargo xtask regen` and commit it"
        ));
    }
    if current != fresh {
        std::fs::create_dir_all("docs").map_err(|e| format!("cannot create docs/: {e}"))?;
        std::fs::write(OPERATIONS_MD, fresh)
            .map_err(|e| format!("cannot write {OPERATIONS_MD}: {e}"))?;
        println!("xtask: wrote {OPERATIONS_MD}");
    }
    Ok(())
}

/// `docs/operations.md` as the specs make it now; a missing spec is named on the page and on
/// stderr (`cargo xtask lint` fails on it).
fn render() -> Result<String, String> {
    let mut specs = Vec::new();
    let mut missing = Vec::new();
    for api in APIS {
        if !std::path::Path::new(api.spec).exists() {
            eprintln!(
                "xtask: warning: {} is missing; its operations are left out",
                api.spec
            );
            missing.push(*api);
            continue;
        }
        let doc =
            liveramp_codegen::load(std::path::Path::new(api.spec)).map_err(|e| e.to_string())?;
        specs.push((*api, doc));
    }
    Ok(liveramp_codegen::operations_markdown(&specs, &missing))
}
