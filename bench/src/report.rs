//! The report: one Markdown table on stdout, and the same figures as JSON.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Limits {
    pub cores: usize,
    pub rs256_signatures_per_s: f64,
    pub argon2_hashes_per_s: f64,
    pub argon2_parameters: String,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: String,
    /// `req/s` or `flows/s`.
    pub unit: String,
    pub rate: f64,
    /// The limit this scenario is bound by (`rs256` or `argon2`), if any.
    pub limit: Option<String>,
    /// Signatures or hashes per unit of `rate`.
    pub limit_work_per_unit: f64,
    /// `rate * limit_work_per_unit / limit`.
    pub limit_ratio: Option<f64>,
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub cpu_s_per_1000_requests: f64,
    pub peak_rss_mb: f64,
}

#[derive(Debug, Serialize)]
pub struct ScaleRow {
    pub users: u64,
    pub sign_in_p50_ms: f64,
    pub user_list_p50_ms: f64,
    pub errors: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub date: String,
    pub engine: String,
    pub quick: bool,
    pub machine: String,
    pub load_generator: String,
    pub limits: Limits,
    pub startup_to_ready_ms: f64,
    pub idle_rss_mb: f64,
    pub scenarios: Vec<Row>,
    pub peak_rss_mb: f64,
    pub scale: Vec<ScaleRow>,
    pub scale_seeding: Option<String>,
    pub total_errors: u64,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "Cognate benchmark — {} — {}{}\n\n",
            self.engine,
            self.date,
            if self.quick { " (quick)" } else { "" }
        ));
        out.push_str(&format!("Machine: {}\n", self.machine));
        out.push_str(&format!("Load generator: {}\n\n", self.load_generator));
        out.push_str(&format!(
            "Limits on {} cores: RS256 {:.0} signatures/s; {} {:.1} hashes/s\n\n",
            self.limits.cores,
            self.limits.rs256_signatures_per_s,
            self.limits.argon2_parameters,
            self.limits.argon2_hashes_per_s
        ));
        out.push_str("| scenario | rate | vs limit | p50 ms | p99 ms | errors | server CPU s / 1k req | peak RSS MB |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.scenarios {
            let ratio = match (&r.limit, r.limit_ratio) {
                (Some(limit), Some(ratio)) => format!(
                    "{:.0}% of {limit}{}",
                    ratio * 100.0,
                    if r.limit_work_per_unit == 1.0 {
                        String::new()
                    } else {
                        format!(" (×{})", r.limit_work_per_unit)
                    }
                ),
                _ => "—".into(),
            };
            out.push_str(&format!(
                "| {} | {:.0} {} | {} | {:.2} | {:.2} | {} | {:.2} | {:.1} |\n",
                r.scenario,
                r.rate,
                r.unit,
                ratio,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.cpu_s_per_1000_requests,
                r.peak_rss_mb
            ));
        }
        out.push_str(&format!(
            "\nStart-up to ready on an existing database: {:.0} ms. Idle RSS: {:.1} MB. Peak RSS through all scenarios: {:.1} MB.\n",
            self.startup_to_ready_ms, self.idle_rss_mb, self.peak_rss_mb
        ));
        if !self.scale.is_empty() {
            out.push_str(&format!(
                "\nScale ({}):\n\n| users | sign-in p50 ms | filtered user list p50 ms | errors |\n|---:|---:|---:|---:|\n",
                self.scale_seeding.as_deref().unwrap_or("")
            ));
            for s in &self.scale {
                out.push_str(&format!(
                    "| {} | {:.2} | {:.2} | {} |\n",
                    s.users, s.sign_in_p50_ms, s.user_list_p50_ms, s.errors
                ));
            }
        }
        for r in self.scenarios.iter().filter(|r| r.errors > 0) {
            out.push_str(&format!(
                "\n{}: {} errors; first: {}\n",
                r.scenario,
                r.errors,
                r.first_error.as_deref().unwrap_or("(socket error)")
            ));
        }
        out
    }
}

/// The CPU model, core count, memory and kernel, read from `/proc`.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim())
        })
        .unwrap_or("unknown CPU")
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {} cores, {mem_gib:.0} GiB, Linux {}",
        crate::limits::cores(),
        kernel.trim()
    )
}
