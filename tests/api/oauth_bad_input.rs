//! Bad input on every OAuth 2.0 / OpenID Connect endpoint (issue 3, "Bad input"): the
//! authorize endpoint (GET and POST), the hosted `/login` and `/new-password` pages, the
//! token, userInfo and revocation endpoints, logout and discovery each get duplicated
//! parameters, 100 KB values, non-UTF-8 percent-encoding, NUL and control characters,
//! `redirect_uri` tricks, forged and expired tokens, and malformed token requests.
//!
//! Every hostile request must get its documented answer: never a 5xx, never a redirect to
//! an unregistered URI; after each one a normal sign-in (authorize, form, code, tokens,
//! userInfo) must still work, so nothing was half-written.
//!
//! Each test records every failed expectation and reports them all at the end, so one run
//! shows every endpoint and parameter that misbehaves, not only the first.

use std::fmt::Display;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openidconnect::reqwest;
use openidconnect::reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::browser::{
    Browser, CALLBACK, WebApp, authorize_url, header_of, hidden, pkce, query_of, redeem,
    token_request, tokens_for, userinfo, web_app,
};
use crate::helpers::{Backend, PASSWORD, TestApp, path_segment, spawn_app, spawn_app_with_clock};
use crate::on_both;

on_both!(
    duplicated_parameters_are_refused,
    values_of_100_kb_are_refused,
    non_utf8_percent_encoding_is_refused,
    nul_and_control_characters_are_refused,
    redirect_uri_tricks_show_a_page,
    forged_and_expired_tokens_are_refused_at_userinfo,
    malformed_token_requests_are_refused,
    hostile_pool_ids_and_discovery_queries,
);

const FORM: &str = "application/x-www-form-urlencoded";
const BYE: &str = "http://localhost:3000/bye";
const API_SCOPE: &str = "https://api.example.com/read";
/// 100 KB: the size the issue names.
const BIG: usize = 100 * 1024;
/// The largest value that still fits a form body under the 64 KiB limit, and a request
/// target under the 64 KiB the server's HTTP layer reads.
const LARGE: usize = 60 * 1024;
/// A request target over 64 KiB, refused by the HTTP layer (a bare 400, as actix-http
/// answers a URI it cannot parse): never a 5xx, never a redirect.
/// The hosted forms' answer to a pending-request reference that is not a live one.
const EXPIRED: Expect = Expect::PageSaying(400, "expired");
const TARGET_TOO_LONG: Expect = Expect::Refused(&[400, 414, 431]);
const TEMP_PASSWORD: &str = "Temporary-Pass-1";
const NEW_PASSWORD: &str = "Brand-new-pass-2";
const BOGUS_CODE: &str = "bogus-code-0123456789abcdefghijklmnopqrstuvwxyz";
const BOGUS_REFRESH: &str = "bogus-refresh-0123456789abcdefghijklmnopqrstuvwxyz";

/// Control characters, percent-encoded, with a name for the report.
const CONTROLS: &[(&str, &str)] = &[
    ("NUL", "%00"),
    ("SOH", "%01"),
    ("TAB", "%09"),
    ("CR LF", "%0D%0A"),
    ("DEL", "%7F"),
    ("NEL (C1)", "%C2%85"),
];

/// Byte sequences that are not UTF-8, percent-encoded.
const NOT_UTF8: &[(&str, &str)] = &[
    ("%FF%FE", "%FF%FE"),
    ("overlong /", "%C0%AF"),
    ("lone surrogate", "%ED%A0%80"),
    ("truncated sequence", "%E2%82"),
    ("lone continuation byte", "%80"),
];

// ---------------------------------------------------------------------------------------------
// Forms and query strings with exact control over the encoding
// ---------------------------------------------------------------------------------------------

/// Percent-encodes every byte outside the unreserved characters.
fn enc(value: &str) -> String {
    path_segment(value)
}

/// Name-value pairs whose values are already percent-encoded, in order, repeats allowed.
#[derive(Clone, Debug)]
struct Form(Vec<(String, String)>);

impl Form {
    fn of(raw: &[(&str, &str)]) -> Self {
        Self(raw.iter().map(|(k, v)| (k.to_string(), enc(v))).collect())
    }

