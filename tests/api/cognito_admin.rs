//! The Cognito API's admin operations for pools and app clients, driven by AWS's SDK for
//! Rust as an IAM user holding `AmazonCognitoPowerUser` (resource servers, groups and the
//! refusals are in `cognito_admin_groups`).

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, DeletionProtectionType, EmailMfaConfigType,
    ExplicitAuthFlowsType, OAuthFlowType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    SchemaAttributeType, SoftwareTokenMfaConfigType, StringAttributeConstraintsType, TimeUnitsType,
    TokenValidityUnitsType, UserPoolMfaType, UserPoolPolicyType, UsernameAttributeType,
    UsernameConfigurationType,
};

use crate::helpers::cognito::{Env, TARGET, env, expect_exception};
use crate::helpers::iam::{Signing, next_signing_second, pool_arn, sign_request};
use crate::helpers::{Answer, Backend};
use crate::{code_of, on_both};

on_both!(
    user_pools_through_the_sdk,
    pool_mfa_config_through_the_sdk,
    app_clients_through_the_sdk,
    wrong_types_and_missing_members,
);

/// An admin operation's raw JSON, signed with the admin's key, for what the SDK won't send.
async fn signed_raw(env: &Env, operation: &str, body: &str) -> Answer {
    let url = env.app.url("/");
    let target = format!("{TARGET}{operation}");
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target.as_str()),
    ];
    let bytes = body.as_bytes().to_vec();
    let signed = sign_request(
        &env.key,
        "POST",
        &url,
        &headers,
        &bytes,
        &Signing::default(),
    );
    env.app.send_signed("POST", signed, bytes).await
}

/// Every pool id `ListUserPools` shows, one page of `per_page` at a time.
async fn all_pool_ids(admin: &Client, per_page: i32) -> Vec<String> {
    let (mut ids, mut token) = (Vec::new(), None);
    loop {
        let page = admin
            .list_user_pools()
            .max_results(per_page)
            .set_next_token(token)
            .send()
            .await
            .expect("ListUserPools");
        assert!(page.user_pools().len() <= per_page as usize);
        ids.extend(
            page.user_pools()
                .iter()
                .filter_map(|p| p.id())
                .map(String::from),
        );
        token = page.next_token().map(String::from);
        if token.is_none() {
            return ids;
        }
    }
}

async fn user_pools_through_the_sdk(backend: Backend) {
    let env = env(backend).await;
    let made = env
        .admin
        .create_user_pool()
        .pool_name("shop")
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(10)
                        .require_uppercase(true)
                        .require_numbers(true)
                        .temporary_password_validity_days(3)
                        .build(),
                )
                .build(),
        )
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes("email".into())
        .username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .expect("case sensitivity"),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("tier")
                .attribute_data_type(AttributeDataType::String)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .max_length("20")
                        .build(),
                )
                .build(),
        )
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .expect("CreateUserPool");
    let pool = made.user_pool().expect("the pool");
    let id = pool.id().expect("an id").to_string();
    assert!(id.starts_with("local_"), "{id}");
    assert_eq!(pool.arn(), Some(pool_arn(&id).as_str()));
    assert_eq!(pool.name(), Some("shop"));
    assert!(pool.creation_date().is_some());

    let described = env
        .admin
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .expect("DescribeUserPool");
    let pool = described.user_pool().expect("the pool");
    let policy = pool
        .policies()
        .and_then(|p| p.password_policy())
        .expect("a password policy");
    assert_eq!(policy.minimum_length(), Some(10));
    assert!(policy.require_uppercase() && policy.require_numbers());
    assert!(!policy.require_lowercase() && !policy.require_symbols());
    assert_eq!(policy.temporary_password_validity_days(), 3);
    assert_eq!(pool.username_attributes(), &[UsernameAttributeType::Email]);
    assert_eq!(pool.auto_verified_attributes().len(), 1);
    assert_eq!(
        pool.username_configuration().map(|u| u.case_sensitive()),
        Some(false)
    );
    assert_eq!(pool.mfa_configuration(), Some(&UserPoolMfaType::Off));
    assert_eq!(
        pool.admin_create_user_config()
            .map(|c| c.allow_admin_create_user_only()),
        Some(true)
    );
    let tier = pool
        .schema_attributes()
        .iter()
        .find(|a| a.name() == Some("custom:tier"))
        .expect("the custom attribute");
    assert_eq!(
        tier.string_attribute_constraints()
            .and_then(|c| c.max_length()),
        Some("20")
    );

    // Deletion protection holds until an update turns it off.
    let protected = code_of!(env.admin.delete_user_pool().user_pool_id(&id));
    assert_eq!(protected.as_deref(), Some("InvalidParameterException"));
    env.admin
        .update_user_pool()
        .user_pool_id(&id)
        .pool_name("shop-2")
        .mfa_configuration(UserPoolMfaType::Optional)
        .auto_verified_attributes("email".into())
        .send()
        .await
        .expect("UpdateUserPool");
    let updated = env
        .admin
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .expect("DescribeUserPool");
    let pool = updated.user_pool().expect("the pool");
    assert_eq!(pool.name(), Some("shop-2"));
    assert_eq!(pool.mfa_configuration(), Some(&UserPoolMfaType::Optional));
    assert_eq!(
        pool.deletion_protection(),
        Some(&DeletionProtectionType::Inactive)
    );
    // As in Cognito, what the update did not name is back to its default.
    let policy = pool
        .policies()
        .and_then(|p| p.password_policy())
        .expect("policy");
    assert_eq!(policy.minimum_length(), Some(8));
    assert!(policy.require_symbols());

    let ids = all_pool_ids(&env.admin, 1).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&id) && ids.contains(&env.pool));

    // The refused DeleteUserPool again: the SDK signs it anew only in another second.
    next_signing_second().await;
    env.admin
        .delete_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .expect("DeleteUserPool");
    let gone = code_of!(env.admin.describe_user_pool().user_pool_id(&id));
    assert_eq!(gone.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(all_pool_ids(&env.admin, 60).await, vec![env.pool.clone()]);
}

