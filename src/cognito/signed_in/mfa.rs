//! `SetUserMFAPreference`: Cognito's settings blocks as the core's preference change, under
//! the step-up rule every change of factors follows.

use serde::Deserialize;
use serde_json::json;

use crate::accounts::users::manage;
use crate::accounts::users::shapes::MfaPreference;
use crate::cognito::Call;
use crate::cognito::protocol::Answer;
use crate::cognito::signed_in::token::{address_may_change, authorise};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FactorSettings {
    pub enabled: Option<bool>,
    pub preferred_mfa: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MfaPreferenceInput {
    access_token: String,
    #[serde(default)]
    software_token_mfa_settings: Option<FactorSettings>,
    #[serde(default)]
    email_mfa_settings: Option<FactorSettings>,
}

/// Cognito's two settings blocks as the core's preference change.
pub(crate) fn preference(
    totp: Option<&FactorSettings>,
    email: Option<&FactorSettings>,
) -> MfaPreference {
    let preferred = if totp.is_some_and(|t| t.preferred_mfa == Some(true)) {
        Some(Some("SOFTWARE_TOKEN_MFA".to_string()))
    } else if email.is_some_and(|e| e.preferred_mfa == Some(true)) {
        Some(Some("EMAIL_OTP".to_string()))
    } else if totp.is_some_and(|t| t.enabled == Some(false))
        || email.is_some_and(|e| e.enabled == Some(false))
    {
        Some(None)
    } else {
        None
    };
    MfaPreference {
        preferred,
        email_enabled: email.and_then(|e| e.enabled),
    }
}

pub async fn set_user_mfa_preference(call: &Call<'_>) -> Answer {
    let input: MfaPreferenceInput = call.input()?;
    let signed = authorise(call, &input.access_token).await?;
    let change = preference(
        input.software_token_mfa_settings.as_ref(),
        input.email_mfa_settings.as_ref(),
    );
    // Turning codes by email on or off, or choosing which factor is asked for: a change of
    // factors, under the rule every door shares.
    let have = crate::accounts::factors::mfa::factors(call.ctx, &signed.user).await?;
    let preferred_now = have.preferred.map(|f| f.as_str().to_string());
    if change
        .email_enabled
        .is_some_and(|on| on != have.email_enabled)
        || change
            .preferred
            .as_ref()
            .is_some_and(|p| *p != preferred_now)
    {
        address_may_change(call, &signed).await?;
    }
    manage::set_mfa_preference(call.ctx, &signed.pool.id, &signed.user.username, change).await?;
    Ok(json!({}))
}