    fn names(&self) -> Vec<String> {
        self.0.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The decoded value of `name`.
    fn raw(&self, name: &str) -> String {
        let encoded = self
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// `name` set to an already encoded value (added when absent).
    fn set(&self, name: &str, encoded: impl Into<String>) -> Self {
        let encoded = encoded.into();
        let mut out = self.clone();
        match out.0.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = encoded,
            None => out.0.push((name.to_string(), encoded)),
        }
        out
    }

    fn set_raw(&self, name: &str, raw: &str) -> Self {
        self.set(name, enc(raw))
    }

    /// `name` a second time, with an already encoded value.
    fn repeat(&self, name: &str, encoded: impl Into<String>) -> Self {
        let mut out = self.clone();
        out.0.push((name.to_string(), encoded.into()));
        out
    }

    fn without(&self, name: &str) -> Self {
        Self(self.0.iter().filter(|(k, _)| k != name).cloned().collect())
    }

    /// `name` with `bad` (already encoded) in the middle of its valid value, so neither a
    /// prefix check nor trimming can hide it.
    fn spliced(&self, name: &str, bad: &str) -> Self {
        let raw = self.raw(name);
        let mid = raw.len() / 2;
        let mid = (0..=mid)
            .rev()
            .find(|i| raw.is_char_boundary(*i))
            .unwrap_or(0);
        self.set(
            name,
            format!("{}{bad}{}", enc(&raw[..mid]), enc(&raw[mid..])),
        )
    }

    /// A new password goes into both fields, so the policy (not the mismatch) refuses it.
    fn confirmed(&self, name: &str) -> Self {
        match name {
            "new_password" => {
                let value = self.0.iter().find(|(k, _)| k == name).unwrap().1.clone();
                self.set("confirm_password", value)
            }
            _ => self.clone(),
        }
    }

    fn encode(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A value of `len` bytes for `name` that is only wrong by its size.
fn long_value(name: &str, len: usize) -> String {
    match name {
        "redirect_uri" => format!("{CALLBACK}/{}", "a".repeat(len)),
        "logout_uri" => format!("{BYE}/{}", "a".repeat(len)),
        "client_id" => "a".repeat(len),
        _ => "x".repeat(len),
    }
}

// ---------------------------------------------------------------------------------------------
// Answers and what is expected of them
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    text: String,
    body: Value,
}

fn shorten(text: &str) -> String {
    const MAX: usize = 240;
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX {
        flat
    } else {
        format!(
            "{}… ({} chars)",
            flat.chars().take(MAX).collect::<String>(),
            flat.chars().count()
        )
    }
}

impl Reply {
    fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    fn describe(&self) -> String {
        if self.status == 0 {
            return self.text.clone();
        }
        let server_error = if self.status >= 500 {
            "SERVER ERROR "
        } else {
            ""
        };
        let location = self
            .location()
            .map(|l| format!(" (Location: {})", shorten(&l)))
            .unwrap_or_default();
        let body = if self.body.is_null() {
            shorten(&page_text(&self.text))
        } else {
            shorten(&self.text)
        };
        format!("{server_error}{}{location} {body}", self.status)
    }

    /// True when the answer starts a sign-in session.
    fn starts_session(&self) -> bool {
        self.headers.get_all("set-cookie").iter().any(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            text.strip_prefix("cognate_session=")
                .is_some_and(|rest| !rest.starts_with(';') && !rest.is_empty())
        })
    }
}

/// The visible text of an HTML page, for reports.
fn page_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses an HTTP/1.1 response read to the end of the connection.
fn parse_response(bytes: &[u8]) -> Reply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut raw_body = bytes.get(split + 4..).unwrap_or_default().to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = raw_body.as_slice();
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..end]).trim(), 16)
                .unwrap_or(0);
            if size == 0 || rest.len() < end + 2 + size {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = rest.get(end + 4 + size..).unwrap_or_default();
        }
        raw_body = out;
    }
    let text = String::from_utf8_lossy(&raw_body).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A hosted HTML page with this status, its security headers, no redirect and no
    /// session started.
    Page(u16),
    /// `Page`, saying this.
    PageSaying(u16, &'static str),
    /// `302` back to a registered callback with one of these `error` codes and `iss`.
    Redirect(&'static [&'static str]),
    /// An RFC 6749 §5.2 JSON error (with `WWW-Authenticate` on `401`).
    OAuth(u16, &'static str),
    /// One of several RFC 6749 answers, where the specifications leave the choice open.
    OAuthAny(&'static [(u16, &'static str)]),
    /// `413`: the body is over the size limit.
    TooLarge,
    /// Exactly this status and no redirect (`200` at revocation, discovery).
    Status(u16),
    /// One of these statuses and no redirect (transport-level refusals).
    Refused(&'static [u16]),
    /// `303` to the sign-in form: the request was valid (unknown parameters are ignored).
    SignInForm,
    /// `302` to exactly this registered URI.
    RedirectTo(&'static str),
}

fn page_problems(reply: &Reply, status: u16) -> Result<(), String> {
    if reply.status != status {
        return Err("wrong status".into());
    }
    if reply.location().is_some() {
        return Err("it redirects".into());
    }
    if !reply.header("content-type").starts_with("text/html") {
        return Err(format!(
            "not an HTML page (content-type `{}`)",
            reply.header("content-type")
        ));
    }
    if reply.header("x-frame-options") != "DENY"
        || reply.header("cache-control") != "no-store"
        || reply.header("content-security-policy").is_empty()
    {
        return Err("the page lacks the hosted-page security headers".into());
    }
    if reply.starts_session() {
        return Err("a session was started".into());
    }
    Ok(())
}

fn oauth_problems(reply: &Reply, status: u16, error: &str) -> Result<(), String> {
    if reply.status != status || reply.error() != error {
        return Err("wrong status or error".into());
    }
    if reply.location().is_some() {
        return Err("it redirects".into());
    }
    let description = reply.body["error_description"].as_str().unwrap_or("");
    if description.contains(['\r', '\n', '\t']) {
        return Err("error_description holds CR, LF or TAB".into());
    }
    if status == 401 && error == "invalid_client" && reply.header("www-authenticate").is_empty() {
        return Err("401 invalid_client without WWW-Authenticate".into());
    }
    if error == "invalid_token" {
        let challenge = reply.header("www-authenticate");
        if !challenge.starts_with("Bearer") || !challenge.contains("invalid_token") {
            return Err(format!(
                "WWW-Authenticate is `{challenge}`, not Bearer error=\"invalid_token\""
            ));
        }
    }
    if reply.header("cache-control") != "no-store" {
        return Err("the error lacks Cache-Control: no-store".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One test run: sends hostile requests, judges the answers, checks sign-in still works
// ---------------------------------------------------------------------------------------------

struct Run<'a> {
    app: &'a TestApp,
    web: &'a WebApp,
    failures: Vec<String>,
    sent: usize,
}

impl<'a> Run<'a> {
    fn new(app: &'a TestApp, web: &'a WebApp) -> Self {
        Self {
            app,
            web,
            failures: Vec::new(),
            sent: 0,
        }
    }

    fn fail(&mut self, what: impl Display, why: impl Display) {
        self.failures.push(format!("{what}: {why}"));
    }

    #[track_caller]
    fn finish(self) {
        eprintln!("{} hostile requests sent", self.sent);
        assert!(
            self.failures.is_empty(),
            "{} failed expectation(s):\n  - {}",
            self.failures.len(),
            self.failures.join("\n  - ")
        );
    }

    fn url(&self, rest: &str) -> String {
        self.app.url(&format!("/{}/{rest}", self.web.pool))
    }

    fn get(&self, rest: &str) -> reqwest::RequestBuilder {
        self.app.http.get(self.url(rest))
    }

    fn post(&self, rest: &str, body: impl Into<String>) -> reqwest::RequestBuilder {
        self.app
            .http
            .post(self.url(rest))
            .header("content-type", FORM)
            .body(body.into())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let text = response.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                Reply {
                    status,
                    headers,
                    text,
                    body,
                }
            }
            Err(err) => Reply {
                status: 0,
                headers: HeaderMap::new(),
                text: format!("no answer at all: {err:?}"),
                body: Value::Null,
            },
        }
    }

    /// Sends a request over a plain TCP connection: the HTTP client refuses to build a URI
    /// over 64 KiB, but the server reads request heads up to 128 KiB, so 100 KB query strings
    /// and paths can only be sent this way.
    async fn send_raw(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Reply {
        let port = self.app.port;
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n"
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if method != "GET" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let request = [head.as_bytes(), body.as_bytes()].concat();
        let answer = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
            stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
            // The server may answer, and close, before it has read everything.
            let written = stream.write_all(&request);
            let mut out = Vec::new();
            let read = stream.read_to_end(&mut out);
            match (written, read) {
                _ if !out.is_empty() => Ok(out),
                (Err(e), _) | (_, Err(e)) => Err(e),
                _ => Ok(out),
            }
        })
        .await;
        match answer {
            Ok(Ok(bytes)) => parse_response(&bytes),
            Ok(Err(err)) => Reply {
                status: 0,
                headers: HeaderMap::new(),
                text: format!("no answer at all: {err}"),
                body: Value::Null,
            },
            Err(err) => panic!("the raw sender failed: {err}"),
        }
    }

    /// `check` for a request sent by `send_raw`.
    async fn check_raw(
        &mut self,
        what: impl Display,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &str,
        expect: Expect,
    ) -> Reply {
        let what = what.to_string();
        self.sent += 1;
        let reply = self.send_raw(method, target, headers, body).await;
        self.judge(&what, &reply, expect);
        self.still_signs_in(&what).await;
        reply
    }

    /// The request target of `rest` under this pool.
    fn target(&self, rest: &str) -> String {
        format!("/{}/{rest}", self.web.pool)
    }

    /// A request whose target `target(len)` holds a value of `len` bytes: first 100 KB,
    /// which the server's HTTP layer refuses before any handler runs (request targets stop
    /// at 64 KiB there), then the largest it reads, which must get `expect`.
    async fn long_target(
        &mut self,
        what: &str,
        method: &str,
        target: impl Fn(usize) -> String,
        headers: &[(&str, String)],
        expect: Expect,
    ) {
        self.check_raw(
            format!("{what}: 100 KB"),
            method,
            &target(BIG),
            headers,
            "",
            TARGET_TOO_LONG,
        )
        .await;
        self.check_raw(
            format!("{what}: 60 KB, the largest the server reads"),
            method,
            &target(LARGE),
            headers,
            "",
            expect,
        )
        .await;
    }

    /// Where the server may send a browser: a registered callback or logout URL, or its own
    /// hosted pages.
    fn safe_location(&self, location: &str) -> bool {
        location.starts_with(&format!("{CALLBACK}?"))
            || location.starts_with("myapp://done?")
            || location == BYE
            || location.starts_with(&format!("/{}/login?request=", self.web.pool))
            || location.starts_with(&format!("/{}/new-password?request=", self.web.pool))
    }

    fn judge(&mut self, what: &str, reply: &Reply, expect: Expect) -> bool {
        let verdict = if reply.status == 0 {
            Err("the server did not answer".to_string())
        } else if reply.status >= 500 {
            Err("a server error".to_string())
        } else if let Some(location) = reply.location().filter(|l| !self.safe_location(l)) {
            Err(format!(
                "a redirect to an unregistered URI: {}",
                shorten(&location)
            ))
        } else {
            match expect {
                Expect::Page(status) => page_problems(reply, status),
                Expect::PageSaying(status, text) => page_problems(reply, status).and_then(|()| {
                    if page_text(&reply.text).contains(text) {
                        Ok(())
                    } else {
                        Err(format!("the page does not say `{text}`"))
                    }
                }),
                Expect::Redirect(errors) => self.redirect_problems(reply, errors),
                Expect::OAuth(status, error) => oauth_problems(reply, status, error),
                Expect::OAuthAny(allowed) => {
                    if allowed
                        .iter()
                        .any(|(s, e)| oauth_problems(reply, *s, e).is_ok())
                    {
                        Ok(())
                    } else {
                        // Explain against the closest expectation.
                        let (s, e) = allowed
                            .iter()
                            .find(|(s, _)| *s == reply.status)
                            .unwrap_or(&allowed[0]);
                        oauth_problems(reply, *s, e)
                    }
                }
                Expect::TooLarge => {
                    if reply.status == 413 && reply.location().is_none() {
                        Ok(())
                    } else {
                        Err("not 413".into())
                    }
                }
                Expect::Status(status) => {
                    if reply.status == status && reply.location().is_none() {
                        Ok(())
                    } else {
                        Err("wrong status".into())
                    }
                }
                Expect::Refused(statuses) => {
                    if statuses.contains(&reply.status) && reply.location().is_none() {
                        Ok(())
                    } else {
                        Err("wrong status".into())
                    }
                }
                Expect::RedirectTo(target) => {
                    if reply.status == 302 && reply.location().as_deref() == Some(target) {
                        Ok(())
                    } else {
                        Err(format!("not a 302 to {target}"))
                    }
                }
                Expect::SignInForm => {
                    let login = format!("/{}/login?request=", self.web.pool);
                    if reply.status == 303
                        && reply.location().is_some_and(|l| l.starts_with(&login))
                    {
                        Ok(())
                    } else {
                        Err("not a 303 to the sign-in form".into())
                    }
                }
            }
        };
        match verdict {
            Ok(()) => true,
            Err(why) => {
                self.fail(
                    what,
                    format!("expected {expect:?}, got {} — {why}", reply.describe()),
                );
                false
            }
        }
    }

    fn redirect_problems(&self, reply: &Reply, errors: &[&str]) -> Result<(), String> {
        if reply.status != 302 {
            return Err("not a 302".into());
        }
        let location = reply.location().unwrap_or_default();
        let url = url::Url::parse(&location).map_err(|e| format!("Location unparsable: {e}"))?;
        let query: std::collections::HashMap<String, String> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let error = query.get("error").map(String::as_str).unwrap_or("");
        if !errors.contains(&error) {
            return Err(format!("error is `{error}`"));
        }
        if query.get("iss") != Some(&self.web.issuer) {
            return Err("no iss (RFC 9207)".into());
        }
        if query
            .get("error_description")
            .is_some_and(|d| d.contains(['\r', '\n', '\t', '"']))
        {
            return Err("error_description holds control characters or quotes".into());
        }
        if query.contains_key("code") {
            return Err("a code was issued".into());
        }
        Ok(())
    }

    /// Sends one hostile request, judges the answer, then checks a normal sign-in.
    async fn check(
        &mut self,
        what: impl Display,
        request: reqwest::RequestBuilder,
        expect: Expect,
    ) -> Reply {
        let what = what.to_string();
        self.sent += 1;
        let reply = self.send(request).await;
        self.judge(&what, &reply, expect);
        self.still_signs_in(&what).await;
        reply
    }

    /// A whole normal sign-in: authorize, the form, the code, the tokens and userInfo.
    async fn still_signs_in(&mut self, after: &str) {
        if let Err(why) = sign_in(self.app, self.web).await {
            self.fail(format!("normal sign-in after [{after}]"), why);
        }
    }

    /// The same parameters to `GET` (query) and `POST` (form body) of the authorize endpoint.
    async fn authorize_both(&mut self, what: impl Display, form: &Form, expect: Expect) {
        let query = form.encode();
        let get = self.get(&format!("oauth2/authorize?{query}"));
        self.check(format!("GET authorize, {what}"), get, expect)
            .await;
        let post = self.post("oauth2/authorize", query);
        self.check(format!("POST authorize, {what}"), post, expect)
            .await;
    }

    /// A fresh sign-in form: its CSRF token and pending-request reference, with the CSRF
    /// cookie of the browser it belongs to.
    async fn fresh_login(&mut self) -> Option<(Form, String)> {
        match open_form(self.app, self.web, None).await {
            Ok(form) => Some(form),
            Err(why) => {
                self.fail("opening a sign-in form", why);
                None
            }
        }
    }

    /// A fresh new-password form for `tina`, who holds a temporary password.
    async fn fresh_new_password(&mut self) -> Option<(Form, String)> {
        match open_form(self.app, self.web, Some("tina")).await {
            Ok(form) => Some(form),
            Err(why) => {
                self.fail("opening a new-password form for tina", why);
                None
            }
        }
    }

    /// Posts a hosted form with the CSRF cookie that goes with its token.
    fn hosted_post(&self, page: &str, csrf_cookie: &str, form: &Form) -> reqwest::RequestBuilder {
        self.post(page, form.encode())
            .header("cookie", format!("cognate_csrf={csrf_cookie}"))
    }

    /// Posts a hosted form (`login` or `new-password`) built from a fresh one by `change`.
    async fn hosted(
        &mut self,
        page: &str,
        what: impl Display,
        change: impl Fn(&Form) -> Form,
        expect: Expect,
    ) {
        let fresh = if page == "login" {
            self.fresh_login().await
        } else {
            self.fresh_new_password().await
        };
        let Some((fresh, cookie)) = fresh else { return };
        let request = self.hosted_post(page, &cookie, &change(&fresh));
        self.check(format!("POST {page}, {what}"), request, expect)
            .await;
    }

    async fn token(&mut self, what: impl Display, form: &Form, expect: Expect) -> Reply {
        let request = self.post("oauth2/token", form.encode());
        self.check(format!("token, {what}"), request, expect).await
    }

    async fn revoke(&mut self, what: impl Display, form: &Form, expect: Expect) {
        let request = self.post("oauth2/revoke", form.encode());
        self.check(format!("revoke, {what}"), request, expect).await;
    }

    async fn logout(&mut self, what: impl Display, form: &Form, expect: Expect) {
        let request = self.get(&format!("logout?{}", form.encode()));
        self.check(format!("logout, {what}"), request, expect).await;
    }

    /// Both discovery documents with a hostile query string: it is ignored.
    async fn discovery(&mut self, what: impl Display, query: &str) {
        for doc in [".well-known/openid-configuration", ".well-known/jwks.json"] {
            let target = self.target(&format!("{doc}?{query}"));
            let reply = self
                .check_raw(
                    format!("GET {doc}, {what}"),
                    "GET",
                    &target,
                    &[],
                    "",
                    Expect::Status(200),
                )
                .await;
            if reply.status == 200
                && reply.body["issuer"] != self.web.issuer.as_str()
                && reply.body["keys"].as_array().is_none_or(|k| k.is_empty())
            {
                self.fail(format!("GET {doc}, {what}"), "the document is incomplete");
            }
        }
    }

    /// A refresh request refused for its `scope` must leave the refresh token usable: no
    /// new token was issued, so the old one must not count as rotated (or reused).
    async fn refused_refresh_keeps_token(&mut self, what: &str, scope_encoded: &str) {
        let browser = Browser::new(self.app);
        let tokens = tokens_for(self.app, self.web, &browser).await;
        let refresh = tokens["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let access = tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let form = refresh_form(self.web, &refresh).set("scope", scope_encoded);
        self.token(
            format!("refresh with a real token and scope {what}"),
            &form,
            Expect::OAuthAny(&[(400, "invalid_scope"), (400, "invalid_request")]),
        )
        .await;
        let again = token_request(
            self.app,
            &self.web.pool,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &self.web.client_id),
            ],
        )
        .await;
        if again.status != 200 {
            self.fail(
                format!("token, refresh with a real token and scope {what}"),
                format!(
                    "the refused request consumed the refresh token: using it again answers {} {}",
                    again.status,
                    shorten(&again.text)
                ),
            );
        }
        let info = userinfo(self.app, &self.web.pool, &access).await;
        if info.status != 200 {
            self.fail(
                format!("token, refresh with a real token and scope {what}"),
                format!(
                    "the refused request revoked the token family: userInfo answers {} {}",
                    info.status,
                    shorten(&info.text)
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Another client of the pool, returned as (client_id, client_secret).
struct Client {
    id: String,
    secret: String,
}

async fn confidential_client(app: &TestApp, pool: &str) -> Client {
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "confidential", "generate_secret": true,
                        "callback_urls": [CALLBACK], "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid", "email"]})),
        )
        .await
        .expect(201);
    Client {
        id: client["client_id"].as_str().unwrap().to_string(),
        secret: client["client_secret"].as_str().unwrap().to_string(),
    }
}

