//! Seeding through the admin API, and the browser steps the load scripts start from:
//! pending authorization requests, and tokens from complete flows.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognate::crypto::jwt::Algorithm;
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
    /// One per algorithm, in `Algorithm::ALL`'s order: RS256 in `pool`, each other one in a
    /// pool of its own that signs with it.
    pub m2m: Vec<MachineClient>,
    pub web_id: String,
    pub users: Vec<String>,
    /// PKCE pair shared by every flow: each code is bound to the challenge it was asked with.
    pub verifier: String,
    pub challenge: String,
}

/// A confidential client_credentials client, allowed its resource server's custom scope, in
/// a pool that signs with `algorithm`.
pub struct MachineClient {
    pub algorithm: Algorithm,
    pub pool: String,
    pub id: String,
    pub secret: String,
}

impl MachineClient {
    /// The `Authorization` header it sends (client_secret_basic).
    pub fn authorization(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.id, self.secret))
        )
    }
}

pub struct Http {
    agent: ureq::Agent,
    pub base: String,
    admin_key: String,
}

/// A browser as the hosted pages know it: the CSRF cookie the server set, and the signed
/// token its forms carry. Pending requests belong to the browser that started them.
#[derive(Debug, Clone)]
pub struct BrowserId {
    pub cookie: String,
    pub token: String,
}

impl BrowserId {
    pub fn cookie_header(&self) -> String {
        format!("cognate_csrf={}", self.cookie)
    }
}

/// A distinct client address for the `n`th request made through the trusted proxy (the
/// harness is the proxy: the server trusts 127.0.0.1), so per-address limits see many
/// clients, as a real deployment would.
pub fn client_address(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A random admin key for one run.
pub fn admin_key() -> String {
    random(32)
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

    pub fn admin_key(&self) -> &str {
        &self.admin_key
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

    /// One operation of the Cognito-compatible API, unsigned.
    pub fn cognito(&self, operation: &str, body: Value) -> Result<Value, Fail> {
        let result = self
            .agent
            .post(&format!("{}/", self.base))
            .set("content-type", "application/x-amz-json-1.1")
            .set(
                "x-amz-target",
                &format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .send_json(body);
        Self::answer(result, operation)?
            .into_json()
            .map_err(|e| Fail(format!("{operation}: {e}")))
    }

    /// A browser identity from a hosted page.
    pub fn browser(&self, seeded: &Seeded) -> Result<BrowserId, Fail> {
        let response = Self::answer(
            self.agent
                .get(&format!("{}/{}/forgot-password", self.base, seeded.pool))
                .call(),
            "forgot-password page",
        )?;
        let cookie = response
            .all("set-cookie")
            .into_iter()
            .find_map(|c| c.strip_prefix("cognate_csrf="))
            .and_then(|c| c.split(';').next())
            .map(str::to_string)
            .ok_or_else(|| Fail("the hosted page set no CSRF cookie".into()))?;
        let body = response
            .into_string()
            .map_err(|e| Fail(format!("forgot-password page: {e}")))?;
        let token = body
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_string)
            .ok_or_else(|| Fail("the hosted page has no CSRF token".into()))?;
        Ok(BrowserId { cookie, token })
    }

    /// Starts an authorization request in `browser`, as client `n`, and returns the pending
    /// request id it leads to.
    pub fn pending_request(
        &self,
        seeded: &Seeded,
        browser: &BrowserId,
        n: usize,
    ) -> Result<String, Fail> {
        let response = Self::answer(
            self.agent
                .get(&format!("{}{}", self.base, authorize_path(seeded)))
                .set("cookie", &browser.cookie_header())
                .set("x-forwarded-for", &client_address(n))
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
    pub fn sign_in(
        &self,
        seeded: &Seeded,
        browser: &BrowserId,
        request: &str,
        user: &str,
    ) -> Result<String, Fail> {
        let response = Self::answer(
            self.agent
                .post(&format!("{}/{}/login", self.base, seeded.pool))
                .set("cookie", &browser.cookie_header())
                .send_form(&[
                    ("csrf_token", &browser.token),
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
    pub fn tokens(&self, seeded: &Seeded, browser: &BrowserId, user: &str) -> Result<Value, Fail> {
        let request = self.pending_request(seeded, browser, 0)?;
        let code = self.sign_in(seeded, browser, &request, user)?;
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

    /// Fails unless a token `client` is given says in its header that its pool signs with
    /// the algorithm it was created with: otherwise its scenario would measure another one.
    pub fn check_signing(&self, client: &MachineClient) -> Result<(), Fail> {
        let what = format!(
            "client-credentials token from the {} pool",
            client.algorithm
        );
        let answer: Value = Self::answer(
            self.agent
                .post(&format!("{}/{}/oauth2/token", self.base, client.pool))
                .set("authorization", &client.authorization())
                .send_form(&[("grant_type", "client_credentials"), ("scope", SCOPE)]),
            &what,
        )?
        .into_json()
        .map_err(|e| Fail(format!("{what}: {e}")))?;
        let alg = answer["access_token"]
            .as_str()
            .and_then(|token| token.split('.').next())
            .and_then(|header| URL_SAFE_NO_PAD.decode(header).ok())
            .and_then(|header| serde_json::from_slice::<Value>(&header).ok())
            .and_then(|header| header["alg"].as_str().map(str::to_string));
        match alg {
            Some(alg) if alg == client.algorithm.as_str() => Ok(()),
            alg => Err(Fail(format!(
                "{what}: signed with {}",
                alg.as_deref().unwrap_or("no readable algorithm")
            ))),
        }
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
/// one is hashed by the server as it is created). Then, for each other signing algorithm, a
/// pool that signs with it, with the same resource server and machine client.
pub fn seed(http: &Http, users: usize) -> Result<Seeded, Fail> {
    let pool = http.admin("POST", "/pools", Some(json!({"name": "bench"})))?;
    let pool = text(&pool, "id", "pool")?;
    let mut m2m = vec![machine_client(http, &pool, Algorithm::Rs256)?];
    let web = http.admin(
        "POST",
        &format!("/pools/{pool}/clients"),
        Some(json!({"name": "web", "generate_secret": false,
                    "callback_urls": [CALLBACK],
                    "allowed_oauth_flows": ["code"],
                    "allowed_oauth_scopes": ["openid", "email", SCOPE],
                    "explicit_auth_flows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})),
    )?;
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
    for alg in Algorithm::ALL
        .into_iter()
        .filter(|a| *a != Algorithm::Rs256)
    {
        let name = format!("bench-{}", alg.as_str().to_lowercase());
        let other = http.admin(
            "POST",
            "/pools",
            Some(json!({"name": name, "token_signing_algorithm": alg.as_str()})),
        )?;
        m2m.push(machine_client(http, &text(&other, "id", "pool")?, alg)?);
    }
    for client in &m2m {
        http.check_signing(client)?;
    }
    let verifier = random(64);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Ok(Seeded {
        m2m,
        web_id: text(&web, "client_id", "client")?,
        pool,
        users: names,
        verifier,
        challenge,
    })
}

/// `pool`'s resource server and its confidential client_credentials client.
fn machine_client(http: &Http, pool: &str, algorithm: Algorithm) -> Result<MachineClient, Fail> {
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
    Ok(MachineClient {
        algorithm,
        pool: pool.to_string(),
        id: text(&m2m, "client_id", "client")?,
        secret: text(&m2m, "client_secret", "client")?,
    })
}

fn text(v: &Value, key: &str, what: &str) -> Result<String, Fail> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Fail(format!("the {what} answer has no {key}")))
}