async fn pool_mfa_config_through_the_sdk(backend: Backend) {
    let env = env(backend).await;
    let before = env
        .admin
        .get_user_pool_mfa_config()
        .user_pool_id(&env.pool)
        .send()
        .await
        .expect("GetUserPoolMfaConfig");
    assert_eq!(before.mfa_configuration(), Some(&UserPoolMfaType::Off));
    assert!(before.email_mfa_configuration().is_none());
    let set = env
        .admin
        .set_user_pool_mfa_config()
        .user_pool_id(&env.pool)
        .mfa_configuration(UserPoolMfaType::Optional)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .email_mfa_configuration(EmailMfaConfigType::builder().build())
        .send()
        .await
        .expect("SetUserPoolMfaConfig");
    assert_eq!(set.mfa_configuration(), Some(&UserPoolMfaType::Optional));
    let after = env
        .admin
        .get_user_pool_mfa_config()
        .user_pool_id(&env.pool)
        .send()
        .await
        .expect("GetUserPoolMfaConfig");
    assert_eq!(after.mfa_configuration(), Some(&UserPoolMfaType::Optional));
    assert_eq!(
        after
            .software_token_mfa_configuration()
            .map(|s| s.enabled()),
        Some(true)
    );
    assert!(after.email_mfa_configuration().is_some());
    // ON with no factor left is refused by the core's rule.
    let none = code_of!(
        env.admin
            .set_user_pool_mfa_config()
            .user_pool_id(&env.pool)
            .mfa_configuration(UserPoolMfaType::On)
    );
    assert_eq!(none.as_deref(), Some("InvalidParameterException"));
    let custom_text = code_of!(
        env.admin
            .set_user_pool_mfa_config()
            .user_pool_id(&env.pool)
            .email_mfa_configuration(EmailMfaConfigType::builder().subject("Your code").build())
    );
    assert_eq!(custom_text.as_deref(), Some("InvalidParameterException"));
}