async fn machine_client(app: &TestApp, pool: &str) -> Client {
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "m2m", "generate_secret": true,
                        "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": [API_SCOPE]})),
        )
        .await
        .expect(201);
    Client {
        id: client["client_id"].as_str().unwrap().to_string(),
        secret: client["client_secret"].as_str().unwrap().to_string(),
    }
}

/// `tina`, admin-created with a temporary password: signing in leads to `/new-password`.
async fn create_tina(app: &TestApp, pool: &str) {
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "tina", "temporary_password": TEMP_PASSWORD,
                    "attributes": {"email": "tina@example.com"}}),
        ),
    )
    .await
    .expect(201);
}

/// A second pool with its own key, client and `alice`, signed in once: the tokens.
async fn other_pool(app: &TestApp) -> Value {
    let pool = app.create_pool("elsewhere", json!({})).await;
    let client = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "web", "callback_urls": [CALLBACK],
                        "allowed_oauth_flows": ["code"],
                        "allowed_oauth_scopes": ["openid", "email", "profile"]})),
        )
        .await
        .expect(201);
    app.admin(
        "POST",
        &format!("/pools/{pool}/users"),
        Some(
            json!({"username": "alice", "password": PASSWORD, "email_verified": true,
                    "attributes": {"email": "alice@example.com"}}),
        ),
    )
    .await
    .expect(201);
    let web = WebApp {
        issuer: format!("http://localhost:{}/{pool}", app.port),
        pool,
        client_id: client["client_id"].as_str().unwrap().to_string(),
        secret: None,
        callback: CALLBACK.to_string(),
    };
    tokens_for(app, &web, &Browser::new(app)).await
}

/// A whole normal sign-in as `alice` in a fresh browser; the reason when it fails.
async fn sign_in(app: &TestApp, web: &WebApp) -> Result<(), String> {
    let browser = Browser::new(app);
    let (url, verifier) = authorize_url(web, &[]);
    let first = browser.get(&url).await;
    let Some(login_url) = first.location.as_deref().filter(|_| first.status == 303) else {
        return Err(format!(
            "authorize answered {} {}",
            first.status,
            shorten(&page_text(&first.body))
        ));
    };
    let login = browser.get(login_url).await;
    if login.status != 200 || !login.body.contains("<form") {
        return Err(format!(
            "the sign-in form answered {} {}",
            login.status,
            shorten(&page_text(&login.body))
        ));
    }
    let done = browser
        .submit(&login, &[("username", "alice"), ("password", PASSWORD)])
        .await;
    let location = done.location.clone().unwrap_or_default();
    if done.status != 303 || !location.starts_with(&format!("{CALLBACK}?")) {
        return Err(format!(
            "signing in answered {} {location} {}",
            done.status,
            shorten(&page_text(&done.body))
        ));
    }
    let Some(code) = query_of(&location).get("code").cloned() else {
        return Err(format!("no code in {location}"));
    };
    let tokens = redeem(app, web, &code, &verifier).await;
    if tokens.status != 200 {
        return Err(format!(
            "redeeming the code answered {} {}",
            tokens.status,
            shorten(&tokens.text)
        ));
    }
    let access = tokens.body["access_token"].as_str().unwrap_or_default();
    let info = userinfo(app, &web.pool, access).await;
    if info.status != 200 || info.body["username"] != "alice" {
        return Err(format!(
            "userInfo answered {} {}",
            info.status,
            shorten(&info.text)
        ));
    }
    Ok(())
}

/// Opens the sign-in form (and, for `temp_user`, signs in with the temporary password to
/// reach the new-password form); returns the form's hidden fields.
async fn open_form(
    app: &TestApp,
    web: &WebApp,
    temp_user: Option<&str>,
) -> Result<(Form, String), String> {
    let browser = Browser::new(app);
    let (url, _) = authorize_url(web, &[]);
    let first = browser.get(&url).await;
    let Some(login_url) = first.location.as_deref().filter(|_| first.status == 303) else {
        return Err(format!("authorize answered {}", first.status));
    };
    let mut page = browser.get(login_url).await;
    if page.status != 200 {
        return Err(format!("the sign-in form answered {}", page.status));
    }
    if let Some(user) = temp_user {
        let step = browser
            .submit(&page, &[("username", user), ("password", TEMP_PASSWORD)])
            .await;
        let Some(next) = step.location.as_deref().filter(|_| step.status == 303) else {
            return Err(format!(
                "signing in with the temporary password answered {} {}",
                step.status,
                shorten(&page_text(&step.body))
            ));
        };
        page = browser.get(next).await;
        if page.status != 200 || !page.body.contains("new_password") {
            return Err(format!("the new-password form answered {}", page.status));
        }
    }
    let csrf = hidden(&page.body, "csrf_token").ok_or("no csrf_token field")?;
    let request = hidden(&page.body, "request").ok_or("no request field")?;
    let Some(cookie) = browser
        .cookie("cognate_csrf")
        .filter(|cookie| *cookie != csrf)
    else {
        return Err("no CSRF cookie, or a token that is the cookie itself".into());
    };
    let form = match temp_user {
        None => Form::of(&[
            ("csrf_token", &csrf),
            ("request", &request),
            ("username", "alice"),
            ("password", PASSWORD),
        ]),
        Some(_) => Form::of(&[
            ("csrf_token", &csrf),
            ("request", &request),
            ("step", &hidden(&page.body, "step").ok_or("no step field")?),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ]),
    };
    Ok((form, cookie))
}

/// Every authorize parameter, each valid: the request leads to the sign-in form.
fn authorize_form(web: &WebApp) -> Form {
    let (_, challenge) = pkce();
    Form::of(&[
        ("response_type", "code"),
        ("client_id", &web.client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "openid email profile"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("prompt", "login"),
        ("max_age", "3600"),
        ("login_hint", "alice"),
    ])
}

/// What a well-formed authorize request with one bad value gets: a page when the client or
/// its redirect URI cannot be trusted, otherwise an error redirect to the callback.
fn authorize_bad_value(name: &str) -> Expect {
    match name {
        "client_id" | "redirect_uri" => Expect::Page(400),
        "response_type" => Expect::Redirect(&["unsupported_response_type", "invalid_request"]),
        "scope" => Expect::Redirect(&["invalid_request", "invalid_scope"]),
        _ => Expect::Redirect(&["invalid_request"]),
    }
}

/// What a hosted form post with one bad value gets.
fn hosted_bad_value(name: &str) -> Expect {
    match name {
        "csrf_token" => Expect::PageSaying(403, "could not be verified"),
        "request" => Expect::PageSaying(400, "expired"),
        // Wrong credentials, or a refused new password: the form again, with a message.
        "username" | "password" => Expect::PageSaying(200, "Incorrect username or password."),
        "new_password" => Expect::PageSaying(200, "The new password"),
        _ => Expect::PageSaying(200, "do not match"),
    }
}

fn code_form(web: &WebApp, code: &str, verifier: &str) -> Form {
    Form::of(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
        ("client_id", &web.client_id),
    ])
}

fn refresh_form(web: &WebApp, refresh: &str) -> Form {
    Form::of(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", &web.client_id),
        ("scope", "openid"),
    ])
}

fn confidential_form(client: &Client) -> Form {
    Form::of(&[
        ("grant_type", "authorization_code"),
        ("code", BOGUS_CODE),
        ("redirect_uri", CALLBACK),
        ("client_id", &client.id),
        ("client_secret", &client.secret),
    ])
}

fn machine_form(client: &Client) -> Form {
    Form::of(&[
        ("grant_type", "client_credentials"),
        ("client_id", &client.id),
        ("client_secret", &client.secret),
        ("scope", API_SCOPE),
    ])
}

fn revoke_form(web: &WebApp, token: &str) -> Form {
    Form::of(&[
        ("token", token),
        ("token_type_hint", "refresh_token"),
        ("client_id", &web.client_id),
    ])
}

fn logout_form(web: &WebApp) -> Form {
    Form::of(&[("client_id", &web.client_id), ("logout_uri", BYE)])
}

fn code_grant_bad(name: &str) -> Expect {
    match name {
        "grant_type" => Expect::OAuth(400, "unsupported_grant_type"),
        "client_id" => Expect::OAuth(401, "invalid_client"),
        _ => Expect::OAuth(400, "invalid_grant"),
    }
}

fn refresh_grant_bad(name: &str) -> Expect {
    match name {
        "grant_type" => Expect::OAuth(400, "unsupported_grant_type"),
        "client_id" => Expect::OAuth(401, "invalid_client"),
        // The token is checked first or the scope is: either refusal is right.
        "scope" => Expect::OAuthAny(&[(400, "invalid_grant"), (400, "invalid_scope")]),
        _ => Expect::OAuth(400, "invalid_grant"),
    }
}

fn confidential_grant_bad(name: &str) -> Expect {
    match name {
        "grant_type" => Expect::OAuth(400, "unsupported_grant_type"),
        "client_id" | "client_secret" => Expect::OAuth(401, "invalid_client"),
        _ => Expect::OAuth(400, "invalid_grant"),
    }
}

fn machine_grant_bad(name: &str) -> Expect {
    match name {
        "grant_type" => Expect::OAuth(400, "unsupported_grant_type"),
        "client_id" | "client_secret" => Expect::OAuth(401, "invalid_client"),
        _ => Expect::OAuth(400, "invalid_scope"),
    }
}

type BadValue = fn(&str) -> Expect;

/// Every token-endpoint form, each with a wrong value somewhere (a bogus code or refresh
/// token, or nothing for client credentials): the form, its label, and what one bad value
/// in each of its parameters gets.
fn token_forms(web: &WebApp, conf: &Client, m2m: &Client) -> Vec<(Form, &'static str, BadValue)> {
    let (verifier, _) = pkce();
    vec![
        (
            code_form(web, BOGUS_CODE, &verifier),
            "code grant",
            code_grant_bad as BadValue,
        ),
        (
            refresh_form(web, BOGUS_REFRESH),
            "refresh grant",
            refresh_grant_bad,
        ),
        (
            confidential_form(conf),
            "confidential code grant",
            confidential_grant_bad,
        ),
        (
            machine_form(m2m),
            "client credentials grant",
            machine_grant_bad,
        ),
    ]
}

fn revoke_bad_value(name: &str) -> Expect {
    match name {
        "client_id" => Expect::OAuth(401, "invalid_client"),
        // RFC 7009 §2.2: unknown tokens are answered 200; the hint is only a hint.
        _ => Expect::Status(200),
    }
}

/// A malformed userInfo form body: RFC 6750 `invalid_request`, or refused as a bad token.
const USERINFO_MALFORMED: Expect =
    Expect::OAuthAny(&[(400, "invalid_request"), (401, "invalid_token")]);

/// What a duplicated parameter answers at each JSON endpoint (RFC 6749 §3.1, §3.2).
const DUPLICATE_AT_TOKEN: Expect = Expect::OAuth(400, "invalid_request");

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Duplicated parameters
// ---------------------------------------------------------------------------------------------

