//! Federation fixtures. `Federation`: a downstream Cognate whose pool trusts a second,
//! independent Cognate as the OpenID Connect provider "Corp", with an upstream user carol.
//! `FakeIdp`: a small hand-written provider whose tokens a test can spoil in the ways a real
//! Cognate never would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::browser::{
    Browser, CALLBACK, Page, WebApp, authority, authorize_url, claims_of, hidden_fields, query_of,
    redeem,
};
use crate::helpers::{Answer, Backend, PASSWORD, TestApp, path_segment, spawn_app};

/// The provider's name on the downstream pool.
pub const PROVIDER: &str = "Corp";
/// The upstream user every journey signs in as.
pub const UPSTREAM_USER: &str = "carol";

pub struct Federation {
    /// The relying party: the pool the web app signs in to.
    pub down: TestApp,
    /// The OpenID Connect provider, a Cognate of its own.
    pub up: TestApp,
    /// The downstream pool and its web client (public, callback `CALLBACK`).
    pub web: WebApp,
    pub up_pool: String,
    pub up_issuer: String,
    pub up_client_id: String,
    pub up_secret: String,
    /// carol's `sub` upstream.
    pub carol_sub: String,
    /// The answer that created the provider.
    pub provider: Value,
}

/// What a test changes in the standard set-up.
pub struct Setup {
    backend: Backend,
    pool: Value,
    provider: Value,
    supported: Value,
}

impl Setup {
    /// Downstream pool fields, added to the fixture's (a `dept` custom attribute).
    pub fn pool(mut self, extra: Value) -> Self {
        self.pool = extra;
        self
    }

    /// Fields of the provider's create body: each replaces the fixture's, except `details`,
    /// whose fields replace the fixture's one by one.
    pub fn provider(mut self, overrides: Value) -> Self {
        self.provider = overrides;
        self
    }

    /// The web client's `supported_identity_providers` (default `["COGNITO", "Corp"]`).
    pub fn supported(mut self, names: &[&str]) -> Self {
        self.supported = json!(names);
        self
    }

    pub async fn start(self) -> Federation {
        // The upstream is only an OpenID provider to the pool under test: its own storage
        // engine is not what a test checks, so it runs on SQLite (a PostgreSQL database
        // per upstream would double the set-up of every PostgreSQL test).
        let (down, up) = tokio::join!(spawn_app(self.backend), spawn_app(Backend::Sqlite));
        let mut pool = json!({"schema": [{"name": "dept", "type": "string"}]});
        extend(&mut pool, &self.pool);
        let pool_id = down.create_pool("web", pool).await;
        let issuer = format!("http://localhost:{}/{pool_id}", down.port);
        down.admin(
            "POST",
            &format!("/pools/{pool_id}/users"),
            Some(
                json!({"username": "alice", "password": PASSWORD, "email_verified": true,
                        "attributes": {"email": "alice@example.com", "name": "Alice Liddell"}}),
            ),
        )
        .await
        .expect(201);

        let up_pool = up
            .create_pool(
                "corp",
                json!({"schema": [{"name": "department", "type": "string"}]}),
            )
            .await;
        let up_issuer = format!("http://localhost:{}/{up_pool}", up.port);
        let up_client = up
            .admin(
                "POST",
                &format!("/pools/{up_pool}/clients"),
                Some(json!({"name": "downstream", "generate_secret": true,
                            "callback_urls": [format!("{issuer}/oauth2/idpresponse")],
                            "logout_urls": [format!("{issuer}/oauth2/idplogout")],
                            "allowed_oauth_flows": ["code"],
                            "allowed_oauth_scopes": ["openid", "email", "profile"]})),
            )
            .await
            .expect(201);
        let up_client_id = up_client["client_id"].as_str().unwrap().to_string();
        let up_secret = up_client["client_secret"].as_str().unwrap().to_string();
        let carol = up
            .admin(
                "POST",
                &format!("/pools/{up_pool}/users"),
                Some(
                    json!({"username": UPSTREAM_USER, "password": PASSWORD, "email_verified": true,
                            "attributes": {"email": "carol@example.com", "name": "Carol Upstream",
                                           "custom:department": "R&D"}}),
                ),
            )
            .await
            .expect(201);

        let mut body = json!({
            "name": PROVIDER, "type": "OIDC",
            "details": {"issuer": up_issuer, "client_id": up_client_id, "client_secret": up_secret,
                        "authorize_scopes": "openid email profile"},
            // An upstream Cognate names its custom attributes `custom:…` in its tokens.
            "attribute_mapping": {"email": "email", "email_verified": "email_verified",
                                  "name": "name", "custom:dept": "custom:department"},
        });
        if let Some(overrides) = self.provider.as_object() {
            for (key, value) in overrides {
                if key == "details" {
                    extend(&mut body["details"], value);
                } else {
                    body[key] = value.clone();
                }
            }
        }
        let provider = down
            .admin(
                "POST",
                &format!("/pools/{pool_id}/identity-providers"),
                Some(body),
            )
            .await
            .expect(201);

        let client = down
            .admin(
                "POST",
                &format!("/pools/{pool_id}/clients"),
                Some(json!({"name": "web", "generate_secret": false,
                            "callback_urls": [CALLBACK],
                            "logout_urls": ["http://localhost:3000/bye"],
                            "allowed_oauth_flows": ["code"],
                            "allowed_oauth_scopes": ["openid", "email", "profile"],
                            "supported_identity_providers": self.supported})),
            )
            .await
            .expect(201);
        Federation {
            web: WebApp {
                pool: pool_id,
                issuer,
                client_id: client["client_id"].as_str().unwrap().to_string(),
                secret: None,
                callback: CALLBACK.to_string(),
            },
            down,
            up,
            up_pool,
            up_issuer,
            up_client_id,
            up_secret,
            carol_sub: carol["sub"].as_str().unwrap().to_string(),
            provider,
        }
    }
}

