//! The Cognito-compatible API as SDK users reach it: AWS's own SDK for Rust
//! (`aws-sdk-cognitoidentityprovider`, configured by `aws-config`) with an endpoint override
//! and an IAM access key from the admin layer, and a raw JSON client for what no SDK sends.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use cognate::clock::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

use super::iam::{Key, REGION};
use super::{Answer, Backend, PASSWORD, TestApp, TestDatabase, spawn_on};
use crate::smtp::{SmtpSink, code_in, has_code};

pub const TARGET: &str = "AWSCognitoIdentityProviderService.";

/// An SDK client for `app`, signing with `key` (or sending unsigned requests).
pub async fn sdk(app: &TestApp, key: Option<&Key>) -> Client {
    sdk_in(app, key, REGION).await
}

/// As `sdk`, for `region`.
pub async fn sdk_in(app: &TestApp, key: Option<&Key>, region: &str) -> Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(&app.address)
        // A retried refusal would hide what the first answer was.
        .retry_config(RetryConfig::disabled());
    loader = match key {
        Some(key) => loader.credentials_provider(Credentials::new(
            &key.id,
            &key.secret,
            key.token.clone(),
            None,
            "cognate-tests",
        )),
        None => loader.no_credentials(),
    };
    Client::new(&loader.load().await)
}

/// The app mailing through an SMTP sink on a manual clock, with one pool and one public
/// client that allows every API flow, and SDK clients: `admin` signed with a key of a user
/// holding `AmazonCognitoPowerUser`, `public` unsigned.
pub struct Env {
    pub app: TestApp,
    pub clock: Arc<ManualClock>,
    pub sink: SmtpSink,
    pub pool: String,
    pub client_id: String,
    /// The client's secret, when it was made with one.
    pub client_secret: Option<String>,
    pub admin: Client,
    pub public: Client,
    pub key: Key,
}

pub const FLOWS: &[&str] = &[
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

pub async fn env(backend: Backend) -> Env {
    env_with(backend, json!({}), json!({})).await
}

/// As `env`, with this pool configuration and these client settings.
pub async fn env_with(backend: Backend, pool: Value, client: Value) -> Env {
    let sink = SmtpSink::start().await;
    let db = Arc::new(TestDatabase::new(backend).await);
    let clock = ManualClock::new(SystemClock.now_millis());
    let smtp = sink.url();
    let app = spawn_on(db, &[("smtp_url", smtp.as_str())], Some(clock.clone())).await;
    let pool = app.create_pool("api", pool).await;
    let mut settings = json!({"name": "app", "explicit_auth_flows": FLOWS});
    if let (Some(base), Some(extra)) = (settings.as_object_mut(), client.as_object()) {
        base.extend(extra.clone());
    }
    let made = app
        .admin("POST", &format!("/pools/{pool}/clients"), Some(settings))
        .await
        .expect(201);
    let key = app
        .iam_user_attached("backend", "AmazonCognitoPowerUser")
        .await;
    let admin = sdk(&app, Some(&key)).await;
    let public = sdk(&app, None).await;
    Env {
        clock,
        sink,
        pool,
        client_id: made["client_id"].as_str().expect("client id").to_string(),
        client_secret: made["client_secret"].as_str().map(str::to_string),
        admin,
        public,
        key,
        app,
    }
}

/// An authenticator app, from the `SecretCode` as Amplify builds its key URI.
pub fn authenticator(secret: &str) -> totp_rs::Totp {
    totp_rs::Totp::from_url(format!(
        "otpauth://totp/Cognate:user?secret={secret}&issuer=Cognate"
    ))
    .expect("a valid key URI")
}

/// The app's code `steps` periods from the app's clock now.
pub fn code_now(totp: &totp_rs::Totp, env: &Env, steps: i64) -> String {
    let secs = env.clock_secs() + steps * 30;
    totp.generate(secs as u64).to_string()
}

pub fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("an attribute has a name")
}

impl Env {
    /// The app's clock, in seconds.
    pub fn clock_secs(&self) -> i64 {
        self.clock.now_millis() / 1000
    }

