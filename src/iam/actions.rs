//! Which IAM action each admin route is, and the resource it acts on, as Cognito and IAM
//! name them: a policy written for AWS then reads the same here. Operations AWS has no name
//! for are `cognate:`.

/// The IAM resource kinds (a plain type the store's IAM tables are keyed by, so it lives
/// there).
pub use crate::store::iam::Kind;

/// What a route acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No single resource (`ListUserPools`, `CreateUserPool`, the IAM lists): `*`, as in AWS.
    Any,
    /// The pool in the `{pool_id}` segment.
    Pool,
    /// The IAM entity named by a path segment.
    Path(Kind, &'static str),
    /// The IAM entity named by a string field of the JSON body (what is being created or
    /// assumed).
    Body(Kind, &'static str),
    /// An ARN given whole in a string field of the body (the simulator's principal).
    BodyArn(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// Under `/admin/v1`, with `{…}` placeholders.
    pub pattern: &'static str,
    pub action: &'static str,
    pub target: Target,
}

/// Every admin route. `cognate:AdminRemoveSoftwareToken`: Cognito has no admin call that
/// removes a user's authenticator app. Editing a customer-managed policy is IAM's
/// `CreatePolicyVersion`, as there.
pub const ROUTES: [Route; 87] = [
    Route {
        method: "POST",
        pattern: "/pools",
        action: "cognito-idp:CreateUserPool",
        target: Target::Any,
    },
    Route {
        method: "GET",
        pattern: "/pools",
        action: "cognito-idp:ListUserPools",
        target: Target::Any,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}",
        action: "cognito-idp:DescribeUserPool",
        target: Target::Pool,
    },
    Route {
        method: "PATCH",
        pattern: "/pools/{pool_id}",
        action: "cognito-idp:UpdateUserPool",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}",
        action: "cognito-idp:DeleteUserPool",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/keys/rotate",
        action: "cognate:RotateSigningKey",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/clients",
        action: "cognito-idp:CreateUserPoolClient",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/clients",
        action: "cognito-idp:ListUserPoolClients",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/clients/{client_id}",
        action: "cognito-idp:DescribeUserPoolClient",
        target: Target::Pool,
    },
    Route {
        method: "PATCH",
        pattern: "/pools/{pool_id}/clients/{client_id}",
        action: "cognito-idp:UpdateUserPoolClient",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/clients/{client_id}",
        action: "cognito-idp:DeleteUserPoolClient",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/clients/{client_id}/secret",
        action: "cognate:RotateClientSecret",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/resource-servers",
        action: "cognito-idp:CreateResourceServer",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/resource-servers",
        action: "cognito-idp:ListResourceServers",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/resource-servers/{identifier}",
        action: "cognito-idp:DescribeResourceServer",
        target: Target::Pool,
    },
    Route {
        method: "PUT",
        pattern: "/pools/{pool_id}/resource-servers/{identifier}",
        action: "cognito-idp:UpdateResourceServer",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/resource-servers/{identifier}",
        action: "cognito-idp:DeleteResourceServer",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/identity-providers",
        action: "cognito-idp:CreateIdentityProvider",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/identity-providers",
        action: "cognito-idp:ListIdentityProviders",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/identity-providers/{name}",
        action: "cognito-idp:DescribeIdentityProvider",
        target: Target::Pool,
    },
    Route {
        method: "PATCH",
        pattern: "/pools/{pool_id}/identity-providers/{name}",
        action: "cognito-idp:UpdateIdentityProvider",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/identity-providers/{name}",
        action: "cognito-idp:DeleteIdentityProvider",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/linked-identities",
        action: "cognito-idp:AdminLinkProviderForUser",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/users/{username}/linked-identities",
        action: "cognito-idp:AdminDisableProviderForUser",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users",
        action: "cognito-idp:AdminCreateUser",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/users",
        action: "cognito-idp:ListUsers",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/users/{username}",
        action: "cognito-idp:AdminGetUser",
        target: Target::Pool,
    },
    Route {
        method: "PATCH",
        pattern: "/pools/{pool_id}/users/{username}",
        action: "cognito-idp:AdminUpdateUserAttributes",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/users/{username}",
        action: "cognito-idp:AdminDeleteUser",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/disable",
        action: "cognito-idp:AdminDisableUser",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/enable",
        action: "cognito-idp:AdminEnableUser",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/confirm",
        action: "cognito-idp:AdminConfirmSignUp",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/password",
        action: "cognito-idp:AdminSetUserPassword",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/reset-password",
        action: "cognito-idp:AdminResetUserPassword",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/users/{username}/sign-out",
        action: "cognito-idp:AdminUserGlobalSignOut",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/users/{username}/groups",
        action: "cognito-idp:AdminListGroupsForUser",
        target: Target::Pool,
    },
    Route {
        method: "PUT",
        pattern: "/pools/{pool_id}/users/{username}/mfa",
        action: "cognito-idp:AdminSetUserMFAPreference",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/users/{username}/mfa/totp",
        action: "cognate:AdminRemoveSoftwareToken",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/pools/{pool_id}/groups",
        action: "cognito-idp:CreateGroup",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/groups",
        action: "cognito-idp:ListGroups",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/groups/{name}",
        action: "cognito-idp:GetGroup",
        target: Target::Pool,
    },
    Route {
        method: "PATCH",
        pattern: "/pools/{pool_id}/groups/{name}",
        action: "cognito-idp:UpdateGroup",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/groups/{name}",
        action: "cognito-idp:DeleteGroup",
        target: Target::Pool,
    },
    Route {
        method: "GET",
        pattern: "/pools/{pool_id}/groups/{name}/members",
        action: "cognito-idp:ListUsersInGroup",
        target: Target::Pool,
    },
    Route {
        method: "PUT",
        pattern: "/pools/{pool_id}/groups/{name}/members/{username}",
        action: "cognito-idp:AdminAddUserToGroup",
        target: Target::Pool,
    },
    Route {
        method: "DELETE",
        pattern: "/pools/{pool_id}/groups/{name}/members/{username}",
        action: "cognito-idp:AdminRemoveUserFromGroup",
        target: Target::Pool,
    },
    Route {
        method: "POST",
        pattern: "/iam/users",
        action: "iam:CreateUser",
        target: Target::Body(Kind::User, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/users",
        action: "iam:ListUsers",
        target: Target::Any,
    },
    Route {
        method: "GET",
        pattern: "/iam/users/{name}",
        action: "iam:GetUser",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/users/{name}",
        action: "iam:DeleteUser",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "POST",
        pattern: "/iam/users/{name}/access-keys",
        action: "iam:CreateAccessKey",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/users/{name}/access-keys",
        action: "iam:ListAccessKeys",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "PATCH",
        pattern: "/iam/users/{name}/access-keys/{access_key_id}",
        action: "iam:UpdateAccessKey",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/users/{name}/access-keys/{access_key_id}",
        action: "iam:DeleteAccessKey",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/users/{name}/attached-policies/{policy}",
        action: "iam:AttachUserPolicy",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/users/{name}/attached-policies/{policy}",
        action: "iam:DetachUserPolicy",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/users/{name}/inline-policies/{policy}",
        action: "iam:PutUserPolicy",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/users/{name}/inline-policies/{policy}",
        action: "iam:GetUserPolicy",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/users/{name}/inline-policies/{policy}",
        action: "iam:DeleteUserPolicy",
        target: Target::Path(Kind::User, "name"),
    },
    Route {
        method: "POST",
        pattern: "/iam/groups",
        action: "iam:CreateGroup",
        target: Target::Body(Kind::Group, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/groups",
        action: "iam:ListGroups",
        target: Target::Any,
    },
    Route {
        method: "GET",
        pattern: "/iam/groups/{name}",
        action: "iam:GetGroup",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/groups/{name}",
        action: "iam:DeleteGroup",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/groups/{name}/members/{user}",
        action: "iam:AddUserToGroup",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/groups/{name}/members/{user}",
        action: "iam:RemoveUserFromGroup",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/groups/{name}/attached-policies/{policy}",
        action: "iam:AttachGroupPolicy",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/groups/{name}/attached-policies/{policy}",
        action: "iam:DetachGroupPolicy",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/groups/{name}/inline-policies/{policy}",
        action: "iam:PutGroupPolicy",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/groups/{name}/inline-policies/{policy}",
        action: "iam:GetGroupPolicy",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/groups/{name}/inline-policies/{policy}",
        action: "iam:DeleteGroupPolicy",
        target: Target::Path(Kind::Group, "name"),
    },
    Route {
        method: "POST",
        pattern: "/iam/roles",
        action: "iam:CreateRole",
        target: Target::Body(Kind::Role, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/roles",
        action: "iam:ListRoles",
        target: Target::Any,
    },
    Route {
        method: "GET",
        pattern: "/iam/roles/{name}",
        action: "iam:GetRole",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/roles/{name}",
        action: "iam:DeleteRole",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/roles/{name}/attached-policies/{policy}",
        action: "iam:AttachRolePolicy",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/roles/{name}/attached-policies/{policy}",
        action: "iam:DetachRolePolicy",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/roles/{name}/inline-policies/{policy}",
        action: "iam:PutRolePolicy",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/roles/{name}/inline-policies/{policy}",
        action: "iam:GetRolePolicy",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/roles/{name}/inline-policies/{policy}",
        action: "iam:DeleteRolePolicy",
        target: Target::Path(Kind::Role, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/policies",
        action: "iam:ListPolicies",
        target: Target::Any,
    },
    Route {
        method: "POST",
        pattern: "/iam/policies/{name}",
        action: "iam:CreatePolicy",
        target: Target::Path(Kind::Policy, "name"),
    },
    Route {
        method: "GET",
        pattern: "/iam/policies/{name}",
        action: "iam:GetPolicy",
        target: Target::Path(Kind::Policy, "name"),
    },
    Route {
        method: "PUT",
        pattern: "/iam/policies/{name}",
        action: "iam:CreatePolicyVersion",
        target: Target::Path(Kind::Policy, "name"),
    },
    Route {
        method: "DELETE",
        pattern: "/iam/policies/{name}",
        action: "iam:DeletePolicy",
        target: Target::Path(Kind::Policy, "name"),
    },
    Route {
        method: "POST",
        pattern: "/iam/simulate",
        action: "iam:SimulatePrincipalPolicy",
        target: Target::BodyArn("principal_arn"),
    },
    Route {
        method: "POST",
        pattern: "/sts/assume-role",
        action: "sts:AssumeRole",
        target: Target::Body(Kind::Role, "role_name"),
    },
    Route {
        method: "GET",
        pattern: "/audit-events",
        action: "cognate:LookupEvents",
        target: Target::Any,
    },
];

/// The route `pattern` answers to `method`.
pub fn route(method: &str, pattern: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.pattern == pattern)
}

/// The action of the route `pattern` (as under `/admin/v1`, with `{…}` placeholders).
pub fn action_for(method: &str, pattern: &str) -> Option<&'static str> {
    route(method, pattern).map(|r| r.action)
}

/// The route a request path (under `/admin/v1`, still percent-encoded) is, and the values of
/// its placeholders, percent-decoded. Literal segments must match as sent: a path that only
/// matches once decoded matches no route here, and is refused.
pub fn match_route(
    method: &str,
    path: &str,
) -> Option<(&'static Route, Vec<(&'static str, String)>)> {
    let asked: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|route| {
        if !route.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let template: Vec<&'static str> = route.pattern.split('/').collect();
        if template.len() != asked.len() {
            return None;
        }
        let mut values = Vec::new();
        for (part, given) in template.iter().zip(&asked) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !given.is_empty() => values.push((
                    name,
                    percent_encoding::percent_decode_str(given)
                        .decode_utf8_lossy()
                        .into_owned(),
                )),
                Some(_) => return None,
                None if part == given => {}
                None => return None,
            }
        }
        Some((route, values))
    })
}