/// Adds `extra`'s fields to the object `target`.
fn extend(target: &mut Value, extra: &Value) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        t.extend(e.clone());
    }
}

impl Federation {
    pub fn builder(backend: Backend) -> Setup {
        Setup {
            backend,
            pool: json!({}),
            provider: json!({}),
            supported: json!(["COGNITO", PROVIDER]),
        }
    }

    pub async fn start(backend: Backend) -> Self {
        Self::builder(backend).start().await
    }

    /// A fresh browser that may follow redirects between both apps.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.down).with_host(&self.up.address)
    }

    /// The downstream username of an upstream user.
    pub fn username_of(&self, upstream_sub: &str) -> String {
        format!("{PROVIDER}_{upstream_sub}")
    }

    /// carol's downstream username.
    pub fn username(&self) -> String {
        self.username_of(&self.carol_sub)
    }

    /// The group every user of the provider is in.
    pub fn group(&self) -> String {
        format!("{}_{PROVIDER}", self.web.pool)
    }

    /// Every user of the downstream pool.
    pub async fn users(&self) -> Vec<Value> {
        self.down
            .list_all(&format!("/pools/{}/users", self.web.pool), 60)
            .await
    }

    /// A downstream user as the admin API shows it.
    pub async fn user(&self, username: &str) -> Answer {
        self.down
            .admin(
                "GET",
                &format!("/pools/{}/users/{}", self.web.pool, path_segment(username)),
                None,
            )
            .await
    }

    /// Changes an upstream user through the upstream's admin API.
    pub async fn patch_upstream_user(&self, username: &str, patch: Value) {
        self.up
            .admin(
                "PATCH",
                &format!("/pools/{}/users/{username}", self.up_pool),
                Some(patch),
            )
            .await
            .expect(200);
    }

    /// Another downstream client on the pool, with these `supported_identity_providers`
    /// (the server's default when `None`).
    pub async fn add_client(&self, supported: Option<&[&str]>) -> WebApp {
        let name = format!("other-{}", uuid::Uuid::new_v4().simple());
        let mut body = json!({"name": name, "callback_urls": [CALLBACK],
                              "allowed_oauth_flows": ["code"],
                              "allowed_oauth_scopes": ["openid", "email", "profile"]});
        if let Some(names) = supported {
            body["supported_identity_providers"] = json!(names);
        }
        let client = self
            .down
            .admin(
                "POST",
                &format!("/pools/{}/clients", self.web.pool),
                Some(body),
            )
            .await
            .expect(201);
        WebApp {
            client_id: client["client_id"].as_str().unwrap().to_string(),
            secret: None,
            ..self.web_clone()
        }
    }

    fn web_clone(&self) -> WebApp {
        WebApp {
            pool: self.web.pool.clone(),
            issuer: self.web.issuer.clone(),
            client_id: self.web.client_id.clone(),
            secret: self.web.secret.clone(),
            callback: self.web.callback.clone(),
        }
    }

    /// Downstream authorize (with `extra`) → "Continue with Corp" → carol at the upstream's
    /// form → back through idpresponse. Returns the last page (on success the redirect to
    /// the app's callback) and the PKCE verifier of the app's request.
    pub async fn sign_in_upstream(
        &self,
        browser: &Browser,
        extra: &[(&str, &str)],
    ) -> (Page, String) {
        self.sign_in_upstream_as(browser, extra, UPSTREAM_USER)
            .await
    }

    pub async fn sign_in_upstream_as(
        &self,
        browser: &Browser,
        extra: &[(&str, &str)],
        username: &str,
    ) -> (Page, String) {
        let (url, verifier) = authorize_url(&self.web, extra);
        let first = browser.get(&url).await;
        (self.walk(browser, first, username, false).await, verifier)
    }

    /// As `sign_in_upstream`, stopping before the upstream's redirect to idpresponse: the
    /// absolute callback URL (with the upstream's `code` and `state`), not yet opened.
    pub async fn upstream_callback(&self, browser: &Browser, extra: &[(&str, &str)]) -> String {
        let (url, _) = authorize_url(&self.web, extra);
        let first = browser.get(&url).await;
        let page = self.walk(browser, first, UPSTREAM_USER, true).await;
        let location = page
            .location
            .as_deref()
            .unwrap_or_else(|| panic!("no redirect to idpresponse: {} {}", page.status, page.body));
        let url = browser.resolve(&page.url, location);
        assert!(url.contains("/oauth2/idpresponse?"), "{url}");
        url
    }

    /// Takes the browser from `page` through the flow: the provider's button on the
    /// downstream login page, `username`'s password on the upstream's, and the redirects
    /// between. Returns the first page that is none of those.
    pub async fn walk(
        &self,
        browser: &Browser,
        mut page: Page,
        username: &str,
        stop_at_callback: bool,
    ) -> Page {
        let upstream = authority(&self.up.address);
        for _ in 0..4 {
            page = browser
                .follow_until(page, 10, |next| {
                    stop_at_callback && next.contains("/oauth2/idpresponse")
                })
                .await;
            if page.status != 200 {
                return page;
            }
            let on_upstream = authority(&page.url) == upstream;
            let has_button = hidden_fields(&page.body)
                .iter()
                .any(|(n, v)| n == "identity_provider" && v == PROVIDER);
            page = if !on_upstream && has_button {
                browser
                    .submit_with(&page, ("identity_provider", PROVIDER), &[])
                    .await
            } else if on_upstream && page.body.contains(r#"name="password""#) {
                browser
                    .submit_containing(
                        &page,
                        r#"name="password""#,
                        &[("username", username), ("password", PASSWORD)],
                    )
                    .await
            } else {
                return page;
            };
        }
        page
    }

    /// A federated sign-in whose code the app redeems; returns the token answer.
    pub async fn tokens(&self, browser: &Browser, extra: &[(&str, &str)]) -> Value {
        let (done, verifier) = self.sign_in_upstream(browser, extra).await;
        let code = code_of(&done);
        redeem(&self.down, &self.web, &code, &verifier)
            .await
            .expect(200)
    }

    /// The claims of the downstream ID token of a federated sign-in in a fresh browser.
    pub async fn id_claims(&self) -> Value {
        let tokens = self.tokens(&self.browser(), &[]).await;
        claims_of(tokens["id_token"].as_str().unwrap())
    }

    /// Registers `fake` as the provider "Fake" and lets the web client use it.
    pub async fn attach(&self, fake: &FakeIdp) {
        self.down
            .admin(
                "POST",
                &format!("/pools/{}/identity-providers", self.web.pool),
                Some(json!({"name": "Fake", "type": "OIDC",
                            "details": {"issuer": fake.issuer, "client_id": FAKE_CLIENT,
                                        "client_secret": FAKE_SECRET},
                            "attribute_mapping": {"email": "email"}})),
            )
            .await
            .expect(201);
        self.down
            .admin(
                "PATCH",
                &format!("/pools/{}/clients/{}", self.web.pool, self.web.client_id),
                Some(json!({"supported_identity_providers": ["COGNITO", PROVIDER, "Fake"]})),
            )
            .await
            .expect(200);
    }

    /// Downstream authorize with `identity_provider=Fake` → the fake's authorize → back
    /// through idpresponse. Returns the downstream's last answer. The browser must know the
    /// fake (`Browser::with_host`).
    pub async fn through_fake(&self, browser: &Browser) -> Page {
        let (url, _) = authorize_url(&self.web, &[("identity_provider", "Fake")]);
        let first = browser.get(&url).await;
        browser.follow(first, 5).await
    }
}

