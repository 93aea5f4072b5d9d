//! Cases from AWS's documented policy evaluation logic, condition operators and examples.

use super::*;
use crate::iam::managed::managed;
use crate::iam::policy::{GROUP_INLINE_MAX, MANAGED_MAX, USER_INLINE_MAX};

const POOL: &str = "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_abc";
const OTHER_POOL: &str = "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_xyz";

fn policy(text: &str) -> Policy {
    Policy::parse(text, MANAGED_MAX).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn doc(statements: &str) -> Policy {
    policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":{statements}}}"#
    ))
}

fn decide(policies: &[&Policy], action: &str, resource: &str, context: &Context) -> Decision {
    let names: Vec<String> = (0..policies.len()).map(|i| format!("p{i}")).collect();
    let applied: Vec<Applied> = policies
        .iter()
        .zip(&names)
        .map(|(policy, name)| Applied { name, policy })
        .collect();
    evaluate(
        &applied,
        None,
        &Request {
            action,
            resource,
            context,
        },
    )
}

fn allowed(policies: &[&Policy], action: &str, resource: &str) -> bool {
    decide(policies, action, resource, &Context::new()).is_allowed()
}

fn with(key: &str, value: &str) -> Context {
    Context::new().with(key, value)
}

fn cond(operator_block: &str) -> Policy {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"cognito-idp:ListUsers","Resource":"*","Condition":{operator_block}}}"#
    ))
}

fn holds(operator_block: &str, context: &Context) -> bool {
    decide(
        &[&cond(operator_block)],
        "cognito-idp:ListUsers",
        POOL,
        context,
    )
    .is_allowed()
}

// --- The decision -----------------------------------------------------------------------

#[test]
fn nothing_allows_by_default() {
    assert_eq!(
        decide(&[], "cognito-idp:ListUsers", POOL, &Context::new()),
        Decision::ImplicitlyDenied
    );
}

#[test]
fn an_allow_allows_and_names_its_statement() {
    let p =
        doc(r#"{"Sid":"Read","Effect":"Allow","Action":"cognito-idp:ListUsers","Resource":"*"}"#);
    assert_eq!(
        decide(&[&p], "cognito-idp:ListUsers", POOL, &Context::new()),
        Decision::Allowed(Deciding {
            policy: "p0".into(),
            sid: Some("Read".into())
        })
    );
}

#[test]
fn an_explicit_deny_beats_an_allow_in_the_same_policy() {
    let p = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"NoDeletes","Effect":"Deny","Action":"cognito-idp:Delete*","Resource":"*"}]"#);
    assert_eq!(
        decide(&[&p], "cognito-idp:DeleteUserPool", POOL, &Context::new()),
        Decision::ExplicitlyDenied(Deciding {
            policy: "p0".into(),
            sid: Some("NoDeletes".into())
        })
    );
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
}

#[test]
fn an_explicit_deny_in_another_policy_wins_whatever_the_order() {
    let allow = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let deny = doc(r#"{"Effect":"Deny","Action":"cognito-idp:AdminDeleteUser","Resource":"*"}"#);
    for order in [[&allow, &deny], [&deny, &allow]] {
        assert!(matches!(
            decide(&order, "cognito-idp:AdminDeleteUser", POOL, &Context::new()),
            Decision::ExplicitlyDenied(_)
        ));
    }
}

#[test]
fn a_deny_that_does_not_apply_leaves_the_allow() {
    let p = doc(
        r#"[{"Effect":"Allow","Action":"cognito-idp:*","Resource":"*"},
            {"Effect":"Deny","Action":"cognito-idp:*","Resource":"arn:aws:cognito-idp:*:*:userpool/eu-west-1_xyz"}]"#,
    );
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
    assert!(!allowed(&[&p], "cognito-idp:ListUsers", OTHER_POOL));
}