async fn duplicated_parameters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let conf = confidential_client(&app, &web.pool).await;
    let m2m = machine_client(&app, &web.pool).await;
    create_tina(&app, &web.pool).await;
    let mut run = Run::new(&app, &web);

    // Authorize: nothing in a request with a repeated parameter can be trusted, not even
    // its redirect URI, so the answer is a page.
    let base = authorize_form(&web);
    run.authorize_both("every parameter valid", &base, Expect::SignInForm)
        .await;
    for name in base.names() {
        let same = base.0.iter().find(|(k, _)| *k == name).unwrap().1.clone();
        let other = match name.as_str() {
            "redirect_uri" => enc("https://attacker.example/callback"),
            "client_id" => enc("abcdefghijklmnopqrstuvwxyz"),
            _ => "other".to_string(),
        };
        for (label, second) in [
            ("same value", same),
            ("another value", other),
            ("empty", String::new()),
        ] {
            run.authorize_both(
                format!("{name} repeated ({label})"),
                &base.repeat(&name, second),
                Expect::PageSaying(400, "repeated"),
            )
            .await;
        }
        // The repeat first, then the valid one.
        let mut first = base.without(&name);
        first
            .0
            .insert(0, (name.clone(), enc("https://attacker.example/")));
        run.authorize_both(
            format!("{name} repeated (attacker value first)"),
            &first.repeat(
                &name,
                base.0.iter().find(|(k, _)| *k == name).unwrap().1.clone(),
            ),
            Expect::PageSaying(400, "repeated"),
        )
        .await;
    }
    run.authorize_both(
        "an unknown parameter repeated",
        &base.set("foo", "1").repeat("foo", "2"),
        Expect::PageSaying(400, "repeated"),
    )
    .await;
    // The page names the repeated parameter; markup in its name must not come back as markup.
    let markup = "<script>alert(1)</script>";
    let form = base.set(markup, "1").repeat(markup, "2");
    let reply = run
        .check(
            "GET authorize, a repeated parameter named with markup",
            run.get(&format!("oauth2/authorize?{}", form.encode())),
            Expect::PageSaying(400, "repeated"),
        )
        .await;
    if reply.text.contains("<script") {
        run.fail(
            "GET authorize, a repeated parameter named with markup",
            "the page echoes the markup unescaped",
        );
    }

    // Hosted pages.
    if let Some((login, _)) = run.fresh_login().await {
        let request = login.raw("request");
        run.check(
            "GET login, request repeated",
            run.get(&format!("login?request={0}&request={0}", enc(&request))),
            EXPIRED,
        )
        .await;
        run.check(
            "GET login, request repeated (other value first)",
            run.get(&format!("login?request=other&request={}", enc(&request))),
            EXPIRED,
        )
        .await;
    }
    for name in ["csrf_token", "request", "username", "password"] {
        for (label, second) in [("same value", None), ("another value", Some("other"))] {
            run.hosted(
                "login",
                format!("{name} repeated ({label})"),
                |f| {
                    let value = second.map(enc).unwrap_or_else(|| enc(&f.raw(name)));
                    f.repeat(name, value)
                },
                Expect::PageSaying(400, "repeated"),
            )
            .await;
        }
    }
    if let Some((form, _)) = run.fresh_new_password().await {
        let request = form.raw("request");
        run.check(
            "GET new-password, request repeated",
            run.get(&format!(
                "new-password?request={0}&request={0}",
                enc(&request)
            )),
            EXPIRED,
        )
        .await;
    }
    for name in ["csrf_token", "request", "new_password", "confirm_password"] {
        run.hosted(
            "new-password",
            format!("{name} repeated"),
            |f| f.repeat(name, enc(&f.raw(name))),
            Expect::PageSaying(400, "repeated"),
        )
        .await;
    }

    // Token endpoint: 400 invalid_request for every repeated parameter.
    for (form, label, _) in token_forms(&web, &conf, &m2m) {
        for name in form.names() {
            let same = form.0.iter().find(|(k, _)| *k == name).unwrap().1.clone();
            run.token(
                format!("{label}, {name} repeated (same value)"),
                &form.repeat(&name, same),
                DUPLICATE_AT_TOKEN,
            )
            .await;
            run.token(
                format!("{label}, {name} repeated (another value)"),
                &form.repeat(&name, "other"),
                DUPLICATE_AT_TOKEN,
            )
            .await;
        }
    }
    // A real code and a real refresh token survive a request refused for a repeat.
    let browser = Browser::new(&app);
    let (url, verifier) = authorize_url(&web, &[("prompt", "login")]);
    let done = browser.sign_in(&url, "alice", PASSWORD).await;
    let code = query_of(done.location.as_deref().unwrap())["code"].clone();
    let form = code_form(&web, &code, &verifier);
    run.token(
        "a real code with code repeated",
        &form.repeat("code", enc(&code)),
        DUPLICATE_AT_TOKEN,
    )
    .await;
    let tokens = run
        .token("the same real code, once", &form, Expect::Status(200))
        .await;
    let refresh = tokens.body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let form = refresh_form(&web, &refresh).without("scope");
    run.token(
        "a real refresh token with refresh_token repeated",
        &form.repeat("refresh_token", enc(&refresh)),
        DUPLICATE_AT_TOKEN,
    )
    .await;
    run.revoke(
        "a real refresh token with token repeated",
        &revoke_form(&web, &refresh).repeat("token", enc(&refresh)),
        DUPLICATE_AT_TOKEN,
    )
    .await;
    run.token(
        "the same real refresh token, once",
        &form,
        Expect::Status(200),
    )
    .await;
    // Two Authorization headers: two client authentications in one request.
    run.check(
        "token, two Authorization: Basic headers",
        run.post("oauth2/token", "grant_type=client_credentials")
            .header("authorization", basic(&m2m.id, &m2m.secret))
            .header("authorization", basic(&conf.id, &conf.secret)),
        Expect::OAuthAny(&[(400, "invalid_request"), (401, "invalid_client")]),
    )
    .await;

    // Revocation.
    let form = revoke_form(&web, BOGUS_REFRESH);
    for name in form.names() {
        run.revoke(
            format!("{name} repeated"),
            &form.repeat(&name, "other"),
            DUPLICATE_AT_TOKEN,
        )
        .await;
    }

    // userInfo: a repeated form token, and two Bearer headers.
    let access = tokens_for(&app, &web, &browser).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    run.check(
        "POST userInfo, access_token repeated",
        run.post(
            "oauth2/userInfo",
            format!("access_token={0}&access_token={0}", enc(&access)),
        ),
        USERINFO_MALFORMED,
    )
    .await;
    run.check(
        "GET userInfo, two Authorization: Bearer headers",
        run.get("oauth2/userInfo")
            .header("authorization", format!("Bearer {access}"))
            .header("authorization", "Bearer forged"),
        Expect::OAuthAny(&[(400, "invalid_request"), (401, "invalid_token")]),
    )
    .await;

    // Logout: with a repeat nothing is trusted, so a page that refuses, and no redirect.
    let form = logout_form(&web);
    for name in form.names() {
        run.logout(
            format!("{name} repeated (same value)"),
            &form.repeat(&name, enc(&form.raw(&name))),
            Expect::Page(400),
        )
        .await;
        run.logout(
            format!("{name} repeated (attacker value)"),
            &form.repeat(&name, enc("https://attacker.example/")),
            Expect::Page(400),
        )
        .await;
    }

    run.discovery("a repeated parameter", "a=1&a=2").await;
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Values of 100 KB
// ---------------------------------------------------------------------------------------------