/// The `code` of a redirect to the app's callback.
#[track_caller]
pub fn code_of(page: &Page) -> String {
    let location = page
        .location
        .as_deref()
        .unwrap_or_else(|| panic!("no redirect to the app: {} {}", page.status, page.body));
    assert!(location.starts_with(CALLBACK), "{location}");
    query_of(location)
        .get("code")
        .unwrap_or_else(|| panic!("no code: {location}"))
        .clone()
}

// ---------------------------------------------------------------------------------------------
// A fake provider
// ---------------------------------------------------------------------------------------------

pub const FAKE_CLIENT: &str = "fake-client";
pub const FAKE_SECRET: &str = "fake-secret-0123456789";
const FAKE_KID: &str = "fake-key-1";

/// How the fake answers; a test changes these between flows.
#[derive(Debug, Clone)]
pub struct Knobs {
    pub sub: String,
    /// Claims beyond the registered ones, in the ID token and at userInfo.
    pub claims: Value,
    /// Sent instead of the nonce the relying party asked for.
    pub nonce: Option<String>,
    pub iss: Option<String>,
    pub aud: Option<Value>,
    /// `exp` ten minutes ago.
    pub expired: bool,
    /// Signed by a key the JWKS does not publish (under the published key's `kid`).
    pub other_key: bool,
    /// `{"alg":"none"}` and an empty signature.
    pub alg_none: bool,
    /// The token endpoint answers this status with an error body.
    pub token_status: Option<u16>,
    /// The token endpoint waits this long before it answers.
    pub token_delay: Option<Duration>,
    /// Claims left out of the ID token (after `claims` is applied), e.g. `auth_time`.
    pub without: Vec<&'static str>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            sub: "fake-user-1".into(),
            claims: json!({"email": "eve@fake.example", "email_verified": true}),
            nonce: None,
            iss: None,
            aud: None,
            expired: false,
            other_key: false,
            alg_none: false,
            token_status: None,
            token_delay: None,
            without: Vec::new(),
        }
    }
}

