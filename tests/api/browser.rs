//! A small browser for the hosted pages: a cookie jar per host (with paths), no automatic
//! redirects (`follow` takes them one by one, across the test's servers), and form filling
//! from hidden fields.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use openidconnect::reqwest;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

pub struct Browser {
    http: reqwest::Client,
    base: String,
    /// (authority, name, path) -> value. Cookies belong to the `host:port` that set them, as
    /// a browser keeps them per host; `localhost` is read as 127.0.0.1, where the test
    /// servers listen.
    jar: Mutex<HashMap<(String, String, String), String>>,
    /// The authorities `follow` goes to: the servers the test started.
    hosts: Mutex<HashSet<String>>,
    /// Sent with every request: `X-Forwarded-For`, for a browser behind a trusted proxy.
    forwarded_for: Option<String>,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The absolute URL that answered, against which relative locations and form actions
    /// resolve.
    pub url: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// `host:port` of an absolute URL, with `localhost` read as 127.0.0.1.
pub fn authority(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return String::new();
    };
    let host = match parsed.host_str().unwrap_or("") {
        "localhost" => "127.0.0.1",
        other => other,
    };
    match parsed.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            http: app.http.clone(),
            base: app.address.clone(),
            jar: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashSet::from([authority(&app.address)])),
            forwarded_for: None,
        }
    }

    /// A browser whose requests reach the server through a proxy that says they come from
    /// `address` (the app must trust 127.0.0.1 as a proxy for it to count).
    pub fn from_address(app: &TestApp, address: &str) -> Self {
        Self {
            forwarded_for: Some(address.to_string()),
            ..Self::new(app)
        }
    }

    /// Lets `follow` go to the server at `address` too (another app's `address`, a fake
    /// provider's base URL).
    pub fn with_host(self, address: &str) -> Self {
        self.hosts.lock().unwrap().insert(authority(address));
        self
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, url)
            .header("cookie", self.cookie_header(url));
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        request
    }

    fn absolute(&self, url: &str) -> String {
        self.resolve(&self.base, url)
    }

    /// `url` as an absolute URL: relative ones against `from` (the page they came from).
    pub fn resolve(&self, from: &str, url: &str) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            // The issuer says localhost; the server listens on 127.0.0.1.
            url.replacen("://localhost:", "://127.0.0.1:", 1)
        } else if url.starts_with('/') || from == self.base {
            let origin = url::Url::parse(from)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| self.base.clone());
            format!("{origin}{url}")
        } else {
            url::Url::parse(from)
                .and_then(|u| u.join(url))
                .map(|u| u.to_string())
                .unwrap_or_else(|_| format!("{}{url}", self.base))
        }
    }

    fn cookie_header(&self, url: &str) -> String {
        let host = authority(url);
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let jar = self.jar.lock().unwrap();
        jar.iter()
            .filter(|((a, _, p), _)| *a == host && path.starts_with(p.as_str()))
            .map(|((_, n, _), v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies a response from `url` sets, for `url`'s authority.
    fn remember(&self, url: &str, headers: &reqwest::header::HeaderMap) {
        let host = authority(url);
        let mut jar = self.jar.lock().unwrap();
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let mut parts = text.split(';').map(str::trim);
            let Some((name, val)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let mut path = "/".to_string();
            let mut removed = false;
            for attr in parts {
                let lower = attr.to_ascii_lowercase();
                if let Some(p) = attr
                    .strip_prefix("Path=")
                    .or_else(|| attr.strip_prefix("path="))
                {
                    path = p.to_string();
                }
                if lower == "max-age=0" || lower.starts_with("expires=thu, 01 jan 1970") {
                    removed = true;
                }
            }
            let key = (host.clone(), name.to_string(), path);
            if removed || val.is_empty() {
                jar.remove(&key);
            } else {
                jar.insert(key, val.to_string());
            }
        }
    }

    /// A cookie of the browser's own app (the one it was made for), on any path.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookie_at(&self.base, name)
    }

    /// A cookie of the server at `address` (any URL of it), on any path.
    pub fn cookie_at(&self, address: &str, name: &str) -> Option<String> {
        let host = authority(&self.absolute(address));
        let jar = self.jar.lock().unwrap();
        jar.iter()
            .find(|((a, n, _), _)| *a == host && n == name)
            .map(|(_, v)| v.clone())
    }

    /// Plants a cookie for the browser's own app, as a cross-site attacker or a hostile
    /// subdomain could.
    pub fn set_cookie(&self, name: &str, path: &str, value: &str) {
        self.jar.lock().unwrap().insert(
            (authority(&self.base), name.to_string(), path.to_string()),
            value.to_string(),
        );
    }

    /// Drops a cookie of the browser's own app, on every path.
    pub fn forget(&self, name: &str) {
        self.forget_at(&self.base.clone(), name);
    }

    /// Drops a cookie of the server at `address`, on every path.
    pub fn forget_at(&self, address: &str, name: &str) {
        let host = authority(&self.absolute(address));
        self.jar
            .lock()
            .unwrap()
            .retain(|(a, n, _), _| !(*a == host && n == name));
    }

    async fn finish(&self, url: &str, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.remember(url, &headers);
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            location,
            headers,
            body,
            url: url.to_string(),
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        let url = self.absolute(url);
        let response = self
            .request(reqwest::Method::GET, &url)
            .send()
            .await
            .expect("GET");
        self.finish(&url, response).await
    }

    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        let url = self.absolute(url);
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .request(reqwest::Method::POST, &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        self.finish(&url, response).await
    }

    /// Follows the `Location` of 301, 302 and 303 answers with GETs, across hosts, at most
    /// `max` times. It stops at the first other answer, and before any location outside the
    /// servers it knows (its own app and those added by `with_host`): there the test has
    /// left its own servers, e.g. for the web app's callback `http://localhost:3000/…` where
    /// nothing listens, and the redirect page is returned for the test to read its
    /// `code`, `state` or `error`.
    pub async fn follow(&self, page: Page, max: usize) -> Page {
        self.follow_until(page, max, |_| false).await
    }

    /// As `follow`, stopping also before a location (absolute) for which `stop` is true.
    pub async fn follow_until(
        &self,
        mut page: Page,
        max: usize,
        stop: impl Fn(&str) -> bool,
    ) -> Page {
        for _ in 0..max {
            if !matches!(page.status, 301..=303) {
                break;
            }
            let Some(location) = page.location.as_deref() else {
                break;
            };
            let next = self.resolve(&page.url, location);
            let known = self.hosts.lock().unwrap().contains(&authority(&next));
            if !known || stop(&next) {
                break;
            }
            page = self.get(&next).await;
        }
        page
    }

    /// Opens an authorize URL and follows the redirect to the sign-in form.
    pub async fn open_login(&self, authorize_url: &str) -> Page {
        let first = self.get(authorize_url).await;
        assert_eq!(
            first.status, 303,
            "authorize should send the browser to the form: {}",
            first.body
        );
        let next = self.resolve(&first.url, first.location.as_deref().unwrap());
        let login = self.get(&next).await;
        assert_eq!(login.status, 200, "{}", login.body);
        login
    }

    /// Fills and posts the page's first form: its inputs plus `fields`.
    pub async fn submit(&self, page: &Page, fields: &[(&str, &str)]) -> Page {
        let start = page.body.find("<form").unwrap_or(0);
        self.submit_form_at(page, start, fields).await
    }

    /// Fills and posts the first form of `page` whose HTML contains `marker` (such as
    /// `name="password"`): its inputs plus `fields`.
    pub async fn submit_containing(
        &self,
        page: &Page,
        marker: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let start = page
            .body
            .match_indices("<form")
            .map(|(i, _)| i)
            .find(|&i| {
                let rest = &page.body[i..];
                rest[..rest.find("</form>").unwrap_or(rest.len())].contains(marker)
            })
            .unwrap_or_else(|| panic!("no form with {marker}: {}", page.body));
        self.submit_form_at(page, start, fields).await
    }

    async fn submit_form_at(&self, page: &Page, start: usize, fields: &[(&str, &str)]) -> Page {
        let action = attr_after(&page.body[start..], "<form", "action").expect("form action");
        let end = page.body[start..]
            .find("</form>")
            .map_or(page.body.len(), |e| start + e);
        let mut all: Vec<(String, String)> = input_values(&page.body[start..end]);
        for (k, v) in fields {
            all.retain(|(name, _)| name != k);
            all.push((k.to_string(), v.to_string()));
        }
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let action = self.resolve(&page.url, &html_unescape(&action));
        self.post_form(&action, &pairs).await
    }

    /// Authorize → form → sign in; returns the answer to the sign-in post.
    pub async fn sign_in(&self, authorize_url: &str, username: &str, password: &str) -> Page {
        let login = self.open_login(authorize_url).await;
        self.submit(&login, &[("username", username), ("password", password)])
            .await
    }

    /// Opens a logout URL and, when the page asks whether to sign out, says yes.
    pub async fn sign_out(&self, url: &str) -> Page {
        let page = self.get(url).await;
        if page.status == 200 && page.body.contains("<h2>Sign out?</h2>") {
            self.submit(&page, &[]).await
        } else {
            page
        }
    }
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn attr_after(body: &str, tag: &str, attr: &str) -> Option<String> {
    let start = body.find(tag)?;
    let rest = &body[start..];
    let end = rest.find('>')?;
    attr_of(&rest[..end], attr)
}

fn attr_of(tag: &str, attr: &str) -> Option<String> {
    let needle = format!("{attr}=\"");
    let i = tag.find(&needle)? + needle.len();
    let j = tag[i..].find('"')? + i;
    Some(tag[i..j].to_string())
}

/// Every `<input name=.. value=..>` of a form, as a browser would submit it.
fn input_values(form: &str) -> Vec<(String, String)> {
    form.match_indices("<input")
        .filter_map(|(i, _)| {
            let tag = &form[i..i + form[i..].find('>')?];
            Some((
                attr_of(tag, "name")?,
                html_unescape(&attr_of(tag, "value")?),
            ))
        })
        .collect()
}

/// Every `<input type="hidden" name=.. value=..>` of the page.
pub fn hidden_fields(body: &str) -> Vec<(String, String)> {
    body.match_indices("<input type=\"hidden\"")
        .filter_map(|(i, _)| {
            let tag = &body[i..i + body[i..].find('>')?];
            Some((
                attr_of(tag, "name")?,
                html_unescape(&attr_of(tag, "value")?),
            ))
        })
        .collect()
}

pub fn hidden(body: &str, name: &str) -> Option<String> {
    hidden_fields(body)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// The query parameters of a redirect location.
pub fn query_of(location: &str) -> HashMap<String, String> {
    let url = url::Url::parse(location).expect("absolute redirect");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A pool with an API, a web client (public unless `confidential`) and a confirmed user.
pub struct WebApp {
    pub pool: String,
    pub issuer: String,
    pub client_id: String,
    pub secret: Option<String>,
    pub callback: String,
}

pub const CALLBACK: &str = "http://localhost:3000/callback";

pub async fn web_app(app: &TestApp, confidential: bool) -> WebApp {
    web_app_with(app, confidential, json!({})).await
}

/// As `web_app`, with a pool of this configuration.
pub async fn web_app_with(app: &TestApp, confidential: bool, pool: Value) -> WebApp {
    let pool = app.create_pool("web", pool).await;
    app.admin(
        "POST",
        &format!("/pools/{pool}/resource-servers"),
        Some(
            json!({"identifier": "https://api.example.com", "name": "API",
                    "scopes": [{"name": "read", "description": "Read"}]}),
        ),
    )
    .await
    .expect(201);
    let client: Value = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "web", "generate_secret": confidential,
                        "callback_urls": [CALLBACK, "myapp://done"],
                        "logout_urls": ["http://localhost:3000/bye"],
                        "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid", "email", "profile", "https://api.example.com/read"]})),
        )
        .await
        .expect(201);
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "alice", "password": PASSWORD, "email_verified": true,
                    "attributes": {"email": "alice@example.com", "name": "Alice Liddell"}}),
        ),
    )
    .await
    .expect(201);
    WebApp {
        issuer: format!("http://localhost:{}/{pool}", app.port),
        pool,
        client_id: client["client_id"].as_str().unwrap().to_string(),
        secret: client["client_secret"].as_str().map(str::to_string),
        callback: CALLBACK.to_string(),
    }
}