async fn values_of_100_kb_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let conf = confidential_client(&app, &web.pool).await;
    let m2m = machine_client(&app, &web.pool).await;
    create_tina(&app, &web.pool).await;
    let mut run = Run::new(&app, &web);

    // Authorize: a 100 KB query string is over the 64 KiB request target the server's HTTP
    // layer reads, so it is refused before the handler; the largest it reads gets each
    // parameter's documented error. In a form body 100 KB is over the 64 KiB body limit
    // (413) and 60 KB gets the documented error. The HTTP client builds no URI over 64 KiB,
    // so these query strings go over a plain connection.
    let base = authorize_form(&web);
    for name in base.names().into_iter().chain(["foo".to_string()]) {
        let form = base.set_raw(&name, &long_value(&name, BIG));
        let expect = if name == "foo" {
            Expect::SignInForm
        } else {
            authorize_bad_value(&name)
        };
        let prefix = run.target("oauth2/authorize?");
        run.long_target(
            &format!("GET authorize, long {name}"),
            "GET",
            |len| {
                format!(
                    "{prefix}{}",
                    base.set_raw(&name, &long_value(&name, len)).encode()
                )
            },
            &[],
            expect,
        )
        .await;
        run.check(
            format!("POST authorize, 100 KB {name}"),
            run.post("oauth2/authorize", form.encode()),
            Expect::TooLarge,
        )
        .await;
        // The largest value a form body takes.
        let form = base.set_raw(&name, &long_value(&name, LARGE));
        run.check(
            format!("POST authorize, 60 KB {name}"),
            run.post("oauth2/authorize", form.encode()),
            expect,
        )
        .await;
    }
    // Past the 128 KiB request-head limit as well.
    let target = run.target(&format!(
        "oauth2/authorize?{}",
        base.set_raw("state", &"x".repeat(2 * BIG)).encode()
    ));
    run.check_raw(
        "GET authorize, a 200 KB query string",
        "GET",
        &target,
        &[],
        "",
        TARGET_TOO_LONG,
    )
    .await;

    // Hosted pages.
    for page in ["login", "new-password"] {
        let prefix = run.target(&format!("{page}?request="));
        run.long_target(
            &format!("GET {page}, long request"),
            "GET",
            |len| format!("{prefix}{}", "x".repeat(len)),
            &[],
            EXPIRED,
        )
        .await;
    }
    for (page, names) in [
        ("login", ["csrf_token", "request", "username", "password"]),
        (
            "new-password",
            ["csrf_token", "request", "new_password", "confirm_password"],
        ),
    ] {
        for name in names {
            run.hosted(
                page,
                format!("100 KB {name}"),
                |f| f.set_raw(name, &long_value(name, BIG)),
                Expect::TooLarge,
            )
            .await;
            // A new password goes into both fields: 30 KB each keeps the body under the limit.
            let len = if name == "new_password" {
                LARGE / 2
            } else {
                LARGE
            };
            run.hosted(
                page,
                format!("{} KB {name}", len / 1024),
                |f| f.set_raw(name, &long_value(name, len)).confirmed(name),
                hosted_bad_value(name),
            )
            .await;
        }
    }

    // Token endpoint: 413 for 100 KB bodies; the documented error for 60 KB values.
    for (form, label, bad) in token_forms(&web, &conf, &m2m) {
        for name in form.names() {
            run.token(
                format!("{label}, 100 KB {name}"),
                &form.set_raw(&name, &long_value(&name, BIG)),
                Expect::TooLarge,
            )
            .await;
            run.token(
                format!("{label}, 60 KB {name}"),
                &form.set_raw(&name, &long_value(&name, LARGE)),
                bad(&name),
            )
            .await;
        }
    }
    // Parameters belong in the body (RFC 6749 §2.3.1, §3.2): a long query string with the
    // whole grant in it is not read.
    let prefix = run.target(&format!(
        "oauth2/token?{}&padding=",
        machine_form(&m2m).encode()
    ));
    run.long_target(
        "token, the grant in a long query string and an empty body",
        "POST",
        |len| format!("{prefix}{}", "x".repeat(len)),
        &[("Content-Type", FORM.to_string())],
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "token, a 100 KB Basic header",
        run.post("oauth2/token", "grant_type=client_credentials")
            .header(
                "authorization",
                basic(&"a".repeat(BIG / 2), &"s".repeat(BIG / 4)),
            ),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.refused_refresh_keeps_token("of 60 KB", &"x".repeat(LARGE))
        .await;

    // Revocation.
    let form = revoke_form(&web, BOGUS_REFRESH);
    for name in form.names() {
        run.revoke(
            format!("100 KB {name}"),
            &form.set_raw(&name, &long_value(&name, BIG)),
            Expect::TooLarge,
        )
        .await;
        run.revoke(
            format!("60 KB {name}"),
            &form.set_raw(&name, &long_value(&name, LARGE)),
            revoke_bad_value(&name),
        )
        .await;
    }

    // userInfo.
    run.check(
        "GET userInfo, a 100 KB Bearer token",
        run.get("oauth2/userInfo")
            .header("authorization", format!("Bearer {}", "x".repeat(BIG))),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    let prefix = run.target("oauth2/userInfo?access_token=");
    run.long_target(
        "GET userInfo, a long query string and no token",
        "GET",
        |len| format!("{prefix}{}", "x".repeat(len)),
        &[],
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "POST userInfo, 100 KB access_token",
        run.post(
            "oauth2/userInfo",
            format!("access_token={}", "x".repeat(BIG)),
        ),
        Expect::TooLarge,
    )
    .await;
    run.check(
        "POST userInfo, 60 KB access_token",
        run.post(
            "oauth2/userInfo",
            format!("access_token={}", "x".repeat(LARGE)),
        ),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;

    // Logout and discovery.
    let form = logout_form(&web);
    let prefix = run.target("logout?");
    for name in form.names() {
        run.long_target(
            &format!("logout, long {name}"),
            "GET",
            |len| {
                format!(
                    "{prefix}{}",
                    form.set_raw(&name, &long_value(&name, len)).encode()
                )
            },
            &[],
            Expect::Page(400),
        )
        .await;
    }
    for doc in [".well-known/openid-configuration", ".well-known/jwks.json"] {
        let prefix = run.target(&format!("{doc}?x="));
        run.long_target(
            &format!("GET {doc}, a long query string"),
            "GET",
            |len| format!("{prefix}{}", "x".repeat(len)),
            &[],
            Expect::Status(200),
        )
        .await;
    }
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 3. Non-UTF-8 percent-encoding
// ---------------------------------------------------------------------------------------------

async fn non_utf8_percent_encoding_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let conf = confidential_client(&app, &web.pool).await;
    let m2m = machine_client(&app, &web.pool).await;
    create_tina(&app, &web.pool).await;
    let mut run = Run::new(&app, &web);

    // Authorize: undecodable parameters cannot be trusted: a page, never a redirect.
    let base = authorize_form(&web);
    for name in base.names().into_iter().chain(["foo".to_string()]) {
        for (label, bytes) in NOT_UTF8 {
            run.authorize_both(
                format!("{name} with {label}"),
                &base.set("foo", "1").spliced(&name, bytes),
                Expect::PageSaying(400, "UTF-8"),
            )
            .await;
        }
    }
    run.authorize_both(
        "a parameter name that is not UTF-8",
        &base.set("%FF%FE", "1"),
        Expect::PageSaying(400, "UTF-8"),
    )
    .await;

    // Hosted pages.
    for (label, bytes) in NOT_UTF8 {
        run.check(
            format!("GET login, request with {label}"),
            run.get(&format!("login?request=abc{bytes}def")),
            EXPIRED,
        )
        .await;
        run.check(
            format!("GET new-password, request with {label}"),
            run.get(&format!("new-password?request=abc{bytes}def")),
            EXPIRED,
        )
        .await;
    }
    for (page, names) in [
        ("login", ["csrf_token", "request", "username", "password"]),
        (
            "new-password",
            ["csrf_token", "request", "new_password", "confirm_password"],
        ),
    ] {
        for name in names {
            for (label, bytes) in NOT_UTF8 {
                run.hosted(
                    page,
                    format!("{name} with {label}"),
                    |f| f.spliced(name, bytes),
                    Expect::PageSaying(400, "UTF-8"),
                )
                .await;
            }
        }
    }

    // Token endpoint and revocation: 400 invalid_request.
    for (form, label, _) in token_forms(&web, &conf, &m2m) {
        for name in form.names() {
            for (what, bytes) in NOT_UTF8 {
                run.token(
                    format!("{label}, {name} with {what}"),
                    &form.spliced(&name, bytes),
                    Expect::OAuth(400, "invalid_request"),
                )
                .await;
            }
        }
    }
    let form = revoke_form(&web, BOGUS_REFRESH);
    for name in form.names() {
        for (label, bytes) in NOT_UTF8 {
            run.revoke(
                format!("{name} with {label}"),
                &form.spliced(&name, bytes),
                Expect::OAuth(400, "invalid_request"),
            )
            .await;
        }
    }
    // Client authentication that is not UTF-8.
    let not_utf8_basic: [(&str, Vec<u8>); 4] = [
        (
            "Basic credentials that decode to bytes that are not UTF-8",
            format!("Basic {}", STANDARD.encode([0xFF, 0xFE, b':', 0xFF])).into_bytes(),
        ),
        (
            "a Basic client_id form-encoded as %FF%FE",
            format!(
                "Basic {}",
                STANDARD.encode(format!("%FF%FE:{}", m2m.secret))
            )
            .into_bytes(),
        ),
        (
            "a Basic secret form-encoded as %FF%FE",
            format!("Basic {}", STANDARD.encode(format!("{}:%FF%FE", m2m.id))).into_bytes(),
        ),
        (
            "an Authorization header with raw bytes that are not UTF-8",
            [b"Basic ".as_slice(), &[0xFF, 0xFE, 0xFD]].concat(),
        ),
    ];
    for (label, value) in not_utf8_basic {
        run.check(
            format!("token, {label}"),
            run.post(
                "oauth2/token",
                format!("grant_type=client_credentials&scope={}", enc(API_SCOPE)),
            )
            .header("authorization", HeaderValue::from_bytes(&value).unwrap()),
            Expect::OAuth(401, "invalid_client"),
        )
        .await;
    }
    run.check(
        "token, a content type that is not UTF-8",
        run.app
            .http
            .post(run.url("oauth2/token"))
            .header(
                "content-type",
                HeaderValue::from_bytes(b"application/x-www-form-urlencoded\xFF").unwrap(),
            )
            .body(machine_form(&m2m).encode()),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;

    // userInfo.
    for (label, bytes) in NOT_UTF8 {
        run.check(
            format!("POST userInfo, access_token with {label}"),
            run.post("oauth2/userInfo", format!("access_token=abc{bytes}")),
            USERINFO_MALFORMED,
        )
        .await;
    }
    run.check(
        "GET userInfo, a Bearer token with raw bytes that are not UTF-8",
        run.get("oauth2/userInfo").header(
            "authorization",
            HeaderValue::from_bytes(b"Bearer \xFF\xFE.\xFF.\xFE").unwrap(),
        ),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;

    // Logout and discovery.
    let form = logout_form(&web);
    for name in form.names() {
        for (label, bytes) in NOT_UTF8 {
            run.logout(
                format!("{name} with {label}"),
                &form.spliced(&name, bytes),
                Expect::Page(400),
            )
            .await;
        }
    }
    run.discovery("a query that is not UTF-8", "x=%FF%FE").await;
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 4. NUL bytes and control characters
// ---------------------------------------------------------------------------------------------

/// Each control character in the middle of the value, and NUL alone.
fn control_variants(form: &Form, name: &str) -> Vec<(String, Form)> {
    let mut out: Vec<(String, Form)> = CONTROLS
        .iter()
        .map(|(label, bad)| (format!("{name} with {label}"), form.spliced(name, bad)))
        .collect();
    out.push((format!("{name} = NUL alone"), form.set(name, "%00")));
    out
}

async fn nul_and_control_characters_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let conf = confidential_client(&app, &web.pool).await;
    let m2m = machine_client(&app, &web.pool).await;
    create_tina(&app, &web.pool).await;
    let mut run = Run::new(&app, &web);

    // Authorize.
    let base = authorize_form(&web);
    for name in base.names() {
        for (what, form) in control_variants(&base, &name) {
            run.authorize_both(what, &form, authorize_bad_value(&name))
                .await;
        }
    }
    // Unknown parameters are ignored, whatever they hold.
    run.authorize_both(
        "an unknown parameter holding NUL",
        &base.set("foo", "a%00b"),
        Expect::SignInForm,
    )
    .await;

    // Hosted pages: the pending-request reference reaches the database.
    for (label, bad) in CONTROLS {
        run.check(
            format!("GET login, request with {label}"),
            run.get(&format!("login?request=abc{bad}def")),
            EXPIRED,
        )
        .await;
        run.check(
            format!("GET new-password, request with {label}"),
            run.get(&format!("new-password?request=abc{bad}def")),
            EXPIRED,
        )
        .await;
    }
    if let Some((login, _)) = run.fresh_login().await {
        // A live reference with a NUL after it.
        let request = enc(&login.raw("request"));
        run.check(
            "GET login, a live request reference followed by NUL",
            run.get(&format!("login?request={request}%00")),
            EXPIRED,
        )
        .await;
    }
    for (page, names) in [
        ("login", ["csrf_token", "request", "username", "password"]),
        (
            "new-password",
            ["csrf_token", "request", "new_password", "confirm_password"],
        ),
    ] {
        for name in names {
            for (label, bad) in CONTROLS
                .iter()
                .map(|(l, b)| (*l, *b))
                .chain([("NUL alone", "")])
            {
                run.hosted(
                    page,
                    format!("{name} with {label}"),
                    |f| {
                        if bad.is_empty() {
                            f.set(name, "%00").confirmed(name)
                        } else {
                            f.spliced(name, bad).confirmed(name)
                        }
                    },
                    hosted_bad_value(name),
                )
                .await;
            }
        }
    }

    // Token endpoint.
    for (form, label, bad) in token_forms(&web, &conf, &m2m) {
        for name in form.names() {
            for (what, hostile) in control_variants(&form, &name) {
                run.token(format!("{label}, {what}"), &hostile, bad(&name))
                    .await;
            }
        }
    }
    // Real tokens with a control character: refused, and the real ones still work.
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    for (label, bad) in CONTROLS {
        run.token(
            format!("a real refresh token with {label} appended"),
            &refresh_form(&web, &refresh)
                .without("scope")
                .set("refresh_token", format!("{}{bad}", enc(&refresh))),
            Expect::OAuth(400, "invalid_grant"),
        )
        .await;
        run.revoke(
            format!("a real refresh token with {label} appended"),
            &revoke_form(&web, &refresh).set("token", format!("{}{bad}", enc(&refresh))),
            Expect::Status(200),
        )
        .await;
    }
    run.token(
        "the real refresh token itself, after the near misses",
        &refresh_form(&web, &refresh).without("scope"),
        Expect::Status(200),
    )
    .await;
    run.refused_refresh_keeps_token("holding NUL", "openid%00email")
        .await;
    // A Bearer-style header may carry a TAB (other controls cannot be sent in a header).
    run.check(
        "token, a Basic header with a TAB inside",
        run.post("oauth2/token", "grant_type=client_credentials")
            .header(
                "authorization",
                format!("Basic\t{}", &basic(&m2m.id, &m2m.secret)[6..]),
            ),
        Expect::OAuthAny(&[(401, "invalid_client"), (400, "invalid_request")]),
    )
    .await;
    run.check(
        "token, Basic credentials holding NUL",
        run.post("oauth2/token", "grant_type=client_credentials")
            .header(
                "authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{}\0:{}", m2m.id, m2m.secret))
                ),
            ),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.check(
        "token, Basic credentials with a form-encoded NUL",
        run.post("oauth2/token", "grant_type=client_credentials")
            .header(
                "authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{}%00:{}", m2m.id, m2m.secret))
                ),
            ),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;

    // Revocation.
    let form = revoke_form(&web, BOGUS_REFRESH);
    for name in form.names() {
        for (what, hostile) in control_variants(&form, &name) {
            run.revoke(what, &hostile, revoke_bad_value(&name)).await;
        }
    }

    // userInfo.
    let access = tokens["access_token"].as_str().unwrap().to_string();
    for (label, bad) in CONTROLS {
        run.check(
            format!("POST userInfo, a real access token with {label} inside"),
            run.post(
                "oauth2/userInfo",
                format!("access_token={}{bad}{}", &access[..20], &access[20..]),
            ),
            Expect::OAuth(401, "invalid_token"),
        )
        .await;
    }
    run.check(
        "GET userInfo, a real access token with a TAB inside",
        run.get("oauth2/userInfo").header(
            "authorization",
            format!("Bearer {}\t{}", &access[..20], &access[20..]),
        ),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    // A forged header whose kid holds NUL and control characters.
    let payload = access.split('.').nth(1).unwrap();
    for kid in ["\u{0}", "abc\u{0}def", "\r\n", "\u{1b}[2J"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": kid}).to_string());
        run.check(
            format!("GET userInfo, a token whose kid is {kid:?}"),
            run.get("oauth2/userInfo")
                .bearer_auth(format!("{header}.{payload}.c2ln")),
            Expect::OAuth(401, "invalid_token"),
        )
        .await;
    }

    // Logout and its cookie.
    let form = logout_form(&web);
    for name in form.names() {
        for (what, hostile) in control_variants(&form, &name) {
            run.logout(what, &hostile, Expect::Page(400)).await;
        }
    }
    run.check(
        "GET logout, a session cookie holding NUL",
        run.get(&format!("logout?{}", form.encode()))
            .header("cookie", "cognate_session=%00abc"),
        Expect::RedirectTo(BYE),
    )
    .await;
    run.check(
        "GET authorize, a session cookie holding NUL",
        run.get(&format!("oauth2/authorize?{}", base.encode()))
            .header("cookie", "cognate_session=%00abc; cognate_csrf=%00"),
        Expect::SignInForm,
    )
    .await;

    run.discovery("a query holding NUL", "x=%00&y=%0D%0A").await;
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 5. redirect_uri tricks
// ---------------------------------------------------------------------------------------------

/// Near misses of the registered `http://localhost:3000/callback` and `myapp://done`, beyond
/// those in oauth.rs.
fn redirect_tricks() -> Vec<String> {
    let mut tricks: Vec<String> = [
        // Scheme case.
        "HTTP://localhost:3000/callback",
        "Http://localhost:3000/callback",
        "hTtP://localhost:3000/callback",
        "MYAPP://done",
        "MyApp://done",
        // Lookalike and alternative hosts.
        "http://l\u{043e}calhost:3000/callback",
        "http://xn--lcalhost-9xf:3000/callback",
        "http://xn--localhost-:3000/callback",
        "http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}:3000/callback",
        "http://localhost\u{3002}:3000/callback",
        "http://localhost.:3000/callback",
        "http://127.0.0.1:3000/callback",
        "http://[::1]:3000/callback",
        "http://0x7f000001:3000/callback",
        "http://2130706433:3000/callback",
        "http://localhost:03000/callback",
        "http://localhost:3000:80/callback",
        "https://localhost:3000/callback",
        // Backslashes.
        "http://localhost:3000\\callback",
        "http:\\\\localhost:3000\\callback",
        "http://localhost:3000/callback\\",
        "http://attacker.example\\@localhost:3000/callback",
        "http://localhost:3000\\@attacker.example/callback",
        "http://localhost:3000/callback\\..\\..\\evil",
        "myapp:\\\\done",
        // Dot segments.
        "http://localhost:3000/callback/../callback",
        "http://localhost:3000/x/../callback",
        "http://localhost:3000/./callback",
        "http://localhost:3000/callback/.",
        "http://localhost:3000//callback",
        "http://localhost:3000/%2e%2e/callback",
        "http://localhost:3000/callback/%2E%2E/",
        "http://localhost:3000/callback/..%2Fevil",
        "myapp://done/../done",
        "myapp://done/.",
        // Double encoding and encoded delimiters.
        "http://localhost:3000/%2563allback",
        "http%3A%2F%2Flocalhost%3A3000%2Fcallback",
        "http://localhost:3000/callback%252F..%252Fevil",
        "http://localhost%253A3000/callback",
        "http://localhost:3000/%63%61llback",
        "http://localhost:3000/callback%3Fx%3D1",
        "http://localhost:3000/callback%23frag",
        "http://localhost:3000/callback%2F",
        "http://localhost:3000/callback%00",
        "http://localhost%2Eattacker.example:3000/callback",
        // Whitespace.
        " http://localhost:3000/callback",
        "http://localhost:3000/callback ",
        "http://localhost:3000/callback\t",
        "\thttp://localhost:3000/callback",
        "http://localhost:3000/callback\n",
        "http://localhost:3000/callback\r\n",
        "http://localhost:3000/call back",
        "http://local host:3000/callback",
        "http://localhost:3000/callback%20",
        "http://localhost:3000/callback+",
        "http://localhost:3000/callback\u{a0}",
        "http://localhost:3000/callback\u{200b}",
        "\u{feff}http://localhost:3000/callback",
        "http://localhost:3000/callback\u{3000}",
        // Other shapes.
        "//localhost:3000/callback",
        "localhost:3000/callback",
        "/callback",
        "http:/localhost:3000/callback",
        "http:///localhost:3000/callback",
        "http://localhost:3000/callback?",
        "http://localhost:3000/callback#",
        "http://localhost:3000/callback;jsessionid=1",
        "http://localhost:3000/callback?next=https://attacker.example",
        "http://localhost:3000/callback&redirect_uri=https://attacker.example",
        "javascript://localhost:3000/callback%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://localhost:3000/callbackhttp://localhost:3000/callback",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Very long values.
    tricks.push(format!("{CALLBACK}/{}", "a".repeat(5_000)));
    tricks.push(format!("{CALLBACK}?{}", "x=1&".repeat(2_000)));
    tricks.push(format!("http://{}.example/callback", "a".repeat(5_000)));
    tricks.push(CALLBACK.repeat(200));
    tricks
}

async fn redirect_uri_tricks_show_a_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let mut run = Run::new(&app, &web);
    let base = authorize_form(&web);
    run.authorize_both(
        "the registered myapp://done",
        &base.set_raw("redirect_uri", "myapp://done"),
        Expect::SignInForm,
    )
    .await;

    // A signed-in browser too: single sign-on must not turn a near miss into a code.
    let browser = Browser::new(&app);
    tokens_for(&app, &web, &browser).await;
    let session = browser.cookie("cognate_session").expect("session cookie");

    for trick in redirect_tricks() {
        let form = base.set_raw("redirect_uri", &trick);
        let label = format!("redirect_uri {:?}", shorten(&trick));
        for (method, request) in [
            (
                "GET",
                run.get(&format!("oauth2/authorize?{}", form.encode())),
            ),
            ("POST", run.post("oauth2/authorize", form.encode())),
            (
                "GET with a live session,",
                run.get(&format!(
                    "oauth2/authorize?{}",
                    form.without("prompt").encode()
                ))
                .header("cookie", format!("cognate_session={session}")),
            ),
        ] {
            let what = format!("{method} authorize, {label}");
            let reply = run.check(&what, request, Expect::Page(400)).await;
            if reply.status == 400 && !reply.text.contains("redirect_uri") {
                run.fail(&what, "the page does not say redirect_uri is at fault");
            }
        }
    }
    // Very long: past the form limit (413), and within the query limit (a page).
    let long = format!("{CALLBACK}/{}", "a".repeat(BIG));
    run.authorize_both(
        "a 60 KB redirect_uri",
        &base.set_raw("redirect_uri", &long[..LARGE]),
        Expect::Page(400),
    )
    .await;
    let prefix = run.target("oauth2/authorize?");
    run.long_target(
        "GET authorize, a long redirect_uri",
        "GET",
        |len| {
            format!(
                "{prefix}{}",
                base.set_raw("redirect_uri", &long[..len]).encode()
            )
        },
        &[],
        Expect::Page(400),
    )
    .await;

    // At the token endpoint the redirect URI must be the authorize request's, exactly.
    for trick in [
        "HTTP://localhost:3000/callback",
        "http://localhost:3000/callback/",
        "http://localhost:3000/callback ",
        "http://localhost:3000/%63allback",
        "http://localhost:3000/x/../callback",
        "http://localhost:3000\\callback",
        "http://l\u{043e}calhost:3000/callback",
    ] {
        let (url, verifier) = authorize_url(&web, &[("prompt", "login")]);
        let done = browser.sign_in(&url, "alice", PASSWORD).await;
        let code = query_of(done.location.as_deref().unwrap())["code"].clone();
        run.token(
            format!("a real code with redirect_uri {trick:?}"),
            &code_form(&web, &code, &verifier).set_raw("redirect_uri", trick),
            Expect::OAuth(400, "invalid_grant"),
        )
        .await;
    }

    // Logout redirects only to a registered logout URL, exactly.
    for trick in [
        "HTTP://localhost:3000/bye",
        "http://localhost:3000/bye/",
        "http://localhost:3000/Bye",
        "http://localhost:3000/bye/../bye",
        "http://localhost:3000/x/../bye",
        "http://localhost:3000\\bye",
        "http://localhost:3000/%62ye",
        "http://localhost:3000/%2562ye",
        "http://localhost:3000/bye ",
        " http://localhost:3000/bye",
        "http://localhost:3000/bye?next=https://attacker.example",
        "http://localhost:3000/bye#x",
        "http://localhost:3000@attacker.example/bye",
        "http://attacker.example\\@localhost:3000/bye",
        "http://l\u{043e}calhost:3000/bye",
        "//attacker.example/bye",
        "https://attacker.example/",
        "javascript:alert(1)",
        CALLBACK,
    ] {
        run.logout(
            format!("logout_uri {trick:?}"),
            &logout_form(&web).set_raw("logout_uri", trick),
            Expect::Page(400),
        )
        .await;
    }
    run.logout(
        "a logout_uri of another client's logout URL with this client_id",
        &logout_form(&web).set_raw("client_id", "abcdefghijklmnopqrstuvwxyz"),
        Expect::Page(400),
    )
    .await;
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 6. Forged and expired tokens at userInfo
// ---------------------------------------------------------------------------------------------

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hmac(alg: &'static str, key: &[u8], message: &str) -> String {
    let algorithm = match alg {
        "HS384" => aws_lc_rs::hmac::HMAC_SHA384,
        "HS512" => aws_lc_rs::hmac::HMAC_SHA512,
        _ => aws_lc_rs::hmac::HMAC_SHA256,
    };
    b64(aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(algorithm, key),
        message.as_bytes(),
    ))
}

/// A token with this header over `payload`, signed by HMAC with `key`.
fn hmac_token(header: &Value, payload: &str, alg: &'static str, key: &[u8]) -> String {
    let signed = format!("{}.{payload}", b64(header.to_string()));
    format!("{signed}.{}", hmac(alg, key, &signed))
}

/// The pool's public key in every shape an HMAC key confusion might use.
fn public_key_shapes(jwk: &Value, jwks_text: &str) -> Vec<(&'static str, Vec<u8>)> {
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
    let key = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&n),
        rsa::BigUint::from_bytes_be(&e),
    )
    .unwrap();
    let spki_pem = key.to_public_key_pem(LineEnding::LF).unwrap();
    vec![
        ("SPKI PEM", spki_pem.clone().into_bytes()),
        (
            "SPKI PEM without its last newline",
            spki_pem.trim_end().as_bytes().to_vec(),
        ),
        (
            "SPKI PEM with CRLF",
            key.to_public_key_pem(LineEnding::CRLF)
                .unwrap()
                .into_bytes(),
        ),
        (
            "SPKI DER",
            key.to_public_key_der().unwrap().as_bytes().to_vec(),
        ),
        (
            "PKCS#1 PEM",
            key.to_pkcs1_pem(LineEnding::LF).unwrap().into_bytes(),
        ),
        (
            "PKCS#1 DER",
            key.to_pkcs1_der().unwrap().as_bytes().to_vec(),
        ),
        ("the JWK as JSON", jwk.to_string().into_bytes()),
        ("the JWKS document", jwks_text.as_bytes().to_vec()),
        ("the modulus", n),
        (
            "the modulus, base64url",
            jwk["n"].as_str().unwrap().as_bytes().to_vec(),
        ),
    ]
}

