//! The limits the validators enforce, written into the schemas from the validators' own
//! constants so that the two cannot drift.

use serde_json::{Value, json};

use crate::accounts::users::shapes::USERNAME_MAX;
use crate::accounts::{attributes, groups, password_policy};
use crate::admin::document::json::{limit, merge, merge_all, walk_parameters};
use crate::pools::text::{free_text_pattern, name_pattern, word_pattern};
use crate::pools::{client_config, pool_config, resource_servers, urls};
use crate::store::paging::MAX_LIMIT;

/// `is_email` takes at most this many bytes, so at most this many characters.
const EMAIL_MAX: usize = 254;

fn range<T: Copy + Into<i64>>(r: &std::ops::RangeInclusive<T>) -> Value {
    json!({"minimum": (*r.start()).into(), "maximum": (*r.end()).into()})
}

fn name(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": name_pattern(max)})
}

fn word(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": word_pattern(max)})
}

fn free_text(max: usize) -> Value {
    json!({"maxLength": max, "pattern": free_text_pattern(max)})
}

fn url() -> Value {
    json!({"minLength": 1, "maxLength": urls::URL_MAX_LENGTH})
}

pub(super) fn add_limits(doc: &mut Value) {
    // Pools.
    for s in ["NewPool", "PoolPatch"] {
        limit(doc, s, "name", name(pool_config::NAME_MAX));
        limit(
            doc,
            s,
            "auto_verified_attributes",
            json!({"uniqueItems": true, "items": {"enum": pool_config::AUTO_VERIFIABLE}}),
        );
        limit(
            doc,
            s,
            "schema",
            json!({"maxItems": pool_config::MAX_CUSTOM_ATTRIBUTES}),
        );
        limit(
            doc,
            s,
            "mfa_configuration",
            json!({"enum": pool_config::MFA_CONFIGURATIONS.iter().map(|m| json!(m)).chain([Value::Null]).collect::<Vec<_>>()}),
        );
        limit(
            doc,
            s,
            "mfa_factors",
            json!({"uniqueItems": true, "items": {"enum": crate::domain::MfaFactor::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>()}}),
        );
        limit(
            doc,
            s,
            "token_signing_algorithm",
            json!({"enum": crate::crypto::jwt::Algorithm::ALL.iter().map(|a| json!(a.as_str())).chain([Value::Null]).collect::<Vec<_>>()}),
        );
    }
    limit(
        doc,
        "SignInPolicy",
        "allowed_first_auth_factors",
        json!({"uniqueItems": true, "minItems": 1, "items": {"enum": pool_config::FIRST_AUTH_FACTORS}}),
    );
    limit(
        doc,
        "RefreshTokenRotation",
        "retry_grace_period_seconds",
        range(&client_config::RETRY_GRACE_PERIOD_SECONDS),
    );
    limit(
        doc,
        "NewPool",
        "username_attributes",
        json!({"maxItems": 1, "items": {"enum": ["email"]}}),
    );
    for s in ["PasswordPolicyPatch", "PasswordPolicy"] {
        limit(
            doc,
            s,
            "minimum_length",
            range(&pool_config::MINIMUM_LENGTH),
        );
        limit(
            doc,
            s,
            "temporary_password_validity_days",
            range(&pool_config::TEMPORARY_PASSWORD_DAYS),
        );
    }
    limit(
        doc,
        "CustomAttribute",
        "name",
        json!({"pattern": format!("^[A-Za-z0-9_-]{{1,{}}}$", pool_config::CUSTOM_ATTRIBUTE_NAME_MAX)}),
    );
    limit(
        doc,
        "CustomAttribute",
        "type",
        json!({"enum": pool_config::ATTRIBUTE_TYPES}),
    );
    for field in ["min_length", "max_length"] {
        limit(
            doc,
            "CustomAttribute",
            field,
            json!({"minimum": 0, "maximum": pool_config::CUSTOM_ATTRIBUTE_LENGTH_MAX}),
        );
    }
    limit(
        doc,
        "EmailSettings",
        "from",
        json!({"minLength": 3, "maxLength": EMAIL_MAX}),
    );
    limit(
        doc,
        "EmailSettings",
        "verification_subject",
        name(pool_config::EMAIL_SUBJECT_MAX),
    );
    limit(
        doc,
        "EmailSettings",
        "verification_message",
        merge_all(
            free_text(pool_config::EMAIL_MESSAGE_MAX),
            json!({"minLength": 6}),
        ),
    );
    limit(
        doc,
        "Branding",
        "display_name",
        name(pool_config::DISPLAY_NAME_MAX),
    );
    limit(doc, "Branding", "logo_url", url());
    limit(
        doc,
        "Branding",
        "primary_color",
        json!({"pattern": "^#[0-9A-Fa-f]{6}$"}),
    );

    // Clients.
    for s in ["NewClient", "ClientPatch"] {
        limit(doc, s, "name", name(client_config::NAME_MAX));
        for field in ["callback_urls", "logout_urls"] {
            limit(
                doc,
                s,
                field,
                json!({"maxItems": client_config::MAX_URLS, "uniqueItems": true, "items": url()}),
            );
        }
        limit(
            doc,
            s,
            "default_redirect_uri",
            json!({"maxLength": urls::URL_MAX_LENGTH}),
        );
        limit(
            doc,
            s,
            "allowed_oauth_flows",
            json!({"items": {"enum": client_config::OAUTH_FLOWS}}),
        );
        limit(
            doc,
            s,
            "allowed_oauth_scopes",
            json!({"uniqueItems": true, "items": {"minLength": 1}}),
        );
        limit(
            doc,
            s,
            "explicit_auth_flows",
            json!({"items": {"enum": client_config::EXPLICIT_AUTH_FLOWS}}),
        );
        limit(
            doc,
            s,
            "access_token_validity",
            range(&client_config::ACCESS_TOKEN_VALIDITY),
        );
        limit(
            doc,
            s,
            "id_token_validity",
            range(&client_config::ID_TOKEN_VALIDITY),
        );
        limit(
            doc,
            s,
            "refresh_token_validity",
            range(&client_config::REFRESH_TOKEN_VALIDITY),
        );
        for field in ["read_attributes", "write_attributes"] {
            limit(
                doc,
                s,
                field,
                json!({"items": {"anyOf": [
                    {"enum": client_config::STANDARD_ATTRIBUTES},
                    {"pattern": "^custom:"},
                ]}}),
            );
        }
    }

    // Resource servers.
    for s in ["NewResourceServer", "ResourceServerUpdate"] {
        limit(doc, s, "identifier", word(resource_servers::IDENTIFIER_MAX));
        limit(doc, s, "name", name(resource_servers::NAME_MAX));
        limit(
            doc,
            s,
            "scopes",
            json!({"maxItems": resource_servers::MAX_SCOPES}),
        );
    }
    limit(
        doc,
        "CustomScope",
        "name",
        json!({
            "minLength": 1,
            "maxLength": resource_servers::SCOPE_NAME_MAX,
            "pattern": format!("^[!-.0-~]{{1,{}}}$", resource_servers::SCOPE_NAME_MAX),
        }),
    );
    limit(
        doc,
        "CustomScope",
        "description",
        name(resource_servers::SCOPE_DESCRIPTION_MAX),
    );

    // Identity providers.
    {
        use crate::federation::provider_rules as idp;
        let visible = |max: usize| json!({"minLength": 1, "maxLength": max, "pattern": format!("^[!-~]{{1,{max}}}$")});
        limit(
            doc,
            "NewIdentityProvider",
            "name",
            json!({"minLength": 1, "maxLength": idp::NAME_MAX,
                   "pattern": format!("^[A-Za-z0-9][A-Za-z0-9._-]{{0,{}}}$", idp::NAME_MAX - 1)}),
        );
        limit(
            doc,
            "NewIdentityProvider",
            "type",
            json!({"enum": ["OIDC"]}),
        );
        for s in ["NewIdentityProvider", "IdentityProviderUpdate"] {
            limit(
                doc,
                s,
                "idp_identifiers",
                json!({"maxItems": idp::MAX_IDENTIFIERS, "items": {"minLength": 1,
                       "maxLength": idp::IDENTIFIER_MAX, "pattern": "^[A-Za-z0-9._+=@-]+$"}}),
            );
            limit(
                doc,
                s,
                "attribute_mapping",
                json!({"maxProperties": idp::MAX_MAPPINGS,
                       "additionalProperties": visible(idp::CLAIM_MAX)}),
            );
        }
        for s in ["NewDetails", "DetailsUpdate"] {
            limit(doc, s, "issuer", visible(idp::URL_MAX));
            limit(doc, s, "client_id", visible(idp::CLIENT_ID_MAX));
            limit(doc, s, "client_secret", visible(idp::SECRET_MAX));
            limit(
                doc,
                s,
                "authorize_scopes",
                json!({"maxLength": idp::URL_MAX}),
            );
            limit(
                doc,
                s,
                "attributes_request_method",
                json!({"enum": ["GET", "POST"]}),
            );
        }
        for field in ["provider_name", "provider_subject"] {
            limit(
                doc,
                "LinkedIdentity",
                field,
                visible(crate::federation::mapping::SUBJECT_MAX),
            );
        }
    }

    // Users: a username is a word, or an email address where that is the username.
    let password = json!({
        "minLength": pool_config::MINIMUM_LENGTH.start(),
        "maxLength": password_policy::MAX_LENGTH,
    });
    limit(
        doc,
        "NewUser",
        "username",
        word(EMAIL_MAX.max(USERNAME_MAX)),
    );
    limit(doc, "NewUser", "password", password.clone());
    limit(doc, "NewUser", "temporary_password", password.clone());
    limit(doc, "SetPassword", "password", password);
    for s in ["NewUser", "UserPatch"] {
        limit(
            doc,
            s,
            "attributes",
            json!({"maxProperties": attributes::MAX_ATTRIBUTES}),
        );
    }

    // Groups.
    limit(doc, "NewGroup", "name", word(groups::NAME_MAX));
    for s in ["NewGroup", "GroupPatch"] {
        limit(doc, s, "description", free_text(groups::DESCRIPTION_MAX));
        limit(doc, s, "precedence", range(&groups::PRECEDENCE));
    }

    // Lists.
    walk_parameters(doc, &mut |param| {
        if param["in"] != "query" {
            return;
        }
        // A query parameter is absent or a value; `null` is not something a URL can say.
        if let Some(types) = param["schema"]["type"].as_array().cloned() {
            let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
            param["schema"]["type"] = kept.first().cloned().unwrap_or(Value::Null);
        }
        match param["name"].as_str() {
            Some("limit") => merge(
                &mut param["schema"],
                json!({"minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT}),
            ),
            Some("next_token") => merge(&mut param["schema"], json!({"maxLength": 2048})),
            _ => {}
        }
    });
}
