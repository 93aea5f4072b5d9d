//! Sign-up, confirmation and the forgotten password: the operations a client calls with
//! its client id alone, over `accounts::verification`, as the hosted pages do.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::factors::codes::Resend;
use crate::accounts::users::lookup::find_user;
use crate::accounts::verification::signup::{self, SignUpForm};
use crate::accounts::verification::{confirm, reset};
use crate::cognito::Call;
use crate::cognito::client::{self, AppClient};
use crate::cognito::protocol::{Answer, Exception, Kind};
use crate::cognito::shapes::{
    AttributeType, attributes_from, code_answer, delivery, destination_shown,
};
use crate::error::{Clash, Error};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignUp {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    password: String,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
}

/// An operation's input that names a user of a client, with the client's `SECRET_HASH`.
trait ForUser {
    fn client_id(&self) -> &str;
    fn username(&self) -> &str;
    fn secret_hash(&self) -> Option<&str>;
}

/// `ForUser` for inputs with the members `ClientId`, `Username` and `SecretHash`.
macro_rules! for_user {
    ($($input:ident),+) => {$(
        impl ForUser for $input {
            fn client_id(&self) -> &str {
                &self.client_id
            }

            fn username(&self) -> &str {
                &self.username
            }

            fn secret_hash(&self) -> Option<&str> {
                self.secret_hash.as_deref()
            }
        }
    )+};
}

for_user!(SignUp, ConfirmSignUp, NamedUser, ConfirmForgotPassword);

/// The client, its `SECRET_HASH` checked for the user the input names.
async fn client_for(call: &Call<'_>, input: &impl ForUser) -> Result<AppClient, Exception> {
    let app = client::find(call, input.client_id()).await?;
    client::check_secret_hash(call, &app, input.username(), input.secret_hash())?;
    Ok(app)
}

/// `client_for`; and without `PreventUserExistenceErrors`, an unknown user is named as such,
/// as in Cognito.
async fn known_client(call: &Call<'_>, input: &impl ForUser) -> Result<AppClient, Exception> {
    let app = client_for(call, input).await?;
    if app.protects_users() {
        return Ok(app);
    }
    match find_user(call.ctx, &app.pool, input.username()).await {
        Ok(_) => Ok(app),
        Err(Error::NotFound(_)) => Err(Exception::new(Kind::UserNotFound, "User does not exist.")),
        Err(e) => Err(e.into()),
    }
}

/// Where a code for `username` went (`CodeDeliveryDetailsType`), without telling whether
/// an account has the name.
async fn destination(call: &Call<'_>, app: &AppClient, username: &str) -> Result<Value, Exception> {
    let email = if app.pool.config.email_is_username() {
        None
    } else {
        match find_user(call.ctx, &app.pool, username).await {
            Ok(user) => user.email,
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let shown = destination_shown(call.ctx, &app.pool, username, email.as_deref());
    Ok(json!({"Destination": shown, "DeliveryMedium": "EMAIL", "AttributeName": "email"}))
}

pub async fn sign_up(call: &Call<'_>) -> Answer {
    let input: SignUp = call.input()?;
    let app = client_for(call, &input).await?;
    let attributes = attributes_from(&input.user_attributes)?;
    let email = match attributes.get("email").and_then(Value::as_str) {
        Some(email) => email.to_string(),
        None if app.pool.config.email_is_username() => input.username.clone(),
        None => {
            return Err(Exception::invalid(
                "Attributes did not conform to the schema: email: The attribute is required",
            ));
        }
    };
    let form = SignUpForm {
        username: Some(input.username.clone()),
        email: email.clone(),
        password: input.password,
        attributes,
        submitted_by: None,
    };
    let signed_up = signup::sign_up(
        call.ctx,
        &app.pool,
        form,
        app.protects_users(),
        call.address,
    )
    .await
    .map_err(|e| match e {
        Error::Conflict(Clash::Exists, _) => {
            Exception::new(Kind::UsernameExists, "User already exists")
        }
        Error::Conflict(..) => {
            Exception::not_authorized("SignUp is not permitted for this user pool.")
        }
        other => other.into(),
    })?;
    Ok(json!({
        "UserConfirmed": false,
        "UserSub": signed_up.sub,
        "CodeDeliveryDetails": delivery(&email),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfirmSignUp {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
}

pub async fn confirm_sign_up(call: &Call<'_>) -> Answer {
    let input: ConfirmSignUp = call.input()?;
    let app = known_client(call, &input).await?;
    let (check, _) = confirm::confirm_sign_up(
        call.ctx,
        &app.pool,
        &input.username,
        &input.confirmation_code,
        call.address,
        None,
    )
    .await?;
    code_answer(check)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedUser {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
}

pub async fn resend_confirmation_code(call: &Call<'_>) -> Answer {
    let input: NamedUser = call.input()?;
    let app = known_client(call, &input).await?;
    match confirm::resend_sign_up_code(call.ctx, &app.pool, &input.username, call.address).await? {
        Resend::Sent => {}
        Resend::TooSoon => return Err(Exception::too_many_tries()),
    }
    Ok(json!({"CodeDeliveryDetails": destination(call, &app, &input.username).await?}))
}

pub async fn forgot_password(call: &Call<'_>) -> Answer {
    let input: NamedUser = call.input()?;
    let app = known_client(call, &input).await?;
    reset::forgot_password(call.ctx, &app.pool, &input.username, call.address).await?;
    Ok(json!({"CodeDeliveryDetails": destination(call, &app, &input.username).await?}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfirmForgotPassword {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
    password: String,
}

pub async fn confirm_forgot_password(call: &Call<'_>) -> Answer {
    let input: ConfirmForgotPassword = call.input()?;
    let app = known_client(call, &input).await?;
    let check = reset::reset_password(
        call.ctx,
        &app.pool,
        &input.username,
        &input.confirmation_code,
        &input.password,
        &input.password,
        call.address,
    )
    .await?;
    code_answer(check)
}
