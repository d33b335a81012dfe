use std::process::ExitCode;

use clap::Parser;
use creatorpulse::config::Cli;
use creatorpulse::telemetry;

/// A request allocates and frees many small values; mimalloc does that faster than the system
/// allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    creatorpulse::memory::lean();
    // Resolving a deep query nests many futures: 8 MiB per worker leaves room to spare.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let cli = Cli::parse();
    let traces = telemetry::traces::from_env();
    // Colour only on a terminal: a log file or collector gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let subscriber = telemetry::subscriber(&cli.config.log_level, cli.config.log_format, colour, traces.as_ref());
    tracing_subscriber::util::SubscriberInitExt::init(subscriber);
    let result = creatorpulse::run(cli).await;
    if let Some(provider) = traces {
        // Sends the spans still waiting in the batch.
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: a cause whose text the error before it
/// already includes (database drivers repeat their detail) is left out.
fn describe(err: &anyhow::Error) -> String {
    let mut said = String::new();
    for cause in err.chain().map(ToString::to_string) {
        if said.contains(&cause) {
            continue;
        }
        if !said.is_empty() {
            said.push_str(": ");
        }
        said.push_str(&cause);
    }
    said
}
