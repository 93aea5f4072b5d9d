//! The Cognate process under test: started from the release binary with its own data
//! directory, watched through `/proc` (CPU time, resident memory), stopped with SIGTERM.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Fail;

pub struct Server {
    child: Child,
    pub base: String,
}

/// What the server is started with; the same for every start of one run.
#[derive(Clone)]
pub struct Launch {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub admin_key: String,
    pub port: u16,
}

impl Launch {
    pub fn new(
        binary: PathBuf,
        data_dir: PathBuf,
        database_url: Option<String>,
        admin_key: String,
    ) -> Result<Self, Fail> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Fail(format!("no free port: {e}")))?
            .port();
        Ok(Self {
            binary,
            data_dir,
            database_url,
            admin_key,
            port,
        })
    }

    /// Starts the server and waits for `/health/ready`; returns it with the time that took.
    pub fn start(&self) -> Result<(Server, Duration), Fail> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| Fail(format!("cannot open the server log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Fail(format!("cannot open the server log: {e}")))?;
        let base = format!("http://127.0.0.1:{}", self.port);
        let mut command = Command::new(&self.binary);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("COGNATE_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("COGNATE_PUBLIC_URL", &base)
            .env("COGNATE_DATA_DIR", &self.data_dir)
            .env("COGNATE_ADMIN_KEY", &self.admin_key)
            // The harness stands in for a proxy in front of many clients (X-Forwarded-For).
            .env("COGNATE_TRUSTED_PROXIES", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        if let Some(url) = &self.database_url {
            command.env("COGNATE_DATABASE_URL", url);
        }
        // The server logs at its default level unless the caller chose one.
        if let Some(filter) = std::env::var_os("RUST_LOG") {
            command.env("RUST_LOG", filter);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| Fail(format!("cannot start {}: {e}", self.binary.display())))?;
        let mut server = Server { child, base };
        let probe = ureq::AgentBuilder::new()
            .timeout(Duration::from_millis(500))
            .build();
        let ready_url = format!("{}/health/ready", server.base);
        loop {
            if let Ok(response) = probe.get(&ready_url).call()
                && response.status() == 200
            {
                return Ok((server, started.elapsed()));
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(Fail(format!(
                    "the server exited ({status}) before it was ready; see {}",
                    self.log_path().display()
                )));
            }
            if started.elapsed() > Duration::from_secs(60) {
                server.stop();
                return Err(Fail(format!(
                    "the server was not ready after 60 s; see {}",
                    self.log_path().display()
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU time the server has used, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
        (ticks(11) + ticks(12)) / clock_ticks_per_second()
    }

    /// A `/proc/<pid>/status` value in KiB (`VmRSS`, `VmHWM`).
    pub fn memory_kib(&self, field: &str) -> u64 {
        status_kib(format!("/proc/{}/status", self.pid()), field)
    }

    /// Resets the peak resident size to the current one, so each scenario reports its own peak.
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// SIGTERM, then wait for a graceful exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

fn status_kib(path: impl AsRef<Path>, field: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        // USER_HZ: 100 on every Linux architecture, but ask rather than assume.
        let out = Command::new("getconf").arg("CLK_TCK").output();
        out.ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}
