//! The `liveramp` binary.

fn main() -> std::process::ExitCode {
    liveramp_cli::main_with_args(std::env::args_os())
}