/// A user pool's ARN, exactly as Cognito's.
pub fn pool_arn(region: &str, account: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}")
}

/// `arn:aws:iam::<account>:<kind>/<name>`.
pub fn iam_arn(account: &str, kind: Kind, name: &str) -> String {
    format!("arn:aws:iam::{account}:{}/{name}", kind.as_str())
}

/// What the route acts on: its pool's ARN, or `*` for the routes on no single pool
/// (`ListUserPools`, `CreateUserPool`), as in AWS.
pub fn resource_for(region: &str, account: &str, pool_id: Option<&str>) -> String {
    pool_id.map_or_else(|| "*".to_string(), |id| pool_arn(region, account, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_one_action_and_each_action_one_route() {
        let mut pairs: Vec<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.pattern)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), ROUTES.len());
        let mut actions: Vec<&str> = ROUTES.iter().map(|r| r.action).collect();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), ROUTES.len());
    }

    #[test]
    fn routes_map_to_cognitos_names_and_pool_arns() {
        assert_eq!(
            action_for("get", "/pools/{pool_id}"),
            Some("cognito-idp:DescribeUserPool")
        );
        assert_eq!(action_for("GET", "/pools/{pool_id}/nothing"), None);
        assert_eq!(
            resource_for("eu-west-1", "000000000000", Some("eu-west-1_abc")),
            "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_abc"
        );
        assert_eq!(resource_for("eu-west-1", "000000000000", None), "*");
        assert_eq!(
            iam_arn("123456789012", Kind::Role, "ops"),
            "arn:aws:iam::123456789012:role/ops"
        );
    }

    #[test]
    fn requests_match_routes_only_as_sent() {
        let (route, values) = match_route("DELETE", "/pools/p%5F1/users/a%40b").unwrap();
        assert_eq!(route.action, "cognito-idp:AdminDeleteUser");
        assert_eq!(
            values,
            [("pool_id", "p_1".into()), ("username", "a@b".into())]
        );
        assert!(match_route("GET", "/%70ools").is_none());
        assert!(match_route("GET", "/pools//users").is_none());
        assert!(match_route("PUT", "/pools").is_none());
        let (route, _) = match_route("POST", "/sts/assume-role").unwrap();
        assert_eq!(route.target, Target::Body(Kind::Role, "role_name"));
    }
}