#[test]
fn a_deny_without_any_allow_is_still_explicit() {
    let deny = doc(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#);
    assert!(matches!(
        decide(&[&deny], "cognito-idp:ListUsers", POOL, &Context::new()),
        Decision::ExplicitlyDenied(_)
    ));
}

#[test]
fn a_session_policy_narrows_but_never_widens() {
    let role = doc(r#"{"Effect":"Allow","Action":"cognito-idp:*","Resource":"*"}"#);
    let session = doc(r#"{"Effect":"Allow","Action":"cognito-idp:List*","Resource":"*"}"#);
    let wide_session = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let empty = Context::new();
    let request = |action| Request {
        action,
        resource: POOL,
        context: &empty,
    };
    let id = [Applied {
        name: "role",
        policy: &role,
    }];
    let narrow = [Applied {
        name: "session",
        policy: &session,
    }];
    let wide = [Applied {
        name: "session",
        policy: &wide_session,
    }];
    assert!(evaluate(&id, Some(&narrow), &request("cognito-idp:ListUsers")).is_allowed());
    assert_eq!(
        evaluate(&id, Some(&narrow), &request("cognito-idp:AdminDeleteUser")),
        Decision::ImplicitlyDenied
    );
    // The session policy allows iam:*, the role does not.
    assert_eq!(
        evaluate(&id, Some(&wide), &request("iam:CreateUser")),
        Decision::ImplicitlyDenied
    );
}

#[test]
fn a_deny_in_the_session_policy_wins_too() {
    let role = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let session = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"cognito-idp:AdminDeleteUser","Resource":"*"}]"#);
    let id = [Applied {
        name: "role",
        policy: &role,
    }];
    let s = [Applied {
        name: "session",
        policy: &session,
    }];
    let request = Request {
        action: "cognito-idp:AdminDeleteUser",
        resource: POOL,
        context: &Context::new(),
    };
    assert!(matches!(
        evaluate(&id, Some(&s), &request),
        Decision::ExplicitlyDenied(Deciding { ref policy, .. }) if policy == "session"
    ));
}

// --- Matching actions and resources -------------------------------------------------------

#[test]
fn actions_match_without_regard_to_case() {
    let p = doc(r#"{"Effect":"Allow","Action":"cognito-idp:listusers","Resource":"*"}"#);
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
    assert!(allowed(&[&p], "COGNITO-IDP:LISTUSERS", POOL));
}

#[test]
fn resources_match_case_sensitively() {
    let p = doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"{}"}}"#,
        POOL.to_uppercase().replace("ARN:AWS", "arn:aws")
    ));
    assert!(!allowed(&[&p], "cognito-idp:ListUsers", POOL));
}

#[test]
fn action_wildcards() {
    let p = doc(
        r#"{"Effect":"Allow","Action":["cognito-idp:Admin*User","cognito-idp:?etGroup"],"Resource":"*"}"#,
    );
    assert!(allowed(&[&p], "cognito-idp:AdminCreateUser", POOL));
    assert!(allowed(&[&p], "cognito-idp:AdminDeleteUser", POOL));
    assert!(!allowed(&[&p], "cognito-idp:AdminCreateUserPool", POOL));
    assert!(allowed(&[&p], "cognito-idp:GetGroup", POOL));
    assert!(!allowed(&[&p], "cognito-idp:ListGroups", POOL));
}

