//! Seeding through the admin API, and the browser steps the load scripts start from:
//! pending authorization requests, and tokens from complete flows.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Fail;

pub const PASSWORD: &str = "Bench-Password-2026!";
pub const CALLBACK: &str = "http://127.0.0.1:9/callback";
pub const API: &str = "https://api.bench.example";
pub const SCOPE: &str = "https://api.bench.example/read";

/// Everything a run's scenarios need from seeding.
pub struct Seeded {
    pub pool: String,
    pub m2m_id: String,
    pub m2m_secret: String,
    pub web_id: String,
    pub users: Vec<String>,
    /// PKCE pair shared by every flow: each code is bound to the challenge it was asked with.
    pub verifier: String,
    pub challenge: String,
}

pub struct Http {
    agent: ureq::Agent,
    pub base: String,
    admin_key: String,
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of `name` in a URL's query string (values here are never percent-encoded).
pub fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

impl Http {
    pub fn new(base: &str, admin_key: &str) -> Self {
        Self {
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(120))
                .build(),
            base: base.to_string(),
            admin_key: admin_key.to_string(),
        }
    }

    fn answer(
        result: Result<ureq::Response, ureq::Error>,
        what: &str,
    ) -> Result<ureq::Response, Fail> {
        match result {
            Ok(response) => Ok(response),
            Err(ureq::Error::Status(code, response)) => Err(Fail(format!(
                "{what}: HTTP {code}: {}",
                response.into_string().unwrap_or_default()
            ))),
            Err(e) => Err(Fail(format!("{what}: {e}"))),
        }
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Fail> {
        let request = self
            .agent
            .request(method, &format!("{}/admin/v1{path}", self.base))
            .set("authorization", &format!("Bearer {}", self.admin_key));
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let response = Self::answer(result, &format!("{method} {path}"))?;
        if response.status() == 204 {
            return Ok(Value::Null);
        }
        response
            .into_json()
            .map_err(|e| Fail(format!("{method} {path}: {e}")))
    }

    /// Starts an authorization request and returns the pending request id it leads to.
    pub fn pending_request(&self, seeded: &Seeded) -> Result<String, Fail> {
        let response = Self::answer(
            self.agent
                .get(&format!("{}{}", self.base, authorize_path(seeded)))
                .call(),
            "authorize",
        )?;
        response
            .header("location")
            .and_then(|l| query_value(l, "request"))
            .ok_or_else(|| {
                Fail(format!(
                    "authorize answered {} without a sign-in page",
                    response.status()
                ))
            })
    }

    /// Signs `user` in on the hosted page for a pending request; returns the code.
    pub fn sign_in(&self, seeded: &Seeded, request: &str, user: &str) -> Result<String, Fail> {
        let csrf = random(32);
        let response = Self::answer(
            self.agent
                .post(&format!("{}/{}/login", self.base, seeded.pool))
                .set("cookie", &format!("cognate_csrf={csrf}"))
                .send_form(&[
                    ("csrf_token", &csrf),
                    ("request", request),
                    ("username", user),
                    ("password", PASSWORD),
                ]),
            "sign-in",
        )?;
        response
            .header("location")
            .and_then(|l| query_value(l, "code"))
            .ok_or_else(|| {
                Fail(format!(
                    "sign-in answered {} without a code",
                    response.status()
                ))
            })
    }

    /// A complete flow for `user`: the token endpoint's JSON answer.
    pub fn tokens(&self, seeded: &Seeded, user: &str) -> Result<Value, Fail> {
        let request = self.pending_request(seeded)?;
        let code = self.sign_in(seeded, &request, user)?;
        let response = Self::answer(
            self.agent
                .post(&format!("{}/{}/oauth2/token", self.base, seeded.pool))
                .send_form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", &seeded.web_id),
                    ("code", &code),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", &seeded.verifier),
                ]),
            "code exchange",
        )?;
        response
            .into_json()
            .map_err(|e| Fail(format!("code exchange: {e}")))
    }
}

pub fn authorize_path(seeded: &Seeded) -> String {
    format!(
        "/{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email%20{}&state=bench&code_challenge={}&code_challenge_method=S256",
        seeded.pool,
        seeded.web_id,
        encode(CALLBACK),
        encode(SCOPE),
        seeded.challenge
    )
}

/// A pool with a resource server, a confidential machine client with its custom scope, a
/// public web client for the code flow, and `users` users with real argon2id hashes (each
/// one is hashed by the server as it is created).
pub fn seed(http: &Http, users: usize) -> Result<Seeded, Fail> {
    let pool = http.admin("POST", "/pools", Some(json!({"name": "bench"})))?;
    let pool = pool["id"]
        .as_str()
        .ok_or_else(|| Fail("the pool has no id".into()))?
        .to_string();
    http.admin(
        "POST",
        &format!("/pools/{pool}/resource-servers"),
        Some(json!({"identifier": API, "name": "Bench API",
                    "scopes": [{"name": "read", "description": "Read"}]})),
    )?;
    let m2m = http.admin(
        "POST",
        &format!("/pools/{pool}/clients"),
        Some(json!({"name": "m2m", "generate_secret": true,
                    "allowed_oauth_flows": ["client_credentials"],
                    "allowed_oauth_scopes": [SCOPE]})),
    )?;
    let web = http.admin(
        "POST",
        &format!("/pools/{pool}/clients"),
        Some(json!({"name": "web", "generate_secret": false,
                    "callback_urls": [CALLBACK],
                    "allowed_oauth_flows": ["code"],
                    "allowed_oauth_scopes": ["openid", "email", SCOPE]})),
    )?;
    let text = |v: &Value, key: &str| {
        v[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Fail(format!("the client answer has no {key}")))
    };
    let mut names = Vec::with_capacity(users);
    for i in 0..users {
        let name = format!("bench{i}");
        http.admin(
            "POST",
            &format!("/pools/{pool}/users"),
            Some(
                json!({"username": name, "password": PASSWORD, "email_verified": true,
                        "attributes": {"email": format!("{name}@bench.example")}}),
            ),
        )?;
        names.push(name);
    }
    let verifier = random(64);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Ok(Seeded {
        m2m_id: text(&m2m, "client_id")?,
        m2m_secret: text(&m2m, "client_secret")?,
        web_id: text(&web, "client_id")?,
        pool,
        users: names,
        verifier,
        challenge,
    })
}

pub fn csrf_token() -> String {
    random(32)
}
