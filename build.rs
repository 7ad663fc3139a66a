//! Generates one typed client per enabled API from `specs/` into `OUT_DIR`.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=specs");
    let root = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for api in liveramp_codegen::APIS {
        if std::env::var_os(api.cargo_feature_env()).is_none() {
            continue;
        }
        let spec = root.join(api.spec);
        println!("cargo:rerun-if-changed={}", spec.display());
        let code = liveramp_codegen::generate_file(Path::new(&spec), api.module)
            .unwrap_or_else(|e| panic!("{e}"));
        let file = out.join(format!("{}.rs", api.module));
        std::fs::write(&file, code)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    }
}
