//! The request scenarios: what each one sends, the limit it is bound by, what it starts
//! from, and running one under wrk into a report row.

use std::path::Path;
use std::time::Duration;

use cognate::crypto::jwt::Algorithm;
use serde_json::Value;

use crate::Fail;
use crate::limits::{Bound, Limits};
use crate::load::{self, Load, Preamble, Script};
use crate::report::Row;
use crate::seed::{self, BrowserId, Http, MachineClient, Seeded};
use crate::server::Server;

/// wrk threads for the scenarios that keep state per connection (one connection each).
pub const STATEFUL_CONNECTIONS: usize = 8;

pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub struct Scenario {
    pub name: &'static str,
    pub unit: &'static str,
    /// The limit, and how much of it one unit of rate uses.
    pub limit: Option<(Bound, f64)>,
    pub script: Script,
    pub preamble: Preamble,
    pub load: Load,
}

pub fn run_scenario(
    server: &Server,
    work: &Path,
    limits: &Limits,
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
    let limit = scenario.limit.map(|(bound, per)| (limits.of(bound), per));
    let row = Row {
        scenario: scenario.name.into(),
        unit: scenario.unit.into(),
        rate,
        limit: limit.map(|(l, _)| l.name.to_string()),
        limit_source: limit.map(|(l, _)| l.source),
        limit_per_s: limit.map(|(l, _)| l.per_s),
        limit_work_per_unit: limit.map_or(0.0, |(_, per)| per),
        limit_ratio: limit.map(|(l, per)| rate * per / l.per_s),
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

pub fn common(seeded: &Seeded, browser: &BrowserId) -> Preamble {
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

pub fn pending(
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

/// What the stateful scenarios start from, made on the running server before the first one.
pub struct Inputs {
    refresh_tokens: Vec<String>,
    access_token: String,
    /// An access token from the Cognito API's `InitiateAuth` (for `GetUser`).
    api_access_token: String,
    pending_ids: Vec<String>,
    run_tag: String,
    admin_key: String,
    /// `Authorization` and `X-Amz-Date` of a SigV4-signed `GET /admin/v1/pools/{pool}` by a
    /// user whose one policy has 10 statements. Valid for the 5 minutes of allowed skew.
    signed_pool_get: Vec<(String, String)>,
}

impl Inputs {
    pub fn prepare(
        http: &Http,
        seeded: &Seeded,
        browser: &BrowserId,
        limits: &Limits,
        duration: Duration,
    ) -> Result<Self, Fail> {
        let mut refresh_tokens = Vec::new();
        let mut access_token = String::new();
        for i in 0..STATEFUL_CONNECTIONS {
            let tokens = http.tokens(seeded, browser, &seeded.users[i % seeded.users.len()])?;
            refresh_tokens.push(text_of(&tokens, "refresh_token")?);
            access_token = text_of(&tokens, "access_token")?;
        }
        let sign_ins = (limits.argon2_hashes_per_s * duration.as_secs_f64() * 1.5) as usize + 64;
        let pending_ids = pending(http, seeded, browser, sign_ins)?;
        let signed_pool_get = crate::admin::signed_reader(http, seeded)?;
        let signed_in = http.cognito("InitiateAuth", initiate_auth_body(seeded))?;
        let api_access_token = signed_in["AuthenticationResult"]["AccessToken"]
            .as_str()
            .ok_or_else(|| Fail(format!("InitiateAuth gave no access token: {signed_in}")))?
            .to_string();
        Ok(Self {
            refresh_tokens,
            access_token,
            api_access_token,
            pending_ids,
            run_tag: format!("s{}", std::process::id()),
            admin_key: http.admin_key().to_string(),
            signed_pool_get,
        })
    }
}

/// `InitiateAuth` with `USER_PASSWORD_AUTH` for the first seeded user.
fn initiate_auth_body(seeded: &Seeded) -> Value {
    serde_json::json!({
        "ClientId": seeded.web_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": seeded.users[0], "PASSWORD": seed::PASSWORD},
    })
}

/// The Cognito API's headers for `operation`.
fn cognito_headers(operation: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/x-amz-json-1.1".to_string()),
        (
            "X-Amz-Target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        ),
    ]
}

/// The scenario whose rate `GetUser`'s is reported against: the same token checks and
/// user read behind the OAuth door.
pub const GET_USER: &str = "GetUser (Cognito API)";
pub const GET_USER_BASELINE: &str = "userInfo";

/// Every scenario, in the order they run.
pub fn all(
    seeded: &Seeded,
    browser: &BrowserId,
    inputs: &Inputs,
    duration: Duration,
) -> Vec<Scenario> {
    let with = |load: Load| Load { duration, ..load };
    let pool = &seeded.pool;
    let mut scenarios = vec![
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
    ];
    // Signed at preparation: these run first, well within SigV4's five minutes.
    let pool_path = format!("/admin/v1/pools/{pool}");
    let root = format!("Bearer {}", inputs.admin_key);
    let signed: Vec<(&str, &str)> = inputs
        .signed_pool_get
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    scenarios.insert(
        0,
        Scenario {
            name: "admin GET pool, root key",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "GET",
                &pool_path,
                &[("Authorization", &root)],
                None,
            ),
            load: with(static_load()),
        },
    );
    scenarios.insert(
        1,
        Scenario {
            name: "admin GET pool, SigV4 (10-statement policy)",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default()
                .number("expected", 200)
                .request("GET", &pool_path, &signed, None),
            load: with(static_load()),
        },
    );
    scenarios.extend(
        seeded
            .m2m
            .iter()
            .map(|client| client_credentials(client, duration)),
    );
    scenarios.extend([
        Scenario {
            name: "userInfo",
            unit: "req/s",
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "GET",
                &format!("/{pool}/oauth2/userInfo"),
                &[("Authorization", &format!("Bearer {}", inputs.access_token))],
                None,
            ),
            load: with(static_load()),
        },
        Scenario {
            name: GET_USER,
            unit: "req/s",
            // Reported against userInfo's rate after the run (`report::relative_to`).
            limit: None,
            script: Script::Static,
            preamble: Preamble::default().number("expected", 200).request(
                "POST",
                "/",
                &as_refs(&cognito_headers("GetUser")),
                Some(&serde_json::json!({"AccessToken": inputs.api_access_token}).to_string()),
            ),
            load: with(static_load()),
        },
        Scenario {
            name: "InitiateAuth USER_PASSWORD_AUTH",
            unit: "req/s",
            // One argon2 verification per sign-in (and two signatures, far cheaper).
            limit: Some((Bound::Hashing, 1.0)),
            script: Script::ApiSignIn,
            preamble: common(seeded, browser).text("api_password", seed::PASSWORD),
            load: with(stateful_load()),
        },
        Scenario {
            name: "refresh-token grant",
            unit: "req/s",
            // An access token and an ID token: two signatures per grant.
            limit: Some((Bound::Signing(Algorithm::Rs256), 2.0)),
            script: Script::Refresh,
            preamble: common(seeded, browser).list("refresh_tokens", &inputs.refresh_tokens),
            load: with(stateful_load()),
        },
        Scenario {
            name: "hosted sign-in POST",
            unit: "req/s",
            limit: Some((Bound::Hashing, 1.0)),
            script: Script::SignIn,
            preamble: common(seeded, browser).list("pending", &inputs.pending_ids),
            load: with(stateful_load()),
        },
        Scenario {
            name: "auth-code + PKCE flow (3 requests)",
            unit: "flows/s",
            limit: Some((Bound::Hashing, 1.0)),
            script: Script::Flow,
            preamble: common(seeded, browser),
            load: with(stateful_load()),
        },
        Scenario {
            name: "sign-up POST",
            unit: "req/s",
            limit: Some((Bound::Hashing, 1.0)),
            script: Script::SignUp,
            preamble: common(seeded, browser).text("run_tag", &inputs.run_tag),
            load: with(stateful_load()),
        },
    ]);
    scenarios
}

fn as_refs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// The client-credentials grant from `client`: one signature per token, with its pool's
/// algorithm. RS256's is in the main pool and keeps its original name.
fn client_credentials(client: &MachineClient, duration: Duration) -> Scenario {
    Scenario {
        name: match client.algorithm {
            Algorithm::Rs256 => "client-credentials token",
            Algorithm::Es256 => "client-credentials token (ES256 pool)",
            Algorithm::EdDsa => "client-credentials token (EdDSA pool)",
        },
        unit: "req/s",
        limit: Some((Bound::Signing(client.algorithm), 1.0)),
        script: Script::Static,
        preamble: Preamble::default().number("expected", 200).request(
            "POST",
            &format!("/{}/oauth2/token", client.pool),
            &[
                ("Authorization", &client.authorization()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(&format!(
                "grant_type=client_credentials&scope={}",
                seed::encode(seed::SCOPE)
            )),
        ),
        load: Load {
            duration,
            ..static_load()
        },
    }
}
