//! The token cache figures alone (`cargo bench -p liveramp-bench --bench tokens`); `--bench suite`
//! runs them with every other figure.

#[allow(dead_code)]
#[path = "suite/stats.rs"]
mod stats;
#[path = "suite/tokens.rs"]
mod tokens;

fn main() {
    tokens::run();
}