/// What one authorization request asked for.
#[derive(Debug, Clone)]
struct Grant {
    nonce: Option<String>,
    challenge: Option<String>,
    method: Option<String>,
}

#[derive(Default)]
struct FakeState {
    knobs: Knobs,
    grants: HashMap<String, Grant>,
    access_tokens: Vec<String>,
    /// The query of each authorization request, in order.
    authorizations: Vec<HashMap<String, String>>,
    token_requests: usize,
}

struct Shared {
    issuer: String,
    state: Mutex<FakeState>,
}

pub struct FakeIdp {
    /// `http://127.0.0.1:<port>/fake`.
    pub issuer: String,
    /// `http://127.0.0.1:<port>`, for `Browser::with_host`.
    pub address: String,
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// (the published key, another one), made once for the whole run.
fn keys() -> &'static (rsa::RsaPrivateKey, rsa::RsaPrivateKey) {
    static KEYS: OnceLock<(rsa::RsaPrivateKey, rsa::RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        (
            rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap(),
            rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap(),
        )
    })
}

impl FakeIdp {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let issuer = format!("{address}/fake");
        tokio::task::spawn_blocking(keys).await.unwrap();
        let shared = Arc::new(Shared {
            issuer: issuer.clone(),
            state: Mutex::new(FakeState::default()),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/fake/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/fake/jwks", web::get().to(jwks))
                .route("/fake/authorize", web::get().to(authorize))
                .route("/fake/token", web::post().to(token))
                .route("/fake/userinfo", web::get().to(userinfo))
                .route("/fake/userinfo", web::post().to(userinfo))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            issuer,
            address,
            shared,
            handle,
        }
    }

    /// Changes how the fake answers from now on.
    pub fn set(&self, change: impl FnOnce(&mut Knobs)) {
        change(&mut self.shared.state.lock().unwrap().knobs);
    }

    /// Back to honest answers.
    pub fn reset(&self) {
        self.shared.state.lock().unwrap().knobs = Knobs::default();
    }

    /// The query of the last authorization request the fake received.
    pub fn last_authorization(&self) -> Option<HashMap<String, String>> {
        self.shared
            .state
            .lock()
            .unwrap()
            .authorizations
            .last()
            .cloned()
    }

