//! `bench/run`: measures Cognate's release build under load from wrk, beside the limits of
//! its two real costs (signatures, from the machine's openssl and from Cognate's signer, and
//! argon2id hashes), and prints a Markdown table plus a JSON file. See the README's
//! Performance section.

mod admin;
mod limits;
mod load;
mod openssl;
mod postgres;
mod report;
mod scale;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use limits::Limits;
use postgres::PgDatabase;
use report::{Report, Row, ScaleRow};
use scenarios::mib;
use seed::Http;
use server::{Launch, Server};

/// A failure that stops the run, with what to do about it.
#[derive(Debug)]
pub struct Fail(pub String);

#[derive(Parser)]
#[command(about = "Benchmark Cognate's release build (see the README's Performance section)")]
struct Args {
    /// A few seconds per scenario: checks that every scenario runs without errors.
    #[arg(long)]
    quick: bool,
    /// Run on PostgreSQL: a fresh database is created on this server and dropped afterwards.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Also run the scale scenario: sign-in and filtered user list at 10,000 users and at N.
    #[arg(long, value_name = "N")]
    users: Option<u64>,
    /// Seconds per scenario (default 10, or 2 with --quick).
    #[arg(long)]
    duration: Option<u64>,
    /// Run only the scenarios whose name contains this text (for profiling one of them).
    #[arg(long, value_name = "TEXT")]
    only: Option<String>,
    /// Where to write the JSON report (default target/bench/<engine>-<time>.json).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// Users seeded through the admin API for the sign-in and flow scenarios.
const SIGN_IN_USERS: usize = 32;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => {
            println!("{}", report.markdown());
            if report.total_errors > 0 {
                eprintln!("FAILED: {} errors", report.total_errors);
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(Fail(why)) => {
            eprintln!("bench: {why}");
            ExitCode::FAILURE
        }
    }
}

fn binary() -> Result<PathBuf, Fail> {
    let me = std::env::current_exe().map_err(|e| Fail(e.to_string()))?;
    let path = me.with_file_name("cognate");
    if !path.exists() {
        return Err(Fail(format!(
            "{} is missing: build it with `cargo build --release` (bench/run does)",
            path.display()
        )));
    }
    Ok(path)
}

fn wrk_version() -> Result<String, Fail> {
    let out = std::process::Command::new("wrk").arg("-v").output().map_err(|e| {
        Fail(format!(
            "wrk is not installed ({e}): `apt-get install wrk` on Debian or Ubuntu, `brew install wrk` on macOS"
        ))
    })?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    Ok(text.lines().next().unwrap_or("wrk").trim().to_string())
}

fn run(args: &Args) -> Result<Report, Fail> {
    let binary = binary()?;
    let wrk = wrk_version()?;
    let quick = args.quick;
    let duration = Duration::from_secs(args.duration.unwrap_or(if quick { 2 } else { 10 }));
    let limit_time = Duration::from_secs(if quick { 1 } else { 3 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Fail(e.to_string()))?;

    let rounds = if quick { 1 } else { 3 };
    let limits = limits::measure(rounds, limit_time)?;

    let work = tempfile::Builder::new()
        .prefix("cognate-bench-")
        .tempdir()
        .map_err(|e| Fail(format!("temporary directory: {e}")))?;
    let pg = match &args.postgres {
        Some(url) => Some(PgDatabase::create(url, &runtime)?),
        None => None,
    };
    let engine = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    let admin_key = seed::admin_key();
    let launch = Launch::new(
        binary,
        work.path().join("data"),
        pg.as_ref().map(|p| p.url.clone()),
        admin_key.clone(),
    )?;
    let result = measure(args, &launch, &limits, duration, &runtime);
    if let Some(pg) = &pg {
        pg.drop_now(&runtime);
    }
    let measured = match result {
        Ok(found) => found,
        Err(e) => {
            // Keep the server log of a failed run.
            let kept = work.keep();
            eprintln!(
                "the server log is in {}",
                kept.join("data/server.log").display()
            );
            return Err(e);
        }
    };
    let report = Report {
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        engine: engine.into(),
        quick,
        machine: report::machine(),
        load_generator: wrk,
        limits,
        startup_to_ready_ms: measured.startup_ms,
        idle_rss_mb: measured.idle_rss_mb,
        peak_rss_mb: measured
            .scenarios
            .iter()
            .map(|r| r.peak_rss_mb)
            .fold(0.0, f64::max),
        total_errors: measured.scenarios.iter().map(|r| r.errors).sum::<u64>()
            + measured.scale.iter().map(|s| s.errors).sum::<u64>(),
        scenarios: measured.scenarios,
        scale: measured.scale,
        scale_seeding: measured.scale_seeding,
    };
    let json_path = match &args.json {
        Some(p) => p.clone(),
        None => PathBuf::from("target/bench").join(format!(
            "{}-{}.json",
            engine.to_lowercase(),
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        )),
    };
    if let Some(dir) = json_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let json = serde_json::to_string_pretty(&report).map_err(|e| Fail(e.to_string()))?;
    std::fs::write(&json_path, json)
        .map_err(|e| Fail(format!("cannot write {}: {e}", json_path.display())))?;
    eprintln!("JSON report: {}", json_path.display());
    Ok(report)
}

/// What one server's run measured; `run` adds the machine, the limits and the totals.
struct Measured {
    startup_ms: f64,
    idle_rss_mb: f64,
    scenarios: Vec<Row>,
    scale: Vec<ScaleRow>,
    scale_seeding: Option<String>,
}

fn measure(
    args: &Args,
    launch: &Launch,
    limits: &Limits,
    duration: Duration,
    runtime: &tokio::runtime::Runtime,
) -> Result<Measured, Fail> {
    let work = launch
        .data_dir
        .parent()
        .unwrap_or(&launch.data_dir)
        .to_path_buf();
    std::fs::create_dir_all(&launch.data_dir).map_err(|e| Fail(e.to_string()))?;

    eprintln!("starting on a new database and seeding ...");
    let (mut server, _) = launch.start()?;
    let http = Http::new(&server.base, &launch.admin_key);
    let seeded = seed::seed(&http, SIGN_IN_USERS)?;
    server.stop();

    // Start-up on the existing database: the median of three starts.
    let mut startups = Vec::new();
    let mut running = None;
    for _ in 0..3 {
        if let Some(mut previous) = running.take() {
            Server::stop(&mut previous);
        }
        let (server, took) = launch.start()?;
        startups.push(took.as_secs_f64() * 1000.0);
        running = Some(server);
    }
    startups.sort_by(f64::total_cmp);
    let startup_ms = startups[1];
    let server = running.ok_or_else(|| Fail("no server".into()))?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = mib(server.memory_kib("VmRSS"));
    eprintln!("  start-up to ready {startup_ms:.0} ms, idle RSS {idle_rss:.1} MB");

    // What the stateful scenarios start from.
    let http = Http::new(&server.base, &launch.admin_key);
    let browser = http.browser(&seeded)?;
    let inputs = scenarios::Inputs::prepare(&http, &seeded, &browser, limits, duration)?;
    let pool = &seeded.pool;
    let mut rows = Vec::new();
    for scenario in scenarios::all(&seeded, &browser, &inputs, duration) {
        if let Some(only) = &args.only
            && !scenario.name.to_lowercase().contains(&only.to_lowercase())
        {
            continue;
        }
        let row = scenarios::run_scenario(&server, &work, limits, scenario)?;
        rows.push(row);
    }
    report::relative_to(&mut rows, scenarios::GET_USER, scenarios::GET_USER_BASELINE);

    let mut scale_rows = Vec::new();
    let mut scale_seeding = None;
    if let Some(n) = args.users {
        let engine = match &launch.database_url {
            Some(url) => scale::Engine::Postgres(url.clone()),
            None => scale::Engine::Sqlite(format!(
                "sqlite://{}",
                launch.data_dir.join("cognate.db").display()
            )),
        };
        http.admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(
                serde_json::json!({"username": scale::TEMPLATE, "password": seed::PASSWORD,
                "email_verified": true,
                "attributes": {"email": format!("{}@bench.example", scale::TEMPLATE)}}),
            ),
        )?;
        scale_seeding = Some(
            "bulk-seeded rows share one precomputed argon2id hash of the bench password".into(),
        );
        let mut seeded_to = 0i64;
        for target in [10_000u64.min(n), n] {
            if (target as i64) <= seeded_to {
                continue;
            }
            eprintln!("scale: seeding to {target} users ...");
            runtime.block_on(scale::copy_users(&engine, pool, seeded_to, target as i64))?;
            seeded_to = target as i64;
            scale_rows.push(scale::scale_point(
                &server,
                &work,
                &http,
                &seeded,
                &browser,
                target,
                duration,
                &launch.admin_key,
            )?);
        }
    }

    Ok(Measured {
        startup_ms,
        idle_rss_mb: idle_rss,
        scenarios: rows,
        scale: scale_rows,
        scale_seeding,
    })
}
