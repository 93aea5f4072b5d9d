//! Drives wrk: a scenario is a Lua script (from `bench/lua/`) behind a preamble of values the
//! harness fills in; `common.lua`'s `done` prints one JSON line that is read back here.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::Fail;

const COMMON: &str = include_str!("../lua/common.lua");

pub enum Script {
    Static,
    Refresh,
    SignIn,
    Flow,
    SignUp,
    UserList,
    ApiSignIn,
}

impl Script {
    fn source(&self) -> &'static str {
        match self {
            Script::Static => include_str!("../lua/static.lua"),
            Script::Refresh => include_str!("../lua/refresh.lua"),
            Script::SignIn => include_str!("../lua/signin.lua"),
            Script::Flow => include_str!("../lua/flow.lua"),
            Script::SignUp => include_str!("../lua/signup.lua"),
            Script::UserList => include_str!("../lua/userlist.lua"),
            Script::ApiSignIn => include_str!("../lua/api_signin.lua"),
        }
    }
}

/// Values for a script's preamble.
#[derive(Default)]
pub struct Preamble(String);

/// A Lua string literal; the values the harness passes are URL-safe, but quote them properly.
fn lua_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Preamble {
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.0
            .push_str(&format!("{name} = {}\n", lua_string(value)));
        self
    }

    pub fn number(mut self, name: &str, value: usize) -> Self {
        self.0.push_str(&format!("{name} = {value}\n"));
        self
    }

    pub fn list(mut self, name: &str, values: &[String]) -> Self {
        let items: Vec<String> = values.iter().map(|v| lua_string(v)).collect();
        self.0
            .push_str(&format!("{name} = {{{}}}\n", items.join(",")));
        self
    }

    /// Lua source as is.
    pub fn raw(mut self, source: &str) -> Self {
        self.0.push_str(source);
        self
    }

    /// A fixed request (for `static.lua`).
    pub fn request(
        mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Self {
        self.0.push_str(&format!(
            "wrk.method = {}\nwrk.path = {}\n",
            lua_string(method),
            lua_string(path)
        ));
        for (name, value) in headers {
            self.0.push_str(&format!(
                "wrk.headers[{}] = {}\n",
                lua_string(name),
                lua_string(value)
            ));
        }
        if let Some(body) = body {
            self.0
                .push_str(&format!("wrk.body = {}\n", lua_string(body)));
        }
        self
    }
}

pub struct Load {
    pub threads: usize,
    pub connections: usize,
    pub duration: Duration,
}

#[derive(Debug, Deserialize)]
pub struct Outcome {
    pub requests: u64,
    pub duration_us: u64,
    /// Answers whose status or content was not what the scenario expects.
    pub bad: u64,
    /// Good answers, or finished flows for the flow scenario.
    pub units: u64,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub sample: String,
}

impl Outcome {
    /// Everything that went wrong: unexpected answers and socket errors.
    pub fn errors(&self) -> u64 {
        self.bad + self.connect + self.read + self.write + self.timeout
    }

    pub fn seconds(&self) -> f64 {
        self.duration_us as f64 / 1e6
    }
}

pub fn run(
    work_dir: &Path,
    base: &str,
    script: Script,
    preamble: Preamble,
    load: &Load,
) -> Result<Outcome, Fail> {
    let path = work_dir.join("scenario.lua");
    let mut source = preamble.0;
    source.push_str(&format!("threads_count = {}\n", load.threads));
    source.push_str(COMMON);
    source.push_str(script.source());
    std::fs::write(&path, source).map_err(|e| Fail(format!("cannot write the script: {e}")))?;
    let output = Command::new("wrk")
        .arg("-t")
        .arg(load.threads.to_string())
        .arg("-c")
        .arg(load.connections.to_string())
        .arg("-d")
        .arg(format!("{}s", load.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&path)
        .arg(base)
        .output()
        .map_err(|e| {
            Fail(format!(
                "cannot run wrk ({e}); install it with `apt-get install wrk` (see the README)"
            ))
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("COGNATE_BENCH "))
        .ok_or_else(|| {
            Fail(format!(
                "wrk printed no summary:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            ))
        })?;
    serde_json::from_str(line)
        .map_err(|e| Fail(format!("wrk's summary did not parse: {e}: {line}")))
}
