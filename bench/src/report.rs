//! The report: one Markdown table on stdout, and the same figures as JSON.

use serde::Serialize;

use crate::limits::{Limits, Source};

#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: String,
    /// `req/s` or `flows/s`.
    pub unit: String,
    pub rate: f64,
    /// The limit this scenario is bound by (`RS256`, `ES256`, `EdDSA` or `argon2`), if any.
    pub limit: Option<String>,
    /// Whose figure that limit is: the machine's (`openssl speed`) or Cognate's.
    pub limit_source: Option<Source>,
    /// Signatures or hashes per second: the limit itself.
    pub limit_per_s: Option<f64>,
    /// Signatures or hashes per unit of `rate`.
    pub limit_work_per_unit: f64,
    /// `rate * limit_work_per_unit / limit_per_s`.
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
        out.push_str(&self.limits_markdown());
        out.push_str("| scenario | rate | vs limit | p50 ms | p99 ms | errors | server CPU s / 1k req | peak RSS MB |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.scenarios {
            let ratio = match (&r.limit, r.limit_ratio) {
                (Some(limit), Some(ratio)) => format!(
                    "{:.0}% of {limit}{}{}",
                    ratio * 100.0,
                    if r.limit_work_per_unit == 1.0 {
                        String::new()
                    } else {
                        format!(" (×{})", r.limit_work_per_unit)
                    },
                    // Only a signing limit can fall back; say so where the figure is read.
                    if matches!(limit.as_str(), "RS256" | "ES256" | "EdDSA")
                        && r.limit_source == Some(Source::Cognate)
                    {
                        " (Cognate's signer)"
                    } else {
                        ""
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

    /// Both signing limits per algorithm, the hashing limit, and which ones *vs limit* uses.
    fn limits_markdown(&self) -> String {
        let l = &self.limits;
        let mut out = format!(
            "Limits on {} cores:\n\n| limit | the machine's (`openssl speed -multi {}`) | Cognate's, all cores |\n|---|---:|---:|\n",
            l.cores, l.cores
        );
        for s in &l.signing {
            let machine = match s.machine_signatures_per_s {
                Some(rate) => format!("{rate:.0} ({})", s.openssl_speed),
                None => "—".into(),
            };
            out.push_str(&format!(
                "| {} signatures/s | {machine} | {:.0} |\n",
                s.algorithm, s.cognate_signatures_per_s
            ));
        }
        out.push_str(&format!(
            "| {} hashes/s | — | {:.1} |\n\n",
            l.argon2_parameters, l.argon2_hashes_per_s
        ));
        let missing: Vec<_> = l
            .signing
            .iter()
            .filter(|s| s.machine_signatures_per_s.is_none())
            .collect();
        match &l.openssl_version {
            Some(version) => {
                out.push_str(&format!(
                    "*vs limit*: signing scenarios against the machine's limit ({version}){}, hashing ones against Cognate's hasher.\n",
                    if missing.is_empty() { "" } else { " where there is one" }
                ));
                for s in &missing {
                    out.push_str(&format!(
                        "No machine limit for {}: {}. Its scenarios are measured against Cognate's signer.\n",
                        s.algorithm,
                        s.machine_missing.as_deref().unwrap_or("no figure")
                    ));
                }
            }
            None => out.push_str(&format!(
                "No machine limits: {}. *vs limit*: signing scenarios against Cognate's signer, hashing ones against Cognate's hasher.\n",
                missing
                    .first()
                    .and_then(|s| s.machine_missing.as_deref())
                    .unwrap_or("openssl is not installed")
            )),
        }
        // aws-lc can be faster than the machine's OpenSSL (Ed25519 above all): then the
        // machine's figure is no ceiling, and say so before a ratio above 100% puzzles anyone.
        for s in &l.signing {
            if let Some(machine) = s.machine_signatures_per_s
                && s.cognate_signatures_per_s > machine
            {
                out.push_str(&format!(
                    "Cognate's signer outran openssl for {} ({:.0} against {machine:.0}/s): its *vs limit* can pass 100%.\n",
                    s.algorithm, s.cognate_signatures_per_s
                ));
            }
        }
        out.push('\n');
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

/// Reports `scenario` against `baseline`'s rate in the same run (its limit is that
/// scenario, not a machine figure).
pub fn relative_to(rows: &mut [Row], scenario: &str, baseline: &str) {
    let Some(base) = rows.iter().find(|r| r.scenario == baseline).map(|r| r.rate) else {
        return;
    };
    if let Some(row) = rows.iter_mut().find(|r| r.scenario == scenario) {
        row.limit = Some(baseline.to_string());
        row.limit_source = Some(Source::Cognate);
        row.limit_per_s = Some(base);
        row.limit_work_per_unit = 1.0;
        row.limit_ratio = Some(row.rate / base.max(1e-9));
    }
}