async fn forged_and_expired_tokens_are_refused_at_userinfo(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let tokens = tokens_for(&app, &web, &browser).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let other_tokens = other_pool(&app).await;
    let other_access = other_tokens["access_token"].as_str().unwrap().to_string();
    let mut run = Run::new(&app, &web);

    let parts: Vec<&str> = access.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    let kid = header_of(&access)["kid"].as_str().unwrap().to_string();
    let other_kid = header_of(&other_access)["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let jwks = app
        .get(&format!("/{}/.well-known/jwks.json", web.pool))
        .await;
    let jwk = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();

    // The genuine token works: every refusal below is for the forgery, not the token.
    run.check(
        "GET userInfo, the genuine access token",
        run.get("oauth2/userInfo").bearer_auth(&access),
        Expect::Status(200),
    )
    .await;

    let mut forged: Vec<(String, String)> = Vec::new();
    // alg none, in its spellings, with and without a signature.
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let h = b64(json!({"alg": alg, "kid": kid, "typ": "JWT"}).to_string());
        forged.push((
            format!("alg {alg:?}, empty signature"),
            format!("{h}.{payload}."),
        ));
        forged.push((
            format!("alg {alg:?}, the original signature"),
            format!("{h}.{payload}.{signature}"),
        ));
        forged.push((
            format!("alg {alg:?}, two segments"),
            format!("{h}.{payload}"),
        ));
    }
    let h = b64(json!({"alg": "none"}).to_string());
    forged.push(("alg none without kid".into(), format!("{h}.{payload}.")));
    // HMAC key confusion: HS256 (and HS384/HS512) keyed with the public key's bytes.
    for (shape, key) in public_key_shapes(&jwk, &jwks.text) {
        for alg in ["HS256", "HS384", "HS512"] {
            forged.push((
                format!("{alg} keyed with {shape}"),
                hmac_token(
                    &json!({"alg": alg, "typ": "JWT", "kid": kid}),
                    payload,
                    alg,
                    &key,
                ),
            ));
        }
        // The genuine RS256 header over an HMAC signature.
        let signed = format!("{header}.{payload}");
        forged.push((
            format!("the RS256 header over an HS256 signature keyed with {shape}"),
            format!("{signed}.{}", hmac("HS256", &key, &signed)),
        ));
    }
    for alg in [
        "hs256", "Hs256", "RS256 ", "rs256", "PS256", "ES256", "RS512",
    ] {
        let spki = public_key_shapes(&jwk, &jwks.text).remove(0).1;
        forged.push((
            format!("alg {alg:?} keyed with the SPKI PEM"),
            hmac_token(&json!({"alg": alg, "kid": kid}), payload, "HS256", &spki),
        ));
    }
    // A key named by kid that belongs to another pool, and other kids.
    forged.push((
        "this pool's token with the other pool's kid".into(),
        format!(
            "{}.{payload}.{signature}",
            b64(json!({"alg": "RS256", "kid": other_kid}).to_string())
        ),
    ));
    let other_parts: Vec<&str> = other_access.split('.').collect();
    forged.push((
        "this pool's payload under the other pool's header and signature".into(),
        format!("{}.{payload}.{}", other_parts[0], other_parts[2]),
    ));
    forged.push((
        "a genuine token of another pool".into(),
        other_access.clone(),
    ));
    for (label, kid_value) in [
        ("missing", Value::Null),
        ("unknown", json!("unknown-kid")),
        ("a path", json!("../../../../etc/passwd")),
        ("SQL", json!("' OR '1'='1")),
        ("a number", json!(1)),
        ("an object", json!({"kid": kid})),
        ("an array", json!([kid])),
        ("empty", json!("")),
        ("very long", json!("k".repeat(10_000))),
    ] {
        let mut h = json!({"alg": "RS256"});
        if !kid_value.is_null() {
            h["kid"] = kid_value;
        }
        forged.push((
            format!("a header whose kid is {label}"),
            format!("{}.{payload}.{signature}", b64(h.to_string())),
        ));
    }
    // Keys the token brings along: an embedded JWK, jku and x5u.
    let attacker = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let attacker_public = rsa::RsaPublicKey::from(&attacker);
    {
        use rsa::traits::PublicKeyParts;
        let their_jwk = json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                               "n": b64(attacker_public.n().to_bytes_be()),
                               "e": b64(attacker_public.e().to_bytes_be())});
        for (label, h) in [
            (
                "an embedded jwk",
                json!({"alg": "RS256", "kid": kid, "jwk": their_jwk}),
            ),
            (
                "a jku",
                json!({"alg": "RS256", "kid": kid, "jku": "https://attacker.example/jwks.json"}),
            ),
            (
                "an x5u",
                json!({"alg": "RS256", "kid": kid, "x5u": "https://attacker.example/cert.pem"}),
            ),
            (
                "an unknown kid and an embedded jwk",
                json!({"alg": "RS256", "kid": "attacker", "jwk": their_jwk}),
            ),
        ] {
            forged.push((
                format!("signed by another RSA key, with {label}"),
                rs256_token(&attacker, &h, payload),
            ));
        }
    }
    // Tampered payloads under the genuine header and signature.
    let mut claims = crate::browser::claims_of(&access);
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    forged.push((
        "a later exp under the genuine signature".into(),
        format!("{header}.{}.{signature}", b64(claims.to_string())),
    ));
    let mut claims = crate::browser::claims_of(&access);
    claims["scope"] = json!("openid email profile aws.cognito.signin.user.admin");
    forged.push((
        "a wider scope under the genuine signature".into(),
        format!("{header}.{}.{signature}", b64(claims.to_string())),
    ));
    // Extra, missing and empty segments.
    for (label, token) in [
        ("a trailing dot", format!("{access}.")),
        ("a fourth segment", format!("{access}.extra")),
        (
            "a fourth copy of the signature",
            format!("{access}.{signature}"),
        ),
        ("two trailing dots", format!("{access}..")),
        (
            "five segments (JWE-shaped)",
            format!("{header}.{payload}.{signature}.e30.e30"),
        ),
        ("a leading dot", format!(".{access}")),
        ("no signature", format!("{header}.{payload}")),
        ("an empty payload", format!("{header}..{signature}")),
        ("an empty header", format!(".{payload}.{signature}")),
        ("only dots", "...".to_string()),
        ("a single dot", ".".to_string()),
        ("padded base64", format!("{header}=.{payload}.{signature}")),
        (
            "standard base64 in the signature",
            format!(
                "{header}.{payload}.{}",
                signature.replace('-', "+").replace('_', "/")
            ),
        ),
        ("the ID token", id_token.clone()),
        ("the refresh token", refresh.clone()),
    ] {
        forged.push((label.to_string(), token));
    }

    for (label, token) in &forged {
        run.check(
            format!("GET userInfo, {label}"),
            run.get("oauth2/userInfo")
                .header("authorization", format!("Bearer {token}")),
            Expect::OAuth(401, "invalid_token"),
        )
        .await;
        run.check(
            format!("POST userInfo (form token), {label}"),
            run.post("oauth2/userInfo", format!("access_token={}", enc(token))),
            Expect::OAuth(401, "invalid_token"),
        )
        .await;
    }

    // Empty and wrong schemes.
    for (label, value) in [
        ("Bearer without a token", "Bearer".to_string()),
        ("Bearer and a space", "Bearer ".to_string()),
        ("Bearer and spaces", "Bearer      ".to_string()),
        ("an empty Authorization header", String::new()),
        ("a Basic scheme with the client", basic(&web.client_id, "")),
        (
            "a Basic scheme with alice's password",
            basic("alice", PASSWORD),
        ),
        (
            "a Basic scheme carrying the access token",
            format!("Basic {access}"),
        ),
        ("a Token scheme", format!("Token {access}")),
        ("a Bearer scheme with a comma", format!("Bearer,{access}")),
        ("the token without a scheme", access.clone()),
        (
            "the token and trailing words",
            format!("Bearer {access} extra"),
        ),
        ("Bearer twice", format!("Bearer Bearer {access}")),
        ("a DPoP scheme", format!("DPoP {access}")),
    ] {
        run.check(
            format!("GET userInfo, {label}"),
            run.get("oauth2/userInfo").header("authorization", value),
            Expect::OAuth(401, "invalid_token"),
        )
        .await;
    }
    run.check(
        "GET userInfo, no Authorization header",
        run.get("oauth2/userInfo"),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "GET userInfo, the token in the query string",
        run.get(&format!("oauth2/userInfo?access_token={}", enc(&access))),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "POST userInfo, the token in the header and in the body",
        run.post("oauth2/userInfo", format!("access_token={}", enc(&access)))
            .bearer_auth(&access),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "POST userInfo, the token in a JSON body",
        run.app
            .http
            .post(run.url("oauth2/userInfo"))
            .header("content-type", "application/json")
            .body(json!({"access_token": access}).to_string()),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "POST userInfo, an empty form",
        run.post("oauth2/userInfo", ""),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;

    // An expired token: one second past its hour. A new sign-in works at the new time.
    clock.advance_secs(3_600 + 1);
    run.check(
        "GET userInfo, an access token one second past its expiry",
        run.get("oauth2/userInfo").bearer_auth(&access),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "POST userInfo (form token), an expired access token",
        run.post("oauth2/userInfo", format!("access_token={}", enc(&access))),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    run.check(
        "GET userInfo, another pool's expired token",
        run.get("oauth2/userInfo").bearer_auth(&other_access),
        Expect::OAuth(401, "invalid_token"),
    )
    .await;
    // The refresh token outlives the access token, and still works.
    run.token(
        "the refresh token after its access token expired",
        &refresh_form(&web, &refresh).without("scope"),
        Expect::Status(200),
    )
    .await;
    run.finish();
}

fn rs256_token(key: &rsa::RsaPrivateKey, header: &Value, payload: &str) -> String {
    use rsa::signature::{SignatureEncoding, Signer};
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let signed = format!("{}.{payload}", b64(header.to_string()));
    let signature = signer.sign(signed.as_bytes()).to_bytes();
    format!("{signed}.{}", b64(signature))
}

// ---------------------------------------------------------------------------------------------
// 7. Malformed token requests
// ---------------------------------------------------------------------------------------------

async fn malformed_token_requests_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let conf = confidential_client(&app, &web.pool).await;
    let m2m = machine_client(&app, &web.pool).await;
    let mut run = Run::new(&app, &web);
    let good = machine_form(&m2m);

    // The positive controls: what the refusals below are measured against.
    run.token(
        "a valid client-credentials request",
        &good,
        Expect::Status(200),
    )
    .await;
    run.check(
        "token, a valid request with charset=UTF-8 in the content type",
        run.app
            .http
            .post(run.url("oauth2/token"))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(good.encode()),
        Expect::Status(200),
    )
    .await;
    run.check(
        "token, a valid request with Basic client authentication",
        run.post(
            "oauth2/token",
            good.without("client_id").without("client_secret").encode(),
        )
        .header("authorization", basic(&m2m.id, &m2m.secret)),
        Expect::Status(200),
    )
    .await;

    // Wrong content types, with a body that would otherwise be granted.
    let body = good.encode();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/json"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        Some("text/html"),
        Some(""),
        Some("form"),
        Some("application/octet-stream"),
    ] {
        let mut request = run
            .app
            .http
            .post(run.url("oauth2/token"))
            .body(body.clone());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        run.check(
            format!("token, content type {content_type:?}"),
            request,
            Expect::OAuth(400, "invalid_request"),
        )
        .await;
    }
    // JSON bodies.
    let json_body = json!({"grant_type": "client_credentials", "client_id": m2m.id,
                           "client_secret": m2m.secret, "scope": API_SCOPE})
    .to_string();
    run.check(
        "token, a JSON body as application/json",
        run.app
            .http
            .post(run.url("oauth2/token"))
            .header("content-type", "application/json")
            .body(json_body.clone()),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "token, a JSON body labelled as a form",
        run.post("oauth2/token", json_body),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    // Empty and degenerate bodies.
    for (label, body) in [
        ("an empty body", ""),
        ("a lone =", "="),
        ("only separators", "&&&"),
        ("a name without a value", "grant_type"),
        ("an empty grant_type", "grant_type="),
        ("an empty name", "=client_credentials"),
    ] {
        run.check(
            format!("token, {label}"),
            run.post("oauth2/token", body),
            Expect::OAuth(400, "invalid_request"),
        )
        .await;
    }
    run.check(
        "token, an empty body without a content type",
        run.app.http.post(run.url("oauth2/token")),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;

    // Unknown grant types.
    for grant in [
        "password",
        "implicit",
        "AUTHORIZATION_CODE",
        "Client_Credentials",
        "client_credentials ",
        " refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "code",
        "token",
        "refresh",
        "*",
    ] {
        run.token(
            format!("grant_type {grant:?}"),
            &good.set_raw("grant_type", grant),
            Expect::OAuth(400, "unsupported_grant_type"),
        )
        .await;
    }

    // Missing parameters.
    let (verifier, _) = pkce();
    run.token(
        "no grant_type",
        &good.without("grant_type"),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.token(
        "a code grant without code",
        &code_form(&web, BOGUS_CODE, &verifier).without("code"),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.token(
        "a code grant with an empty code",
        &code_form(&web, "", &verifier),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.token(
        "a refresh grant without refresh_token",
        &refresh_form(&web, BOGUS_REFRESH).without("refresh_token"),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.token(
        "a refresh grant with an empty refresh_token",
        &refresh_form(&web, ""),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.token(
        "a code grant without any client authentication",
        &code_form(&web, BOGUS_CODE, &verifier).without("client_id"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.token(
        "a confidential client without its secret",
        &confidential_form(&conf).without("client_secret"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.token(
        "a client-credentials client without its secret",
        &good.without("client_secret"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.token(
        "a public client claiming a secret",
        &code_form(&web, BOGUS_CODE, &verifier).set("client_secret", "x"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    // With a real code: a missing redirect_uri or code_verifier.
    let browser = Browser::new(&app);
    for (missing, expect) in [
        (
            "redirect_uri",
            Expect::OAuthAny(&[(400, "invalid_request"), (400, "invalid_grant")]),
        ),
        ("code_verifier", Expect::OAuth(400, "invalid_grant")),
    ] {
        let (url, verifier) = authorize_url(&web, &[("prompt", "login")]);
        let done = browser.sign_in(&url, "alice", PASSWORD).await;
        let code = query_of(done.location.as_deref().unwrap())["code"].clone();
        run.token(
            format!("a real code without {missing}"),
            &code_form(&web, &code, &verifier).without(missing),
            expect,
        )
        .await;
    }

    // Codes and refresh tokens of the wrong shape.
    let tokens = tokens_for(&app, &web, &browser).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let mut upper = refresh.to_uppercase();
    if upper == refresh {
        upper = refresh.to_lowercase();
    }
    let shapes: Vec<(&str, String)> = vec![
        ("a space", " ".into()),
        ("one character", "a".into()),
        ("43 A", "A".repeat(43)),
        ("the access token", access.clone()),
        (
            "the ID token",
            tokens["id_token"].as_str().unwrap().to_string(),
        ),
        ("a path", "../../../../etc/passwd".into()),
        ("SQL", "' OR '1'='1' --".into()),
        ("a percent sign", "%".into()),
        ("emoji", "\u{1f511}\u{1f511}\u{1f511}".into()),
        ("JSON", "{\"code\":1}".into()),
        ("null", "null".into()),
        ("the refresh token in upper case", upper),
        (
            "the refresh token with a space after",
            format!("{refresh} "),
        ),
        (
            "the refresh token with a space before",
            format!(" {refresh}"),
        ),
        (
            "the refresh token cut short",
            refresh[..refresh.len() - 1].to_string(),
        ),
        ("the refresh token twice", refresh.repeat(2)),
    ];
    for (label, value) in &shapes {
        run.token(
            format!("code of the wrong shape: {label}"),
            &code_form(&web, value, &verifier),
            Expect::OAuth(400, "invalid_grant"),
        )
        .await;
        run.token(
            format!("refresh_token of the wrong shape: {label}"),
            &refresh_form(&web, value).without("scope"),
            Expect::OAuth(400, "invalid_grant"),
        )
        .await;
    }
    run.token(
        "the refresh token presented as a code",
        &code_form(&web, &refresh, &verifier),
        Expect::OAuth(400, "invalid_grant"),
    )
    .await;
    // None of the near misses counted as a reuse: the real refresh token still works.
    let rotated = run
        .token(
            "the real refresh token after the near misses",
            &refresh_form(&web, &refresh).without("scope"),
            Expect::Status(200),
        )
        .await;
    let refresh = rotated.body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    run.refused_refresh_keeps_token("that was not granted", &enc(API_SCOPE))
        .await;
    run.refused_refresh_keeps_token("that is malformed", &enc("openid \"email\""))
        .await;

    // Basic headers that are not base64, or not client credentials.
    let no_body_auth = good.without("client_id").without("client_secret").encode();
    for (label, value) in [
        ("not base64", "Basic !!!not-base64!!!".to_string()),
        ("percent signs", "Basic %%%%".to_string()),
        (
            "base64 without a colon",
            format!("Basic {}", STANDARD.encode(&m2m.id)),
        ),
        (
            "the base64url alphabet",
            format!(
                "Basic {}",
                URL_SAFE_NO_PAD.encode([0xfb, 0xff, 0xfe, b':', 0xfb])
            ),
        ),
        (
            "base64 with its padding cut",
            format!(
                "Basic {}",
                STANDARD
                    .encode(format!("{}:{}x", m2m.id, m2m.secret))
                    .trim_end_matches('=')
            ),
        ),
        ("base64 with a space inside", {
            let b = STANDARD.encode(format!("{}:{}", m2m.id, m2m.secret));
            format!("Basic {} {}", &b[..8], &b[8..])
        }),
        ("no credentials", "Basic".to_string()),
        ("a space and no credentials", "Basic ".to_string()),
        (
            "an empty id and secret",
            format!("Basic {}", STANDARD.encode(":")),
        ),
        (
            "the right id and an empty secret",
            format!("Basic {}", STANDARD.encode(format!("{}:", m2m.id))),
        ),
        ("the right id and a wrong secret", basic(&m2m.id, "wrong")),
        ("another client's secret", basic(&m2m.id, &conf.secret)),
        ("a Bearer scheme", format!("Bearer {access}")),
        ("a Digest scheme", "Digest username=\"x\"".to_string()),
        ("an empty Authorization header", String::new()),
    ] {
        run.check(
            format!("token, a Basic header with {label}"),
            run.post("oauth2/token", no_body_auth.clone())
                .header("authorization", value),
            Expect::OAuth(401, "invalid_client"),
        )
        .await;
    }
    // Basic and the body at once.
    run.check(
        "token, Basic plus client_secret in the body",
        run.post("oauth2/token", good.encode())
            .header("authorization", basic(&m2m.id, &m2m.secret)),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "token, Basic plus only client_secret in the body",
        run.post("oauth2/token", good.without("client_id").encode())
            .header("authorization", basic(&m2m.id, &m2m.secret)),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "token, Basic plus another client_id in the body",
        run.post(
            "oauth2/token",
            good.without("client_secret")
                .set("client_id", enc(&conf.id))
                .encode(),
        )
        .header("authorization", basic(&m2m.id, &m2m.secret)),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    // Not a POST.
    run.check(
        "GET token with the grant in the query",
        run.get(&format!("oauth2/token?{}", good.encode())),
        Expect::Refused(&[404, 405]),
    )
    .await;

    // Revocation: the same content and authentication rules.
    run.check(
        "revoke, a JSON body",
        run.app
            .http
            .post(run.url("oauth2/revoke"))
            .header("content-type", "application/json")
            .body(json!({"token": refresh, "client_id": web.client_id}).to_string()),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.check(
        "revoke, an empty body",
        run.post("oauth2/revoke", ""),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.revoke(
        "no token",
        &revoke_form(&web, &refresh).without("token"),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    run.revoke(
        "no client authentication",
        &revoke_form(&web, &refresh).without("client_id"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.check(
        "revoke, Basic that is not base64",
        run.post("oauth2/revoke", format!("token={}", enc(&refresh)))
            .header("authorization", "Basic !!!"),
        Expect::OAuth(401, "invalid_client"),
    )
    .await;
    run.check(
        "revoke, Basic plus client_secret in the body",
        run.post(
            "oauth2/revoke",
            format!("token={}&client_secret=x", enc(&refresh)),
        )
        .header("authorization", basic(&conf.id, &conf.secret)),
        Expect::OAuth(400, "invalid_request"),
    )
    .await;
    // Nothing above revoked the real token.
    run.token(
        "the real refresh token after the refused revocations",
        &refresh_form(&web, &refresh).without("scope"),
        Expect::Status(200),
    )
    .await;
    run.finish();
}

// ---------------------------------------------------------------------------------------------
// 8. Hostile pool ids in the path, and discovery
// ---------------------------------------------------------------------------------------------

/// (endpoint, method, path under the pool, headers, body, the unknown-pool answer)
type Endpoint<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [(&'a str, String)],
    &'a str,
    Expect,
);

async fn hostile_pool_ids_and_discovery_queries(backend: Backend) {
    let app = spawn_app(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let access = tokens_for(&app, &web, &browser).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut run = Run::new(&app, &web);
    let query = authorize_form(&web).encode();
    let long = "x".repeat(BIG);
    // Pool ids that decode to text: each endpoint's documented "unknown pool" answer.
    let unknown: Vec<(&str, String)> = vec![
        ("an unknown pool", "local_000000000".into()),
        ("NUL", "%00".into()),
        ("a pool id followed by NUL", format!("{}%00", web.pool)),
        ("a pool id with CR LF", format!("{}%0D%0A", web.pool)),
        ("a space", "%20".into()),
        ("an encoded slash", format!("{}%2F", web.pool)),
        ("the pool id in upper case", web.pool.to_uppercase()),
        ("60 KB", "x".repeat(LARGE)),
    ];
    let bearer = [("Authorization", format!("Bearer {access}"))];
    let form = [("Content-Type", FORM.to_string())];
    let refresh = format!(
        "grant_type=refresh_token&refresh_token=x&client_id={}",
        web.client_id
    );
    let revoke = format!("token=x&client_id={}", web.client_id);
    let logout = format!("logout?client_id={}&logout_uri={}", web.client_id, enc(BYE));
    let userinfo_form = format!("access_token={access}");
    let authorize = format!("oauth2/authorize?{query}");
    let endpoints: [Endpoint; 13] = [
        (
            "GET authorize",
            "GET",
            &authorize,
            &[],
            "",
            Expect::Page(400),
        ),
        (
            "POST authorize",
            "POST",
            "oauth2/authorize",
            &form,
            &query,
            Expect::Page(400),
        ),
        (
            "GET login",
            "GET",
            "login?request=abc",
            &[],
            "",
            Expect::Page(404),
        ),
        (
            "POST login",
            "POST",
            "login",
            &form,
            "request=abc",
            Expect::Page(404),
        ),
        (
            "GET new-password",
            "GET",
            "new-password?request=abc",
            &[],
            "",
            Expect::Page(404),
        ),
        (
            "POST new-password",
            "POST",
            "new-password",
            &form,
            "request=abc",
            Expect::Page(404),
        ),
        (
            "token",
            "POST",
            "oauth2/token",
            &form,
            &refresh,
            Expect::OAuth(400, "invalid_request"),
        ),
        (
            "revoke",
            "POST",
            "oauth2/revoke",
            &form,
            &revoke,
            Expect::OAuth(400, "invalid_request"),
        ),
        (
            "GET userInfo",
            "GET",
            "oauth2/userInfo",
            &bearer,
            "",
            Expect::OAuth(401, "invalid_token"),
        ),
        (
            "POST userInfo",
            "POST",
            "oauth2/userInfo",
            &form,
            &userinfo_form,
            Expect::OAuth(401, "invalid_token"),
        ),
        ("GET logout", "GET", &logout, &[], "", Expect::Page(404)),
        (
            "GET openid-configuration",
            "GET",
            ".well-known/openid-configuration",
            &[],
            "",
            Expect::Status(404),
        ),
        (
            "GET jwks.json",
            "GET",
            ".well-known/jwks.json",
            &[],
            "",
            Expect::Status(404),
        ),
    ];
    for (label, pool) in &unknown {
        for (what, method, rest, headers, body, expect) in &endpoints {
            run.check_raw(
                format!("{what} under a pool id of {label}"),
                method,
                &format!("/{pool}/{rest}"),
                headers,
                body,
                *expect,
            )
            .await;
        }
    }
    // Pool ids that are not UTF-8 cannot even name a pool, and 100 KB is past what the HTTP
    // layer reads: any 4xx, never a 5xx.
    for (label, pool) in [
        ("%FF%FE", "%FF%FE"),
        ("an overlong /", "local_%C0%AF"),
        ("100 KB", long.as_str()),
    ] {
        for (what, method, rest, headers, body, _) in &endpoints {
            run.check_raw(
                format!("{what} under a pool id of {label}"),
                method,
                &format!("/{pool}/{rest}"),
                headers,
                body,
                Expect::Refused(&[400, 401, 404, 414, 431]),
            )
            .await;
        }
    }
    // Discovery ignores any query string.
    for (label, query) in [
        ("a repeated parameter", "a=1&a=2".to_string()),
        ("bytes that are not UTF-8", "a=%FF%FE".to_string()),
        ("NUL", "a=%00".to_string()),
        ("a 60 KB value", format!("a={}", "x".repeat(LARGE))),
    ] {
        run.discovery(label, &query).await;
    }
    run.finish();
}
