//! A real `cognate serve` process for the tests that must kill one: its port, and its JSON
//! log as it comes. Dropping it kills it (SIGKILL).

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::ADMIN_KEY;

pub struct Process {
    child: Child,
    log: Arc<Mutex<Vec<Value>>>,
    pub port: u16,
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Process {
    /// Starts `cognate` with the test admin key, cheap argon2, port 0, JSON logs and `env`
    /// (nothing else from the environment), and waits until it says it is ready.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cognate"));
        command
            .env_clear()
            .env("COGNATE_LISTEN", "127.0.0.1:0")
            .env("COGNATE_ADMIN_KEY", ADMIN_KEY)
            .env("COGNATE_PASSWORD_HASH_MEMORY_KIB", "64")
            .env("COGNATE_PASSWORD_HASH_ITERATIONS", "1")
            .env("COGNATE_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        // Reads the log to its end, so the process never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok)
            {
                if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                    lines.lock().unwrap().push(entry);
                }
            }
        });
        let mut process = Self {
            child,
            log,
            port: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = process.messages("cognate is ready");
            if let Some(port) = ready.first().and_then(|entry| entry["port"].as_u64()) {
                process.port = u16::try_from(port).unwrap();
                return process;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("cognate exited with {status} before it was ready");
            }
            assert!(Instant::now() < deadline, "cognate never said it was ready");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The log entries so far whose message is `message`.
    pub fn messages(&self, message: &str) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| entry["message"] == message)
            .cloned()
            .collect()
    }

    /// Every log line so far, as one text (to search for what must never be there).
    pub fn all_lines(&self) -> String {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The log entries so far from `target`.
    pub fn lines_with_target(&self, target: &str) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| entry["target"] == target)
            .cloned()
            .collect()
    }

    /// `kill -9`, and waits until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// An admin POST with the test key; the answer must be 201.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let url = format!("http://127.0.0.1:{}/admin/v1{path}", self.port);
        let answer = openidconnect::reqwest::Client::new()
            .post(&url)
            .bearer_auth(ADMIN_KEY)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201, "{url}");
        serde_json::from_str(&answer.text().await.unwrap()).unwrap()
    }
}
