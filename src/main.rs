use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cognate::cli::Cli::parse();
    match cognate::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One clear line, never a backtrace: operators read this in a terminal or a unit log.
            eprintln!("cognate: {err}");
            ExitCode::FAILURE
        }
    }
}
