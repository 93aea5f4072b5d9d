//! The Cognito-compatible JSON API (`POST /` with `X-Amz-Target`), the fourth front door:
//! thin handlers that parse Cognito's shapes, call the same core as the hosted pages and
//! the OAuth endpoints, and answer in Cognito's shapes and exception names.

pub mod admin;
pub mod auth;
pub mod challenges;
pub mod client;
pub mod iam;
pub mod operations;
pub mod protocol;
pub mod public;
pub mod shapes;
pub mod signed_in;
pub mod software_token;
pub mod tokens;
pub mod user_auth;

use std::net::IpAddr;

use actix_web::web::{Data, Payload};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::context::Context;
use crate::ops::client_address::ClientAddress;
use crate::ops::observe::RequestId;
use protocol::{Answer, CONTENT_TYPE, Exception, Kind, MAX_BODY_BYTES, TARGET_PREFIX};

/// One operation call, as the handlers see it.
pub struct Call<'a> {
    pub ctx: &'a Context,
    pub req: &'a HttpRequest,
    pub body: &'a [u8],
    pub address: Option<IpAddr>,
    pub request_id: &'a str,
}

impl Call<'_> {
    pub fn input<T: serde::de::DeserializeOwned>(&self) -> Result<T, Exception> {
        protocol::input(self.body)
    }
}

/// The operation a request names, if it is well formed.
fn target(req: &HttpRequest) -> Result<&str, Exception> {
    let unknown = || {
        Exception::new(
            Kind::UnknownOperation,
            "The X-Amz-Target header names no operation.",
        )
    };
    let value = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unknown)?;
    value
        .strip_prefix(TARGET_PREFIX)
        .filter(|op| {
            !op.is_empty() && op.len() <= 64 && op.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .ok_or_else(unknown)
}

fn json_content_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(CONTENT_TYPE))
}

async fn read_body(mut payload: Payload) -> Result<Vec<u8>, Exception> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            Exception::new(Kind::Serialization, "The request body could not be read.")
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Exception::new(
                Kind::Serialization,
                format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `POST /`.
pub async fn endpoint(req: HttpRequest, payload: Payload, ctx: Data<Context>) -> HttpResponse {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let operation = match target(&req) {
        Ok(op) => op.to_string(),
        Err(e) => return e.render(&request_id),
    };
    if !json_content_type(&req) {
        return Exception::new(
            Kind::Serialization,
            format!("The Content-Type must be {CONTENT_TYPE}."),
        )
        .render(&request_id);
    }
    let body = match read_body(payload).await {
        Ok(body) => body,
        Err(e) => return e.render(&request_id),
    };
    let call = Call {
        ctx: &ctx,
        req: &req,
        body: &body,
        address: ClientAddress::of(&req),
        request_id: &request_id,
    };
    if admin::is_admin(&operation) {
        return iam::run(&call, &operation).await;
    }
    match dispatch(&call, &operation).await {
        Ok(value) => protocol::render(&value, &request_id),
        Err(e) => e.render(&request_id),
    }
}

/// The operations clients call without AWS credentials (as in Cognito).
async fn dispatch(call: &Call<'_>, operation: &str) -> Answer {
    match operation {
        "SignUp" => public::sign_up(call).await,
        "ConfirmSignUp" => public::confirm_sign_up(call).await,
        "ResendConfirmationCode" => public::resend_confirmation_code(call).await,
        "ForgotPassword" => public::forgot_password(call).await,
        "ConfirmForgotPassword" => public::confirm_forgot_password(call).await,
        "InitiateAuth" => auth::initiate_auth(call).await,
        "RespondToAuthChallenge" => auth::respond_to_auth_challenge(call).await,
        "GetTokensFromRefreshToken" => tokens::get_tokens_from_refresh_token(call).await,
        "RevokeToken" => tokens::revoke_token(call).await,
        "AssociateSoftwareToken" => software_token::associate_software_token(call).await,
        "VerifySoftwareToken" => software_token::verify_software_token(call).await,
        "GetUser" => signed_in::get_user(call).await,
        "UpdateUserAttributes" => signed_in::update_user_attributes(call).await,
        "DeleteUserAttributes" => signed_in::delete_user_attributes(call).await,
        "VerifyUserAttribute" => signed_in::verify_user_attribute(call).await,
        "GetUserAttributeVerificationCode" => {
            signed_in::get_user_attribute_verification_code(call).await
        }
        "ChangePassword" => signed_in::change_password(call).await,
        "DeleteUser" => signed_in::delete_user(call).await,
        "GlobalSignOut" => signed_in::global_sign_out(call).await,
        "SetUserMFAPreference" => signed_in::set_user_mfa_preference(call).await,
        other if operations::ALL.contains(&other) => Err(Exception::new(
            Kind::UnsupportedOperation,
            format!("Cognate does not support the operation {other}."),
        )),
        other => Err(Exception::new(
            Kind::UnknownOperation,
            format!("{other} is not an operation of this service."),
        )),
    }
}