    /// The pool name SRP hashes with.
    pub fn pool_name(&self) -> &str {
        self.pool.split_once('_').map_or(&self.pool, |(_, n)| n)
    }

    /// A confirmed user with a permanent password and a verified address, made through
    /// the SDK.
    pub async fn confirmed_user(&self, username: &str, email: &str) {
        self.admin
            .admin_create_user()
            .user_pool_id(&self.pool)
            .username(username)
            .user_attributes(attribute("email", email))
            .user_attributes(attribute("email_verified", "true"))
            .message_action("SUPPRESS".into())
            .send()
            .await
            .expect("AdminCreateUser");
        self.admin
            .admin_set_user_password()
            .user_pool_id(&self.pool)
            .username(username)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await
            .expect("AdminSetUserPassword");
    }

    /// Signs in with `USER_PASSWORD_AUTH`; returns the access token.
    pub async fn password_sign_in(&self, username: &str, password: &str) -> String {
        let out = self
            .public
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .expect("InitiateAuth");
        out.authentication_result()
            .and_then(|r| r.access_token())
            .expect("an access token")
            .to_string()
    }

    /// The code in the `nth` mail with a code to `email` (1 for the first).
    pub async fn code_for(&self, email: &str, nth: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let with_code: Vec<_> = self
                .sink
                .messages()
                .into_iter()
                .filter(|m| m.is_to(email) && has_code(m))
                .collect();
            if let Some(message) = with_code.get(nth - 1) {
                return code_in(message);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no mail #{nth} with a code to {email}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Sends `body` to `operation` as raw JSON, for what no SDK sends.
    pub async fn raw(&self, operation: &str, body: &str) -> Answer {
        raw(
            &self.app,
            operation,
            "application/x-amz-json-1.1",
            body.as_bytes().to_vec(),
        )
        .await
    }
}

pub async fn raw(app: &TestApp, operation: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let mut request = app
        .http
        .post(app.url("/"))
        .header("content-type", content_type);
    if !operation.is_empty() {
        request = request.header("x-amz-target", format!("{TARGET}{operation}"));
    }
    app.send(request.body(body)).await
}

/// Asserts a Cognito error answer: its status, `__type`, header and a message.
#[track_caller]
pub fn expect_exception(answer: &Answer, name: &str) {
    assert!(
        answer.status == 400,
        "expected 400 {name}, got {}: {}",
        answer.status,
        answer.text
    );
    assert_eq!(answer.body["__type"], name, "body: {}", answer.text);
    assert_eq!(
        answer
            .headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok()),
        Some(name)
    );
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(answer.headers.contains_key("x-amzn-requestid"));
}

/// Asserts what an SDK call's failure was, as the client saw it on the wire and as the SDK
/// typed it: status 400, `x-amzn-ErrorType` and `__type` both `name`, and the SDK's parsed
/// error code `name`.
#[track_caller]
pub fn check_sdk_exception<E>(
    err: &aws_sdk_cognitoidentityprovider::error::SdkError<
        E,
        aws_sdk_cognitoidentityprovider::config::http::HttpResponse,
    >,
    name: &str,
) where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::fmt::Debug,
{
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
    let raw = err
        .raw_response()
        .unwrap_or_else(|| panic!("expected {name} from the server, got {err:?}"));
    assert_eq!(raw.status().as_u16(), 400, "{name}: {err:?}");
    assert_eq!(raw.headers().get("x-amzn-errortype"), Some(name));
    assert!(raw.headers().get("x-amzn-requestid").is_some());
    let body: Value =
        serde_json::from_slice(raw.body().bytes().unwrap_or_default()).expect("a JSON error");
    assert_eq!(body["__type"], name, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(err.code(), Some(name), "the SDK's typed error");
}

/// The error code an SDK call ended with, `None` when it succeeded.
#[macro_export]
macro_rules! code_of {
    ($call:expr) => {{
        use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
        match $call.send().await {
            Ok(_) => None,
            Err(e) => e.into_service_error().code().map(str::to_string),
        }
    }};
}
