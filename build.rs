//! Generates one typed client per enabled API from `specs/` into `OUT_DIR`, and with the
//! `httpmock` feature its typed httpmock helpers.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=specs");
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mocks = std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some();
    for api in liveramp_codegen::APIS {
        if std::env::var_os(api.cargo_feature_env()).is_none() {
            continue;
        }
        let spec = root.join(api.spec);
        println!("cargo:rerun-if-changed={}", spec.display());
        let doc = liveramp_codegen::load(&spec).unwrap_or_else(|e| panic!("{e}"));
        let code =
            liveramp_codegen::generate(&spec, &doc, api.module).unwrap_or_else(|e| panic!("{e}"));
        write(&out.join(format!("{}.rs", api.module)), &code);
        if mocks {
            let mock = liveramp_codegen::generate_httpmock(&spec, &doc, api.module)
                .unwrap_or_else(|e| panic!("{e}"));
            write(&out.join(format!("{}_httpmock.rs", api.module)), &mock);
        }
    }
}

fn write(file: &Path, code: &str) {
    std::fs::write(file, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
}