#[test]
fn resource_wildcards_reach_one_pool_or_all() {
    let one = doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"{POOL}"}}"#
    ));
    let region = doc(
        r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:cognito-idp:eu-west-1:*:userpool/*"}"#,
    );
    assert!(allowed(&[&one], "cognito-idp:ListUsers", POOL));
    assert!(!allowed(&[&one], "cognito-idp:ListUsers", OTHER_POOL));
    assert!(allowed(&[&region], "cognito-idp:ListUsers", OTHER_POOL));
    assert!(!allowed(
        &[&region],
        "cognito-idp:ListUsers",
        "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"
    ));
}

#[test]
fn actions_on_no_pool_need_star() {
    let one = doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"{POOL}"}}"#
    ));
    assert!(!allowed(&[&one], "cognito-idp:ListUserPools", "*"));
    let all = doc(r#"{"Effect":"Allow","Action":"cognito-idp:ListUserPools","Resource":"*"}"#);
    assert!(allowed(&[&all], "cognito-idp:ListUserPools", "*"));
}

#[test]
fn not_action_allows_everything_else() {
    let p = doc(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
    assert!(!allowed(&[&p], "iam:CreateUser", "*"));
}

#[test]
fn a_deny_with_not_action_denies_everything_but_those() {
    let p = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","NotAction":["cognito-idp:Get*","cognito-idp:List*"],"Resource":"*"}]"#);
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
    assert!(!allowed(&[&p], "cognito-idp:AdminCreateUser", POOL));
}

#[test]
fn not_resource_allows_all_but_one_pool() {
    let p = doc(&format!(
        r#"{{"Effect":"Allow","Action":"*","NotResource":"{OTHER_POOL}"}}"#
    ));
    assert!(allowed(&[&p], "cognito-idp:ListUsers", POOL));
    assert!(!allowed(&[&p], "cognito-idp:ListUsers", OTHER_POOL));
}

#[test]
fn a_statement_as_an_object_or_an_array() {
    let one = doc(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let many = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"}]"#);
    assert_eq!(one, many);
}

// --- Managed policies ---------------------------------------------------------------------

#[test]
fn administrator_access_allows_everything() {
    let p = managed("AdministratorAccess").unwrap();
    assert!(allowed(&[&p], "iam:CreateUser", "*"));
    assert!(allowed(&[&p], "cognito-idp:DeleteUserPool", POOL));
}

#[test]
fn power_user_access_is_everything_but_iam_and_sts() {
    let p = managed("PowerUserAccess").unwrap();
    assert!(allowed(&[&p], "cognito-idp:DeleteUserPool", POOL));
    assert!(allowed(&[&p], "cognate:RotateSigningKey", POOL));
    assert!(!allowed(&[&p], "iam:AttachUserPolicy", "*"));
    assert!(!allowed(&[&p], "sts:AssumeRole", "*"));
}

#[test]
fn cognito_read_only_reads_and_does_not_write() {
    let p = managed("AmazonCognitoReadOnly").unwrap();
    for read in [
        "DescribeUserPool",
        "ListUsers",
        "AdminGetUser",
        "AdminListGroupsForUser",
        "GetGroup",
    ] {
        assert!(
            allowed(&[&p], &format!("cognito-idp:{read}"), POOL),
            "{read}"
        );
    }
    for write in [
        "AdminCreateUser",
        "UpdateUserPool",
        "DeleteGroup",
        "AdminSetUserPassword",
    ] {
        assert!(
            !allowed(&[&p], &format!("cognito-idp:{write}"), POOL),
            "{write}"
        );
    }
}

#[test]
fn cognito_power_user_and_metrics_reader() {
    let power = managed("AmazonCognitoPowerUser").unwrap();
    assert!(allowed(&[&power], "cognito-idp:AdminDeleteUser", POOL));
    assert!(!allowed(&[&power], "cognate:GetMetrics", "*"));
    let metrics = managed("CognateMetricsReader").unwrap();
    assert!(allowed(&[&metrics], "cognate:GetMetrics", "*"));
    assert!(!allowed(&[&metrics], "cognito-idp:ListUsers", POOL));
    assert!(managed("NoSuchPolicy").is_none());
}

// --- Conditions ---------------------------------------------------------------------------

#[test]
fn string_equals_any_of_the_values() {
    let block = r#"{"StringEquals":{"aws:username":["ann","bob"]}}"#;
    assert!(holds(block, &with("aws:username", "bob")));
    assert!(!holds(block, &with("aws:username", "Bob")));
    assert!(!holds(block, &Context::new()));
}

#[test]
fn condition_keys_ignore_case() {
    assert!(holds(
        r#"{"StringEquals":{"AWS:UserName":"ann"}}"#,
        &with("aws:username", "ann")
    ));
}

#[test]
fn string_not_equals_holds_when_the_key_is_missing() {
    let block = r#"{"StringNotEquals":{"aws:username":"ann"}}"#;
    assert!(holds(block, &with("aws:username", "bob")));
    assert!(!holds(block, &with("aws:username", "ann")));
    assert!(holds(block, &Context::new()));
}

#[test]
fn string_like_and_not_like() {
    let like = r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/ops-*"}}"#;
    assert!(holds(
        like,
        &with("aws:PrincipalArn", "arn:aws:iam::000000000000:user/ops-ann")
    ));
    assert!(!holds(
        like,
        &with("aws:PrincipalArn", "arn:aws:iam::000000000000:user/dev-ann")
    ));
    let not_like = r#"{"StringNotLike":{"aws:username":"temp-*"}}"#;
    assert!(holds(not_like, &with("aws:username", "ann")));
    assert!(!holds(not_like, &with("aws:username", "temp-1")));
}

#[test]
fn dates_in_iso_form_and_epoch_seconds() {
    let before = r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#;
    assert!(holds(
        before,
        &with("aws:CurrentTime", "2026-12-01T12:00:00Z")
    ));
    assert!(!holds(
        before,
        &with("aws:CurrentTime", "2027-02-01T00:00:00Z")
    ));
    let after = r#"{"DateGreaterThan":{"aws:EpochTime":"1796083200"}}"#;
    assert!(holds(after, &with("aws:EpochTime", "1796083201")));
    assert!(!holds(after, &with("aws:EpochTime", "1796083199")));
    assert!(holds(
        r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2026-11-30"}}"#,
        &with("aws:TokenIssueTime", "2026-12-01T08:00:00Z")
    ));
}

#[test]
fn a_window_of_time_needs_both_ends() {
    let window = r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-12-01T09:00:00Z"},
                     "DateLessThan":{"aws:CurrentTime":"2026-12-01T17:00:00Z"}}"#;
    assert!(holds(
        window,
        &with("aws:CurrentTime", "2026-12-01T12:00:00Z")
    ));
    assert!(!holds(
        window,
        &with("aws:CurrentTime", "2026-12-01T18:00:00Z")
    ));
    assert!(!holds(
        window,
        &with("aws:CurrentTime", "2026-12-01T08:00:00Z")
    ));
}

#[test]
fn numbers_compare_as_numbers() {
    let block = r#"{"NumericLessThan":{"aws:EpochTime":1800000000}}"#;
    assert!(holds(block, &with("aws:EpochTime", "999999999")));
    assert!(!holds(block, &with("aws:EpochTime", "1800000001")));
    assert!(!holds(block, &with("aws:EpochTime", "soon")));
    assert!(holds(
        r#"{"NumericGreaterThan":{"aws:EpochTime":"10"}}"#,
        &with("aws:EpochTime", "10.5")
    ));
}

#[test]
fn bool_compares_true_and_false() {
    let block = r#"{"Bool":{"aws:SecureTransport":"true"}}"#;
    assert!(holds(block, &with("aws:SecureTransport", "true")));
    assert!(!holds(block, &with("aws:SecureTransport", "false")));
    assert!(holds(
        r#"{"Bool":{"aws:SecureTransport":false}}"#,
        &with("aws:SecureTransport", "false")
    ));
}

#[test]
fn a_deny_without_secure_transport() {
    let p = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#);
    let plain = with("aws:SecureTransport", "false");
    let tls = with("aws:SecureTransport", "true");
    assert!(!decide(&[&p], "cognito-idp:ListUsers", POOL, &plain).is_allowed());
    assert!(decide(&[&p], "cognito-idp:ListUsers", POOL, &tls).is_allowed());
}

#[test]
fn ip_address_in_networks() {
    let block = r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}"#;
    assert!(holds(block, &with("aws:SourceIp", "203.0.113.7")));
    assert!(holds(block, &with("aws:SourceIp", "2001:db8::1")));
    assert!(!holds(block, &with("aws:SourceIp", "198.51.100.1")));
    assert!(!holds(block, &with("aws:SourceIp", "not-an-address")));
    assert!(holds(
        r#"{"IpAddress":{"aws:SourceIp":"192.0.2.1"}}"#,
        &with("aws:SourceIp", "192.0.2.1")
    ));
}

#[test]
fn not_ip_address_denies_from_outside_the_office() {
    let p = doc(r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]"#);
    assert!(
        decide(
            &[&p],
            "cognito-idp:ListUsers",
            POOL,
            &with("aws:SourceIp", "10.1.2.3")
        )
        .is_allowed()
    );
    assert!(
        !decide(
            &[&p],
            "cognito-idp:ListUsers",
            POOL,
            &with("aws:SourceIp", "8.8.8.8")
        )
        .is_allowed()
    );
}

#[test]
fn if_exists_holds_when_the_key_is_missing() {
    let block = r#"{"StringEqualsIfExists":{"aws:username":"ann"}}"#;
    assert!(holds(block, &Context::new()));
    assert!(holds(block, &with("aws:username", "ann")));
    assert!(!holds(block, &with("aws:username", "bob")));
    let ip = r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#;
    assert!(holds(ip, &Context::new()));
    assert!(!holds(ip, &with("aws:SourceIp", "8.8.8.8")));
}

#[test]
fn a_missing_key_fails_a_positive_operator() {
    for block in [
        r#"{"StringLike":{"aws:username":"*"}}"#,
        r#"{"DateLessThan":{"aws:CurrentTime":"2100-01-01T00:00:00Z"}}"#,
        r#"{"NumericLessThan":{"aws:EpochTime":"9999999999"}}"#,
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
    ] {
        assert!(!holds(block, &Context::new()), "{block}");
    }
}

#[test]
fn every_key_and_every_operator_must_hold() {
    let block = r#"{"StringEquals":{"aws:username":"ann","aws:SecureTransport":"true"},
                    "IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#;
    let all = Context::new()
        .with("aws:username", "ann")
        .with("aws:SecureTransport", "true")
        .with("aws:SourceIp", "10.0.0.1");
    assert!(holds(block, &all));
    let outside = Context::new()
        .with("aws:username", "ann")
        .with("aws:SecureTransport", "true")
        .with("aws:SourceIp", "11.0.0.1");
    assert!(!holds(block, &outside));
}

// --- Refused documents --------------------------------------------------------------------

fn refused(text: &str) -> PolicyError {
    Policy::parse(text, MANAGED_MAX).expect_err(text)
}

use crate::iam::policy::PolicyError;

#[test]
fn the_version_is_required() {
    assert_eq!(
        refused(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).field,
        "Version"
    );
    assert_eq!(
        refused(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
        )
        .field,
        "Version"
    );
}

#[test]
fn errors_name_the_statement_and_field() {
    let e = refused(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
    );
    assert_eq!((e.statement, e.field.as_str()), (Some(1), "Effect"));
    assert_eq!(
        e.to_string(),
        "Statement[1].Effect: must be \"Allow\" or \"Deny\""
    );
}

#[test]
fn action_and_not_action_are_exclusive_and_one_is_needed() {
    let both = refused(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}}"#,
    );
    assert_eq!(both.field, "Action");
    let none = refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#);
    assert_eq!(none.field, "Action");
    let no_resource =
        refused(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}"#);
    assert_eq!(no_resource.field, "Resource");
}

#[test]
fn malformed_actions_resources_and_elements_are_refused() {
    for (text, field) in [
        (
            r#"{"Effect":"Allow","Action":"ListUsers","Resource":"*"}"#,
            "Action",
        ),
        (
            r#"{"Effect":"Allow","Action":"Cognito-IDP:ListUsers","Resource":"*"}"#,
            "Action",
        ),
        (r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#, "Action"),
        (
            r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#,
            "Action",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":"userpool/x"}"#,
            "Resource",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}"#,
            "Principal",
        ),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}"#,
            "Extra",
        ),
        (
            r#"{"Sid":"has space","Effect":"Allow","Action":"*","Resource":"*"}"#,
            "Sid",
        ),
    ] {
        let e = refused(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{text}]}}"#
        ));
        assert_eq!((e.statement, e.field.as_str()), (Some(0), field), "{text}");
    }
}

#[test]
fn malformed_conditions_are_refused() {
    for (block, field) in [
        (
            r#"{"StringMaybe":{"aws:username":"a"}}"#,
            "Condition.StringMaybe",
        ),
        (r#"{"StringEquals":"a"}"#, "Condition.StringEquals"),
        (r#"{"StringEquals":{}}"#, "Condition.StringEquals"),
        (
            r#"{"StringEquals":{"aws:username":[]}}"#,
            "Condition.StringEquals.aws:username",
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#,
            "Condition.DateLessThan.aws:CurrentTime",
        ),
        (
            r#"{"NumericLessThan":{"aws:EpochTime":"ten"}}"#,
            "Condition.NumericLessThan.aws:EpochTime",
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
            "Condition.Bool.aws:SecureTransport",
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/99"}}"#,
            "Condition.IpAddress.aws:SourceIp",
        ),
        (
            r#"{"StringEquals":{"aws:username":{"a":1}}}"#,
            "Condition.StringEquals.aws:username",
        ),
    ] {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{block}}}}}"#
        );
        assert_eq!(refused(&text).field, field, "{block}");
    }
}

#[test]
fn documents_over_aws_sizes_are_refused() {
    let statement = r#"{"Effect":"Allow","Action":"cognito-idp:ListUsers","Resource":"*"}"#;
    let many = vec![statement; 40].join(",");
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{many}]}}"#);
    assert!(Policy::parse(&text, GROUP_INLINE_MAX).is_ok());
    let e = Policy::parse(&text, USER_INLINE_MAX).unwrap_err();
    assert_eq!(e.field, "document");
    // Whitespace does not count, as in AWS.
    let spaced = format!(
        r#"{{ "Version" : "2012-10-17" , "Statement" : {statement} {} }}"#,
        " ".repeat(5_000)
    );
    assert!(Policy::parse(&spaced, USER_INLINE_MAX).is_ok());
}

#[test]
fn not_json_and_not_an_object_are_refused() {
    assert_eq!(refused("{").field, "document");
    assert_eq!(refused("[]").field, "document");
    assert_eq!(
        refused(r#"{"Version":"2012-10-17","Statement":[]}"#).field,
        "Statement"
    );
    assert_eq!(
        refused(r#"{"Version":"2012-10-17","Statement":["x"]}"#).statement,
        Some(0)
    );
}
