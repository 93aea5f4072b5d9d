//! `bench/run`: measures Cognate's release build under load from wrk, beside the hardware
//! limits of its two real costs (RS256 signatures and argon2id hashes), and prints a Markdown
//! table plus a JSON file. See the README's Performance section.

mod limits;
mod load;
mod report;
mod scale;
mod seed;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use sqlx::Connection;

use load::{Load, Outcome, Preamble, Script};
use report::{Limits, Report, Row, ScaleRow};
use seed::{BrowserId, Http, Seeded};
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
/// wrk threads for the scenarios that keep state per connection (one connection each).
const STATEFUL_CONNECTIONS: usize = 8;

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

/// A fresh PostgreSQL database for this run; dropped when the run ends.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin_url: &str, runtime: &tokio::runtime::Runtime) -> Result<Self, Fail> {
        let name = format!("cognate_bench_{}", std::process::id());
        let (head, query) = match admin_url.split_once('?') {
            Some((h, q)) => (h, format!("?{q}")),
            None => (admin_url, String::new()),
        };
        let server = match head.rsplit_once('/') {
            Some((server, _)) if server.contains("//") && !server.ends_with('/') => server,
            _ => head.trim_end_matches('/'),
        };
        let url = format!("{server}/{name}{query}");
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(admin_url)
                .await
                .map_err(|e| Fail(format!("PostgreSQL at {admin_url}: {e}")))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut conn)
            .await
            .map_err(|e| Fail(format!("PostgreSQL: {e}")))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .map_err(|e| Fail(format!("PostgreSQL: {e}")))?;
            Ok::<_, Fail>(())
        })?;
        Ok(Self {
            admin_url: admin_url.to_string(),
            name,
            url,
        })
    }

    fn drop_now(&self, runtime: &tokio::runtime::Runtime) {
        let _ = runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await
        });
    }
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
    let limits = measure_limits(rounds, limit_time)?;

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