/// A PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// An authorize URL for the web app with PKCE; returns (url, verifier).
pub fn authorize_url(web: &WebApp, extra: &[(&str, &str)]) -> (String, String) {
    let (verifier, challenge) = pkce();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", web.client_id.as_str()),
        ("redirect_uri", web.callback.as_str()),
        ("scope", "openid email profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    (format!("/{}/oauth2/authorize?{query}", web.pool), verifier)
}

/// Redeems a code at the token endpoint as a public client would.
pub async fn redeem(
    app: &TestApp,
    web: &WebApp,
    code: &str,
    verifier: &str,
) -> crate::helpers::Answer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", web.callback.as_str()),
        ("code_verifier", verifier),
        ("client_id", web.client_id.as_str()),
    ];
    if let Some(secret) = &web.secret {
        form.push(("client_secret", secret));
    }
    token_request(app, &web.pool, &form).await
}

pub async fn token_request(
    app: &TestApp,
    pool: &str,
    form: &[(&str, &str)],
) -> crate::helpers::Answer {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    app.send(
        app.http
            .post(app.url(&format!("/{pool}/oauth2/token")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

pub async fn userinfo(app: &TestApp, pool: &str, token: &str) -> crate::helpers::Answer {
    app.send(
        app.http
            .get(app.url(&format!("/{pool}/oauth2/userInfo")))
            .bearer_auth(token),
    )
    .await
}

/// The claims of a JWT, unverified (the tests verify separately).
pub fn claims_of(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn header_of(jwt: &str) -> Value {
    use base64::Engine;
    let header = jwt.split('.').next().expect("header");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}

/// Signs in through the hosted form (even with a live session) and redeems the code;
/// returns the token answer.
pub async fn tokens_for(app: &TestApp, web: &WebApp, browser: &Browser) -> Value {
    let (url, verifier) = authorize_url(web, &[("prompt", "login")]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    redeem(app, web, &code, &verifier).await.expect(200)
}

impl Browser {
    /// Fills and posts the form of `page` whose action ends with `action_end`, with that
    /// form's own hidden fields plus `fields` (for pages with several forms).
    pub async fn submit_to(&self, page: &Page, action_end: &str, fields: &[(&str, &str)]) -> Page {
        let (action, form) = page
            .body
            .match_indices("<form")
            .find_map(|(i, _)| {
                let rest = &page.body[i..];
                let form = &rest[..rest.find("</form>").unwrap_or(rest.len())];
                let action = html_unescape(&attr_after(form, "<form", "action")?);
                action.ends_with(action_end).then_some((action, form))
            })
            .unwrap_or_else(|| panic!("no form posting to …{action_end}: {}", page.body));
        let action = self.resolve(&page.url, &action);
        let mut all: Vec<(String, String)> = hidden_fields(form);
        for (k, v) in fields {
            all.retain(|(name, _)| name != k);
            all.push((k.to_string(), v.to_string()));
        }
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_form(&action, &pairs).await
    }
}

/// The target of the first `<a href="…">text</a>` of the page, unescaped.
pub fn link_to(body: &str, text: &str) -> Option<String> {
    let end = body.find(&format!(">{text}</a>"))?;
    let start = body[..end].rfind("<a ")?;
    attr_of(&body[start..end], "href").map(|href| html_unescape(&href))
}

impl Browser {
    /// Fills and posts the form of `page` that carries the hidden field `name=value` (for
    /// pages whose forms share an action), with `fields` added.
    pub async fn submit_with(
        &self,
        page: &Page,
        (name, value): (&str, &str),
        fields: &[(&str, &str)],
    ) -> Page {
        let (action, form) = page
            .body
            .match_indices("<form")
            .find_map(|(i, _)| {
                let rest = &page.body[i..];
                let form = &rest[..rest.find("</form>").unwrap_or(rest.len())];
                let action = html_unescape(&attr_after(form, "<form", "action")?);
                hidden_fields(form)
                    .iter()
                    .any(|(n, v)| n == name && v == value)
                    .then_some((action, form))
            })
            .unwrap_or_else(|| panic!("no form with {name}={value}: {}", page.body));
        let action = self.resolve(&page.url, &action);
        let mut all: Vec<(String, String)> = hidden_fields(form);
        for (k, v) in fields {
            all.retain(|(n, _)| n != k);
            all.push((k.to_string(), v.to_string()));
        }
        let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_form(&action, &pairs).await
    }
}