async fn app_clients_through_the_sdk(backend: Backend) {
    let env = env(backend).await;
    let made = env
        .admin
        .create_user_pool_client()
        .user_pool_id(&env.pool)
        .client_name("web")
        .generate_secret(true)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .callback_urls("https://app.example.com/cb")
        .default_redirect_uri("https://app.example.com/cb")
        .supported_identity_providers("COGNITO")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .access_token_validity(30)
        .refresh_token_validity(10)
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .access_token(TimeUnitsType::Minutes)
                .build(),
        )
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .send()
        .await
        .expect("CreateUserPoolClient");
    let client = made.user_pool_client().expect("the client");
    let id = client.client_id().expect("an id").to_string();
    assert!(client.client_secret().is_some_and(|s| s.len() >= 40));

    let described = env
        .admin
        .describe_user_pool_client()
        .user_pool_id(&env.pool)
        .client_id(&id)
        .send()
        .await
        .expect("DescribeUserPoolClient");
    let client = described.user_pool_client().expect("the client");
    assert_eq!(client.client_name(), Some("web"));
    assert!(client.client_secret().is_none(), "shown once, at creation");
    assert_eq!(client.access_token_validity(), Some(30));
    assert_eq!(client.id_token_validity(), Some(1));
    assert_eq!(client.refresh_token_validity(), 10);
    let units = client.token_validity_units().expect("units");
    assert_eq!(units.access_token(), Some(&TimeUnitsType::Minutes));
    assert_eq!(units.refresh_token(), Some(&TimeUnitsType::Days));
    assert_eq!(client.allowed_o_auth_flows(), &[OAuthFlowType::Code]);
    assert_eq!(client.allowed_o_auth_scopes(), &["openid", "email"]);
    assert_eq!(client.allowed_o_auth_flows_user_pool_client(), Some(true));
    assert_eq!(client.callback_urls(), &["https://app.example.com/cb"]);
    assert_eq!(
        client.default_redirect_uri(),
        Some("https://app.example.com/cb")
    );
    assert_eq!(client.explicit_auth_flows().len(), 2);

    // As in Cognito, an update resets every setting it does not name.
    let updated = env
        .admin
        .update_user_pool_client()
        .user_pool_id(&env.pool)
        .client_id(&id)
        .client_name("web-2")
        .access_token_validity(2)
        .send()
        .await
        .expect("UpdateUserPoolClient");
    let client = updated.user_pool_client().expect("the client");
    assert_eq!(client.client_name(), Some("web-2"));
    assert_eq!(client.access_token_validity(), Some(2));
    assert_eq!(
        client.token_validity_units().and_then(|u| u.access_token()),
        Some(&TimeUnitsType::Hours)
    );
    assert!(client.allowed_o_auth_flows().is_empty() && client.callback_urls().is_empty());
    assert_eq!(client.refresh_token_validity(), 30);
    assert!(
        client
            .explicit_auth_flows()
            .contains(&ExplicitAuthFlowsType::AllowUserSrpAuth)
    );

    let (mut seen, mut token) = (Vec::new(), None);
    loop {
        let page = env
            .admin
            .list_user_pool_clients()
            .user_pool_id(&env.pool)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .expect("ListUserPoolClients");
        assert!(page.user_pool_clients().len() <= 1);
        seen.extend(
            page.user_pool_clients()
                .iter()
                .filter_map(|c| c.client_id())
                .map(String::from),
        );
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 2);
    assert!(seen.contains(&id) && seen.contains(&env.client_id));

    let implicit = code_of!(
        env.admin
            .create_user_pool_client()
            .user_pool_id(&env.pool)
            .client_name("spa")
            .allowed_o_auth_flows_user_pool_client(true)
            .allowed_o_auth_flows(OAuthFlowType::Implicit)
            .allowed_o_auth_scopes("openid")
            .callback_urls("https://app.example.com/cb")
    );
    assert_eq!(implicit.as_deref(), Some("InvalidParameterException"));

    env.admin
        .delete_user_pool_client()
        .user_pool_id(&env.pool)
        .client_id(&id)
        .send()
        .await
        .expect("DeleteUserPoolClient");
    let gone = code_of!(
        env.admin
            .describe_user_pool_client()
            .user_pool_id(&env.pool)
            .client_id(&id)
    );
    assert_eq!(gone.as_deref(), Some("ResourceNotFoundException"));
}

async fn wrong_types_and_missing_members(backend: Backend) {
    let env = env(backend).await;
    let answer = signed_raw(&env, "ListUserPools", r#"{"MaxResults": "ten"}"#).await;
    expect_exception(&answer, "SerializationException");
    let body = format!(r#"{{"UserPoolId": "{}", "Limit": "ten"}}"#, env.pool);
    let answer = signed_raw(&env, "ListGroups", &body).await;
    expect_exception(&answer, "SerializationException");
    let answer = signed_raw(&env, "ListUserPools", "{}").await;
    expect_exception(&answer, "InvalidParameterException");
    let answer = signed_raw(&env, "ListUserPools", r#"{"MaxResults": 61}"#).await;
    expect_exception(&answer, "InvalidParameterException");
    let body = format!(r#"{{"UserPoolId": "{}", "GroupName": 7}}"#, env.pool);
    let answer = signed_raw(&env, "GetGroup", &body).await;
    expect_exception(&answer, "SerializationException");
    let answer = signed_raw(&env, "CreateUserPool", r#"{"PoolName": "p", "LambdaConfig": {"PreSignUp": "arn:aws:lambda:local:000000000000:function:f"}}"#).await;
    expect_exception(&answer, "InvalidParameterException");
    let answer = signed_raw(&env, "ListUserPools", r#"{"MaxResults": 1}"#).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["UserPools"][0]["Id"], env.pool.as_str());
}