/// The limits as the best of `rounds` measurements: a ceiling, so a noisy neighbour during
/// one round lowers the scenarios' ratios rather than raising them.
fn measure_limits(rounds: usize, each: Duration) -> Result<Limits, Fail> {
    eprintln!("measuring the hardware limits ...");
    let mut rs256 = 0.0f64;
    let mut argon2 = 0.0f64;
    for _ in 0..rounds {
        rs256 = rs256.max(limits::signatures_per_second(
            cognate::crypto::jwt::Algorithm::Rs256,
            each,
        )?);
        argon2 = argon2.max(limits::argon2_per_second(each)?);
    }
    eprintln!("  RS256 {rs256:.0}/s, argon2id {argon2:.1}/s");
    Ok(Limits {
        cores: limits::cores(),
        rs256_signatures_per_s: rs256,
        argon2_hashes_per_s: argon2,
        argon2_parameters: limits::argon2_parameters(),
    })
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Scenario {
    name: &'static str,
    unit: &'static str,
    /// The limit, and how much of it one unit of rate uses.
    limit: Option<(&'static str, f64)>,
    script: Script,
    preamble: Preamble,
    load: Load,
}

fn run_scenario(
    server: &Server,
    work: &std::path::Path,
    limits_seen: (f64, f64),
    scenario: Scenario,
) -> Result<Row, Fail> {
    eprintln!("scenario: {} ...", scenario.name);
    server.reset_peak();
    let cpu_before = server.cpu_seconds();
    let outcome = load::run(
        work,
        &server.base,
        scenario.script,
        scenario.preamble,
        &scenario.load,
    )?;
    let cpu = server.cpu_seconds() - cpu_before;
    let peak = mib(server.memory_kib("VmHWM"));
    let rate = if scenario.unit == "flows/s" {
        outcome.units as f64 / outcome.seconds()
    } else {
        outcome.requests as f64 / outcome.seconds()
    };
    let ratio = scenario.limit.map(|(kind, per)| {
        let limit = if kind == "RS256" {
            limits_seen.0
        } else {
            limits_seen.1
        };
        rate * per / limit
    });
    let row = Row {
        scenario: scenario.name.into(),
        unit: scenario.unit.into(),
        rate,
        limit: scenario.limit.map(|(k, _)| k.to_string()),
        limit_work_per_unit: scenario.limit.map_or(0.0, |(_, per)| per),
        limit_ratio: ratio,
        requests: outcome.requests,
        p50_ms: ms(outcome.p50_us),
        p99_ms: ms(outcome.p99_us),
        errors: outcome.errors(),
        first_error: (!outcome.sample.is_empty()).then(|| outcome.sample.clone()),
        cpu_s_per_1000_requests: cpu / outcome.requests.max(1) as f64 * 1000.0,
        peak_rss_mb: peak,
    };
    eprintln!(
        "  {:.0} {}, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        row.rate, row.unit, row.p50_ms, row.p99_ms, row.errors
    );
    if let Some(sample) = &row.first_error {
        eprintln!("  first error: {sample}");
    }
    Ok(row)
}

fn static_load() -> Load {
    Load {
        threads: 2,
        connections: 64,
        duration: Duration::ZERO,
    }
}

fn stateful_load() -> Load {
    Load {
        threads: STATEFUL_CONNECTIONS,
        connections: STATEFUL_CONNECTIONS,
        duration: Duration::ZERO,
    }
}

fn common(seeded: &Seeded, browser: &BrowserId) -> Preamble {
    Preamble::default()
        .text("pool", &seeded.pool)
        .text("client_id", &seeded.web_id)
        .text("csrf", &browser.token)
        .text("csrf_cookie", &browser.cookie_header())
        .text("password", &seed::encode(seed::PASSWORD))
        .list("users", &seeded.users)
        .text("token_path", &format!("/{}/oauth2/token", seeded.pool))
        .text("login_path", &format!("/{}/login", seeded.pool))
        .text("signup_path", &format!("/{}/signup", seeded.pool))
        .text("authorize_path", &seed::authorize_path(seeded))
        .text("redirect_uri", &seed::encode(seed::CALLBACK))
        .text("verifier", &seeded.verifier)
}

fn pending(
    http: &Http,
    seeded: &Seeded,
    browser: &BrowserId,
    count: usize,
) -> Result<Vec<String>, Fail> {
    (0..count)
        .map(|n| http.pending_request(seeded, browser, n))
        .collect()
}

fn text_of(v: &Value, key: &str) -> Result<String, Fail> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Fail(format!("the token answer has no {key}")))
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
    let mut refresh_tokens = Vec::new();
    let mut access_token = String::new();
    for i in 0..STATEFUL_CONNECTIONS {
        let tokens = http.tokens(&seeded, &browser, &seeded.users[i % seeded.users.len()])?;
        refresh_tokens.push(text_of(&tokens, "refresh_token")?);
        access_token = text_of(&tokens, "access_token")?;
    }
    let sign_ins = (limits.argon2_hashes_per_s * duration.as_secs_f64() * 1.5) as usize + 64;
    let pending_ids = pending(&http, &seeded, &browser, sign_ins)?;
    let run_tag = format!("s{}", std::process::id());
    let limits_seen = (limits.rs256_signatures_per_s, limits.argon2_hashes_per_s);
    let with = |load: Load| Load { duration, ..load };
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", seeded.m2m_id, seeded.m2m_secret))
    };
    let pool = &seeded.pool;
    let scenarios = vec![
        Scenario {
            name: "JWKS",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "GET",
                &format!("/{pool}/.well-known/jwks.json"),
                &[],
                None,
            ),
            load: with(static_load()),
        },
        Scenario {
            name: "discovery",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "GET",
                &format!("/{pool}/.well-known/openid-configuration"),
                &[],
                None,
            ),
            load: with(static_load()),
        },
        Scenario {
            name: "client-credentials token",
            unit: "req/s",
            limit: Some(("RS256", 1.0)),
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "POST",
                &format!("/{pool}/oauth2/token"),
                &[
                    ("Authorization", &format!("Basic {basic}")),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                Some(&format!(
                    "grant_type=client_credentials&scope={}",
                    seed::encode(seed::SCOPE)
                )),
            ),
            load: with(static_load()),
        },
        Scenario {
            name: "userInfo",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "GET",
                &format!("/{pool}/oauth2/userInfo"),
                &[("Authorization", &format!("Bearer {access_token}"))],
                None,
            ),
            load: with(static_load()),
        },
        Scenario {
            name: "refresh-token grant",
            unit: "req/s",
            // An access token and an ID token: two signatures per grant.
            limit: Some(("RS256", 2.0)),
            script: Script::Refresh,
            preamble: common(&seeded, &browser).list("refresh_tokens", &refresh_tokens),
            load: with(stateful_load()),
        },
        Scenario {
            name: "hosted sign-in POST",
            unit: "req/s",
            limit: Some(("argon2", 1.0)),
            script: Script::SignIn,
            preamble: common(&seeded, &browser).list("pending", &pending_ids),
            load: with(stateful_load()),
        },
        Scenario {
            name: "auth-code + PKCE flow (3 requests)",
            unit: "flows/s",
            limit: Some(("argon2", 1.0)),
            script: Script::Flow,
            preamble: common(&seeded, &browser),
            load: with(stateful_load()),
        },
        Scenario {
            name: "sign-up POST",
            unit: "req/s",
            limit: Some(("argon2", 1.0)),
            script: Script::SignUp,
            preamble: common(&seeded, &browser).text("run_tag", &run_tag),
            load: with(stateful_load()),
        },
    ];
    let mut rows = Vec::new();
    for scenario in scenarios {
        if let Some(only) = &args.only
            && !scenario.name.to_lowercase().contains(&only.to_lowercase())
        {
            continue;
        }
        let row = run_scenario(&server, &work, limits_seen, scenario)?;
        rows.push(row);
    }

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
            scale_rows.push(scale_point(
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

/// Sign-in and filtered-list latency with one connection, so queueing does not hide the
/// cost of the lookups themselves.
#[allow(clippy::too_many_arguments)]
fn scale_point(
    server: &Server,
    work: &std::path::Path,
    http: &Http,
    seeded: &Seeded,
    browser: &BrowserId,
    users: u64,
    duration: Duration,
    admin_key: &str,
) -> Result<ScaleRow, Fail> {
    let one = Load {
        threads: 1,
        connections: 1,
        duration,
    };
    // One connection signs in at most once per hash time; be generous.
    let count = (duration.as_secs_f64() * 100.0) as usize + 32;
    let pending_ids = pending(http, seeded, browser, count)?;
    let sign_in: Outcome = load::run(
        work,
        &server.base,
        Script::SignIn,
        common(seeded, browser)
            .list("pending", &pending_ids)
            .number("user_count", users as usize),
        &one,
    )?;
    let list: Outcome = load::run(
        work,
        &server.base,
        Script::UserList,
        Preamble::default()
            .number("user_count", users as usize)
            .text(
                "list_path",
                &format!(
                    "/admin/v1/pools/{}/users?filter=email%20%3D%20%22",
                    seeded.pool
                ),
            )
            .raw(&format!(
                "admin_headers = {{[\"Authorization\"] = \"Bearer {admin_key}\"}}\n"
            )),
        &one,
    )?;
    let row = ScaleRow {
        users,
        sign_in_p50_ms: ms(sign_in.p50_us),
        user_list_p50_ms: ms(list.p50_us),
        errors: sign_in.errors() + list.errors(),
    };
    eprintln!(
        "  {users} users: sign-in p50 {:.2} ms, filtered list p50 {:.2} ms, {} errors {}{}",
        row.sign_in_p50_ms, row.user_list_p50_ms, row.errors, sign_in.sample, list.sample
    );
    Ok(row)
}
