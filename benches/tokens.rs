//! The token cache figures alone (`cargo bench --bench tokens`); `cargo bench --bench suite`
//! runs them with every other figure.

#[allow(dead_code)]
#[path = "suite/stats.rs"]
mod stats;
#[path = "suite/tokens.rs"]
mod tokens;

fn main() {
    tokens::run();
}