    /// How many token requests reached the fake.
    pub fn token_requests(&self) -> usize {
        self.shared.state.lock().unwrap().token_requests
    }
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn discovery(s: web::Data<Shared>) -> HttpResponse {
    let i = &s.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "email", "profile"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> HttpResponse {
    use rsa::traits::PublicKeyParts;
    let public = rsa::RsaPublicKey::from(&keys().0);
    HttpResponse::Ok().json(json!({"keys": [{
        "kty": "RSA", "kid": FAKE_KID, "alg": "RS256", "use": "sig",
        "n": b64(public.n().to_bytes_be()), "e": b64(public.e().to_bytes_be()),
    }]}))
}

async fn authorize(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    let query = form(req.query_string().as_bytes());
    let Some(redirect_uri) = query.get("redirect_uri") else {
        return HttpResponse::BadRequest().body("no redirect_uri");
    };
    let code = uuid::Uuid::new_v4().simple().to_string();
    {
        let mut state = s.state.lock().unwrap();
        state.grants.insert(
            code.clone(),
            Grant {
                nonce: query.get("nonce").cloned(),
                challenge: query.get("code_challenge").cloned(),
                method: query.get("code_challenge_method").cloned(),
            },
        );
        state.authorizations.push(query.clone());
    }
    let mut back = url::Url::parse(redirect_uri).expect("redirect_uri is a URL");
    back.query_pairs_mut().append_pair("code", &code);
    if let Some(st) = query.get("state") {
        back.query_pairs_mut().append_pair("state", st);
    }
    HttpResponse::Found()
        .insert_header(("location", back.to_string()))
        .finish()
}

/// The client's credentials, from HTTP Basic or the form.
fn client_of(req: &HttpRequest, body: &HashMap<String, String>) -> (String, String) {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    if let Some((id, secret)) = basic.as_deref().and_then(|b| b.split_once(':')) {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        return (decode(id), decode(secret));
    }
    let get = |k: &str| body.get(k).cloned().unwrap_or_default();
    (get("client_id"), get("client_secret"))
}

async fn token(req: HttpRequest, s: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let body = form(&body);
    let (knobs, grant) = {
        let mut state = s.state.lock().unwrap();
        state.token_requests += 1;
        let grant = body.get("code").and_then(|c| state.grants.remove(c));
        (state.knobs.clone(), grant)
    };
    if let Some(delay) = knobs.token_delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = knobs.token_status {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .json(json!({"error": "server_error"}));
    }
    let refused = |error: &str| HttpResponse::BadRequest().json(json!({"error": error}));
    if client_of(&req, &body) != (FAKE_CLIENT.to_string(), FAKE_SECRET.to_string()) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let Some(grant) = grant else {
        return refused("invalid_grant");
    };
    // The relying party must use PKCE with S256; anything else fails the flow.
    let verifier = body.get("code_verifier").cloned().unwrap_or_default();
    let expected = {
        use sha2::Digest;
        b64(sha2::Sha256::digest(verifier.as_bytes()))
    };
    if grant.method.as_deref() != Some("S256") || grant.challenge.as_deref() != Some(&expected) {
        return refused("invalid_grant");
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": knobs.iss.clone().unwrap_or_else(|| s.issuer.clone()),
        "sub": knobs.sub,
        "aud": knobs.aud.clone().unwrap_or(json!(FAKE_CLIENT)),
        "iat": now,
        "auth_time": now,
        "exp": if knobs.expired { now - 600 } else { now + 300 },
    });
    if let Some(nonce) = knobs.nonce.clone().or(grant.nonce) {
        claims["nonce"] = json!(nonce);
    }
    extend(&mut claims, &knobs.claims);
    if let Some(all) = claims.as_object_mut() {
        for name in &knobs.without {
            all.remove(*name);
        }
    }
    let payload = b64(claims.to_string());
    let id_token = if knobs.alg_none {
        format!("{}.{payload}.", b64(r#"{"alg":"none"}"#))
    } else {
        use rsa::signature::{SignatureEncoding, Signer};
        let key = if knobs.other_key {
            &keys().1
        } else {
            &keys().0
        };
        let header = json!({"alg": "RS256", "kid": FAKE_KID, "typ": "JWT"});
        let signed = format!("{}.{payload}", b64(header.to_string()));
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
        format!(
            "{signed}.{}",
            b64(signer.sign(signed.as_bytes()).to_bytes())
        )
    };
    let access_token = uuid::Uuid::new_v4().simple().to_string();
    s.state
        .lock()
        .unwrap()
        .access_tokens
        .push(access_token.clone());
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(json!({"access_token": access_token, "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}))
}

async fn userinfo(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let state = s.state.lock().unwrap();
    if !bearer.is_some_and(|t| state.access_tokens.contains(&t)) {
        return HttpResponse::Unauthorized().finish();
    }
    let mut info = json!({"sub": state.knobs.sub});
    extend(&mut info, &state.knobs.claims);
    HttpResponse::Ok().json(info)
}
