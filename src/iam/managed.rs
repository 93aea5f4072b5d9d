//! The AWS-managed-style policies Cognate ships: built in, read-only, attachable like any.

use crate::iam::policy::{MANAGED_MAX, Policy};

/// The built-in policies by name, with their documents.
pub const MANAGED: [(&str, &str); 5] = [
    (
        "AdministratorAccess",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    ),
    (
        "PowerUserAccess",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}}"#,
    ),
    (
        "AmazonCognitoPowerUser",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"cognito-idp:*","Resource":"*"}}"#,
    ),
    (
        "AmazonCognitoReadOnly",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["cognito-idp:Describe*","cognito-idp:List*","cognito-idp:Get*","cognito-idp:AdminGet*","cognito-idp:AdminList*"],"Resource":"*"}}"#,
    ),
    (
        "CognateMetricsReader",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"cognate:GetMetrics","Resource":"*"}}"#,
    ),
];

/// The built-in policy called `name`.
pub fn managed(name: &str) -> Option<Policy> {
    MANAGED
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, text)| Policy::parse(text, MANAGED_MAX).ok())
}
