//! Admin credentials for tests: IAM users with policies and access keys made through the
//! API with the root key, and requests signed by AWS's own SigV4 signer (`aws-sigv4`), as
//! the AWS SDKs and CLI sign them.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use openidconnect::reqwest;
use serde_json::{Value, json};

use super::{Answer, TestApp};

pub const REGION: &str = "local";
pub const SERVICE: &str = "cognito-idp";

/// An access key, or a role session's temporary credentials.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

/// How a test signs: the signer's settings and clock.
#[derive(Debug, Clone)]
pub struct Signing {
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    /// A presigned URL valid this long, instead of the `Authorization` header.
    pub presign: Option<Duration>,
}

impl Default for Signing {
    fn default() -> Self {
        Self {
            region: REGION.into(),
            service: SERVICE.into(),
            time: SystemTime::now(),
            presign: None,
        }
    }
}

/// A request signed by `aws-sigv4`: the URL to send (with the presigned query, if any)
/// and every header to send, the signer's included.
#[derive(Clone)]
pub struct Signed {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// Signs `method url` with `headers` and `body` under `key`.
pub fn sign_request(
    key: &Key,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    signing: &Signing,
) -> Signed {
    let identity: Identity = Credentials::new(
        key.id.clone(),
        key.secret.clone(),
        key.token.clone(),
        None,
        "cognate-tests",
    )
    .into();
    let mut settings = SigningSettings::default();
    if let Some(valid) = signing.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(valid);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&signing.region)
        .name(&signing.service)
        .time(signing.time)
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .expect("signable request");
    let (instructions, _) = sign(signable, &params)
        .expect("the request signs")
        .into_parts();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for (name, value) in instructions.headers() {
        out.push((name.to_string(), value.to_string()));
    }
    let mut url = url.to_string();
    for (name, value) in instructions.params() {
        let sep = if url.contains('?') { '&' } else { '?' };
        url.push(sep);
        url.push_str(&format!(
            "{}={}",
            super::path_segment(name),
            super::path_segment(value)
        ));
    }
    Signed { url, headers: out }
}

/// Waits until the wall clock's second changes. A signed write is accepted once, and
/// signers date a signature to the second: the same call made again within one second (as
/// the SDK makes it, with nothing else that differs) is a copy of the first.
pub async fn next_signing_second() {
    let second = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
    };
    let start = second(SystemTime::now());
    while second(SystemTime::now()) == start {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// Sends a request signed with `key` (JSON body if given).
    pub async fn signed(&self, key: &Key, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.signed_with(key, method, path, body, &Signing::default())
            .await
    }

    pub async fn signed_with(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        body: Option<Value>,
        signing: &Signing,
    ) -> Answer {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).expect("json"))
            .unwrap_or_default();
        let content_type = [("content-type", "application/json")];
        let headers: &[(&str, &str)] = if bytes.is_empty() { &[] } else { &content_type };
        let url = self.url(&format!("/admin/v1{path}"));
        let signed = sign_request(key, method, &url, headers, &bytes, signing);
        self.send_signed(method, signed, bytes).await
    }

    /// A signed GET with a `user-agent` (signed too, as the AWS SDKs sign theirs).
    pub async fn send_signed_with_agent(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        agent: &str,
    ) -> Answer {
        let url = self.url(&format!("/admin/v1{path}"));
        let signed = sign_request(
            key,
            method,
            &url,
            &[("user-agent", agent)],
            b"",
            &Signing::default(),
        );
        self.send_signed(method, signed, Vec::new()).await
    }

    /// Sends what `sign_request` made (a test may have changed it first).
    pub async fn send_signed(&self, method: &str, signed: Signed, body: Vec<u8>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, &signed.url).body(body);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        self.send(request).await
    }

    /// A request with `Authorization: Bearer <id>:<secret>`.
    pub async fn with_key(
        &self,
        key: &Key,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, self.url(&format!("/admin/v1{path}")))
            .bearer_auth(format!("{}:{}", key.id, key.secret));
        if let Some(token) = &key.token {
            request = request.header("x-amz-security-token", token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).expect("json"));
        }
        self.send(request).await
    }

    /// An IAM user made with the root key, with an access key.
    pub async fn iam_user(&self, name: &str) -> Key {
        self.admin("POST", "/iam/users", Some(json!({"name": name})))
            .await
            .expect(201);
        self.access_key(name).await
    }

    /// A new access key for `user`.
    pub async fn access_key(&self, user: &str) -> Key {
        let key = self
            .admin("POST", &format!("/iam/users/{user}/access-keys"), None)
            .await
            .expect(201);
        Key {
            id: key["access_key_id"].as_str().expect("id").into(),
            secret: key["secret_access_key"].as_str().expect("secret").into(),
            token: None,
        }
    }

    /// An IAM user whose one inline policy is `document`, with an access key.
    pub async fn iam_user_with(&self, name: &str, document: Value) -> Key {
        let key = self.iam_user(name).await;
        self.admin(
            "PUT",
            &format!("/iam/users/{name}/inline-policies/main"),
            Some(json!({"document": document})),
        )
        .await
        .expect(204);
        key
    }

    /// An IAM user with a built-in (or customer-managed) policy attached, and a key.
    pub async fn iam_user_attached(&self, name: &str, policy: &str) -> Key {
        let key = self.iam_user(name).await;
        self.admin(
            "PUT",
            &format!("/iam/users/{name}/attached-policies/{policy}"),
            None,
        )
        .await
        .expect(204);
        key
    }

    /// Audit events matching `query` (`action=…&principal=…`), all pages.
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/audit-events?limit=60&{query}");
            if let Some(t) = &token {
                path.push_str(&format!("&next_token={}", super::urlencode(t)));
            }
            let page = self.admin("GET", &path, None).await.expect(200);
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_token"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }
}

/// A policy allowing `actions` on `resources`.
pub fn allow(actions: &[&str], resources: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]})
}

/// `arn:aws:iam::000000000000:<kind>/<name>`.
pub fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::000000000000:{kind}/{name}")
}

/// A pool's ARN in the test region.
pub fn pool_arn(pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{REGION}:000000000000:userpool/{pool_id}")
}
